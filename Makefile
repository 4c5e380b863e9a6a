# deltamac: train -> quantize/compress -> export -> RTL -> simulate/synthesise.
# `make demo` runs the main job and `make test` the test suite, each on a fresh Debian
# machine: both first run scripts/setup.sh (apt packages when missing, pinned .venv).
SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

VENV   := .venv
PY     := $(CURDIR)/$(VENV)/bin/python
CONFIG ?= s15
BUILD  := build/$(CONFIG)
JOBS   ?= auto
export PYTHONPATH := $(CURDIR)

.PHONY: help setup test demo clean
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | sort | column -t -s $$'\t'

setup: ## install Debian packages when missing and the pinned virtualenv .venv
	@bash scripts/setup.sh

test: setup ## run every test (golden model, training smoke, cocotb RTL, harness, scripts)
	@echo "[test] pytest -n $(JOBS) over tests/ and sim/"
	$(PY) -m pytest -n $(JOBS)

clean: ## remove build outputs (keeps .venv)
	rm -rf build sim_build .pytest_cache .hypothesis

include $(sort $(wildcard mk/*.mk))
