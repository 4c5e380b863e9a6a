# Verilator whole-test-set harness (sim/harness/, docs/harness.md).
# Example: make rom-random CONFIG=tiny && make sim-full CONFIG=tiny LIMIT=1000 BACKPRESSURE=1
LIMIT              ?=
BACKPRESSURE       ?= 0
HARNESS_SEED       ?= 1
HARNESS_OUT_LOGITS ?= 1
HARNESS_X_RANDOM   ?= 0
HARNESS_JOBS       ?= 1

HARNESS_VARIANT   := --out-logits $(HARNESS_OUT_LOGITS) $(if $(filter 1,$(HARNESS_X_RANDOM)),--x-random)
HARNESS_RUN_FLAGS := $(HARNESS_VARIANT) $(if $(LIMIT),--limit $(LIMIT)) \
  $(if $(filter 1,$(BACKPRESSURE)),--backpressure) --seed $(HARNESS_SEED)

.PHONY: harness sim-full
harness: setup ## build the Verilator harness for the export in $(BUILD) (HARNESS_OUT_LOGITS=0 class only, HARNESS_X_RANDOM=1 random X)
	@echo "[harness] building the Verilator harness for $(BUILD) ($(HARNESS_VARIANT), HARNESS_JOBS=$(HARNESS_JOBS))"
	$(PY) -m sim.harness.build --export $(BUILD) $(HARNESS_VARIANT) --jobs $(HARNESS_JOBS)

sim-full: harness ## all FashionMNIST test images through the RTL vs the golden model -> $(BUILD)/rtl_report.json (LIMIT, BACKPRESSURE=1, HARNESS_SEED)
	@echo "[harness] running $(if $(LIMIT),the first $(LIMIT),all) test images through $(BUILD)$(if $(filter 1,$(BACKPRESSURE)), with random idle/backpressure (seed $(HARNESS_SEED)))"
	$(PY) -m sim.harness.run --export $(BUILD) $(HARNESS_RUN_FLAGS)
