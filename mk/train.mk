# Delta-aware training (train/, docs/train.md). Included by the main Makefile.
SCHEME     ?= fixed_reference
DELTA_BITS ?=
WEIGHT_BITS ?= 8
GROUP      ?= row
EPOCHS     ?=
SEED       ?= 0
LANES      ?= 16
BITS       ?=
FOLDING    ?=
PIXELS_PER_BEAT ?=
TRAIN_ARGS ?=

# With --resume, a finished checkpoint of the same configuration is only exported and checked again.
# A LUT-network preset (lut-*, ARCHITECTURE.md section 7) takes only the options they share.
MLP_TRAIN_CMD = $(PY) -m train --config $(CONFIG) --scheme $(SCHEME) $(if $(DELTA_BITS),--delta-bits $(DELTA_BITS)) --weight-bits $(WEIGHT_BITS) \
	--group $(GROUP) $(if $(EPOCHS),--epochs $(EPOCHS)) --seed $(SEED) --lanes $(LANES) $(if $(BITS),--bits $(BITS)) $(if $(FOLDING),--folding $(FOLDING)) $(if $(PIXELS_PER_BEAT),--pixels-per-beat $(PIXELS_PER_BEAT)) --resume $(TRAIN_ARGS)
LUT_TRAIN_CMD = $(PY) -m train --config $(CONFIG) $(if $(EPOCHS),--epochs $(EPOCHS)) --seed $(SEED) $(if $(PIXELS_PER_BEAT),--pixels-per-beat $(PIXELS_PER_BEAT)) --resume $(TRAIN_ARGS)
TRAIN_CMD = $(if $(filter lut-%,$(CONFIG)),$(LUT_TRAIN_CMD),$(MLP_TRAIN_CMD))

.PHONY: train rom sweep fit
train: setup ## train, export and check CONFIG (s15, s15-dataflow, lut-mnist, ...) with SCHEME DELTA_BITS GROUP BITS EPOCHS SEED (FOLDING: dataflow export) into build/CONFIG[/variant]
	@echo "[train] $(CONFIG) $(if $(filter lut-%,$(CONFIG)),(LUT network),$(SCHEME) delta_bits=$(or $(DELTA_BITS),preset default) group=$(GROUP)$(if $(BITS), bits=$(BITS))) epochs=$(or $(EPOCHS),preset default) seed=$(SEED) (resumes a checkpoint)"
	$(TRAIN_CMD)

rom: setup ## re-export the default variant of CONFIG: ROMs, package, manifest from its finished checkpoint (checked against the golden model)
	@test -f $(BUILD)/checkpoint.pt || { echo "[rom] ERROR: no training checkpoint in $(BUILD); run 'make train CONFIG=$(CONFIG)' first" >&2; exit 1; }
	@echo "[rom] re-exporting $(BUILD) from its checkpoint"
	$(TRAIN_CMD)

sweep: setup ## benchmark (hours): delta bits x schemes + plain 8 + float, paper and s15, 3 seeds -> build/sweep/ (SWEEP_TRAIN=0: table only)
	@echo "[sweep] SWEEP_CONFIGS/SEEDS/BITS/SCHEMES/EPOCHS select a subset; finished runs are skipped"
	$(PY) -m train.sweep

fit: setup ## list the MLPs whose compressed weights fit the XC7S15 block RAM beside the core (s15 search)
	@echo "[fit] RAMB18 estimate of candidate topologies at P=$(LANES)"
	$(PY) -m train.fit --lanes $(LANES) --delta-bits $(or $(DELTA_BITS),4)

LUT_RESULTS_PRESETS ?= lut-mnist lut-mnist-s15 lut-fmnist
LUT_RESULTS_SEEDS   ?= 0 1 2
.PHONY: lut-results
lut-results: setup ## LUT-network presets (LUT_RESULTS_PRESETS): train LUT_RESULTS_SEEDS, seed 0 through sim-full, synth, pnr -> build/lutnet_results/ (JSON, Markdown, accuracy-against-LUT plot)
	@for preset in $(LUT_RESULTS_PRESETS); do \
	  for seed in $(LUT_RESULTS_SEEDS); do $(MAKE) --no-print-directory train CONFIG=$$preset SEED=$$seed || exit 1; done; \
	  for step in sim-full synth pnr; do $(MAKE) --no-print-directory $$step CONFIG=$$preset || exit 1; done; \
	done
	$(PY) -m scripts.lutnet_results --presets $(LUT_RESULTS_PRESETS) --seeds $(LUT_RESULTS_SEEDS)
