# Golden model (model/): seeded random network export and golden-model accuracy.
# Example: make rom-random CONFIG=tiny && make golden CONFIG=tiny
RANDOM_TOPOLOGY    ?= 784-32-10
RANDOM_LANES       ?= 16
RANDOM_SCHEME      ?= fixed_reference
RANDOM_WEIGHT_BITS ?= 8
RANDOM_DELTA_BITS  ?= 4
RANDOM_GROUP       ?= row
RANDOM_ACTIVATION  ?= relu
RANDOM_SEED        ?= 1
GOLDEN_DATASET     ?= fashion-mnist

.PHONY: rom-random golden model-report
rom-random: setup ## export a seeded random network to $(BUILD) (RANDOM_TOPOLOGY, RANDOM_LANES, RANDOM_SCHEME, ...)
	@echo "[model] exporting random $(RANDOM_TOPOLOGY) network ($(RANDOM_SCHEME), $(RANDOM_LANES) lanes) to $(BUILD)"
	$(PY) -m model export-random --out $(BUILD) --topology $(RANDOM_TOPOLOGY) --lanes $(RANDOM_LANES) \
	  --scheme $(RANDOM_SCHEME) --weight-bits $(RANDOM_WEIGHT_BITS) --delta-bits $(RANDOM_DELTA_BITS) \
	  --group $(RANDOM_GROUP) --activation $(RANDOM_ACTIVATION) --seed $(RANDOM_SEED)

golden: setup ## golden-model accuracy of the export in $(BUILD) on the $(GOLDEN_DATASET) test set
	@echo "[model] golden-model accuracy of $(BUILD) on the $(GOLDEN_DATASET) test set"
	$(PY) -m model eval --build $(BUILD) --dataset $(GOLDEN_DATASET)

model-report: setup ## bit accounting and block RAM of the export in $(BUILD)
	@echo "[model] bit accounting of $(BUILD)"
	$(PY) -m model report --build $(BUILD)
