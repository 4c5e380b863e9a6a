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

test: setup ## RTL lint, then every test (golden model, training smoke, cocotb RTL, harness, FPGA scripts, synthesis)
	@$(MAKE) --no-print-directory lint
	@echo "[test] pytest -n $(JOBS) over tests/ and sim/"
	$(PY) -m pytest -n $(JOBS)

demo: setup ## the main job: train CONFIG (s15), export, all 10k test images through the RTL, synthesis, summary
	@echo "[demo] 1/4 delta-aware training and export of $(CONFIG) into $(BUILD)"
	@$(MAKE) --no-print-directory train CONFIG=$(CONFIG)
	@echo "[demo] 2/4 all FashionMNIST test images through the RTL (Verilator) against the golden model"
	@$(MAKE) --no-print-directory sim-full CONFIG=$(CONFIG)
	@echo "[demo] 3/4 open synthesis for the Spartan-7 (Yosys synth_xilinx)"
	@$(MAKE) --no-print-directory synth CONFIG=$(CONFIG)
	@echo "[demo] 4/4 summary ($(BUILD)/summary.md)"
	@$(PY) -m scripts.summary --build $(BUILD)

clean: ## remove build outputs (keeps .venv)
	rm -rf build sim_build .pytest_cache .hypothesis

include $(sort $(wildcard mk/*.mk))
