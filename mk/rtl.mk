# RTL lint and cocotb simulation (docs/rtl.md).
# `make lint` exports small seeded networks into build/lint/<net>/ (one generated package each:
# fixed_reference, plain with a padded last word, consecutive 3-layer with clamp, one layer, mixed
# per-layer precision) and runs verilator --lint-only -Wall over rtl/*.sv (top deltamac_top, with ROMs
# and with RUNTIME_WEIGHTS=1; and
# deltamac_dataflow_top against dataflow exports; deltamac_lutnet_top against LUT-network exports;
# deltamac_axi_top against two of the shared-lane packages) plus
# the rtl/lint/*.vlt waivers against each; any warning fails. `make sim` runs every cocotb testbench in sim/.
LINT_DIR  := build/lint
LINT_NETS := fr16 plain5 cons12 single mixed7
LINT_NET_fr16   := --topology 784-32-10 --lanes 16 --scheme fixed_reference --weight-bits 8 --delta-bits 4 --group row
LINT_NET_plain5 := --topology 784-16-10 --lanes 5 --scheme plain --weight-bits 6 --delta-bits 6 --group row
LINT_NET_cons12 := --topology 784-24-12-10 --lanes 12 --scheme consecutive --weight-bits 8 --delta-bits 4 --group row --activation clamp
LINT_NET_single := --topology 64-10 --lanes 3 --scheme fixed_reference --weight-bits 8 --delta-bits 4 --group row
LINT_NET_mixed7 := --topology 784-32-16-10 --lanes 7 --scheme fixed_reference --delta-bits 4 --group row --activation clamp --bits w8a8,w3a3,w6d3a5
LINT_RTL   = $(shell $(PY) -m scripts.corefile list --target default --repo-only)
# the AXI top (deltamac_axi_top: deltamac_top, the generated register block deltamac_regs) against
# two of those packages
LINT_AXI_NETS := fr16 mixed7
LINT_AXI_RTL = $(shell $(PY) -m scripts.corefile list --target axi --repo-only)
# the dataflow core (deltamac_dataflow_top, ARCHITECTURE.md section 6) against dataflow exports:
# every lane kind, parallel neurons, mixed precision (plain LUT layer, narrow buffers), one layer
LINT_DATAFLOW_NETS := dfmixed dfcons dfsingle
LINT_NET_dfmixed  := --topology 784-32-16-10 --scheme fixed_reference --delta-bits 4 --group row --activation clamp --bits w8a8,w3a3,w6d3a5 --folding 28x4:delta,8x2:lut,3:dsp
LINT_NET_dfcons   := --topology 784-48-16-10 --scheme consecutive --weight-bits 8 --delta-bits 4 --group 16 --folding 16x3:dsp,8x2,4
LINT_NET_dfsingle := --topology 64-10 --scheme plain --weight-bits 6 --delta-bits 6 --group row --folding 5x2:lut
LINT_DATAFLOW_RTL = $(shell $(PY) -m scripts.corefile list --target dataflow --repo-only)
# the LUT-network core (deltamac_lutnet_top, ARCHITECTURE.md section 7) against LUT-network exports
# (scripts/lutnet_random.py), each with REGISTER_LAYERS 1 and 0: one image per beat, 2-bit codes,
# K = 2, random thresholds; 1-bit input codes into a 12-address-bit layer, K = 1; 6 beats of 8
# pixels, 3 layers of 3-bit codes; one layer at one pixel per beat
LINT_LUTNET_NETS := lutk2 lutb1 lutbeats lutsingle
LINT_NET_lutk2     := --features 64 --in-bits 2 --layers 24xF3b2,20xF2b2 --classes 10 --class-partitions 2 --thresholds random
LINT_NET_lutb1     := --features 49 --in-bits 1 --layers 30xF6b3,10xF4b1 --classes 10
LINT_NET_lutbeats  := --features 48 --in-bits 3 --layers 16xF4b2,12xF3b2,6xF2b3 --classes 3 --class-partitions 2 --pixels-per-beat 8
LINT_NET_lutsingle := --features 16 --in-bits 2 --layers 10xF4b2 --classes 10 --pixels-per-beat 1
LINT_LUTNET_RTL = $(shell $(PY) -m scripts.corefile list --target lutnet --repo-only)
LINT_WAIVE = $(sort $(wildcard rtl/lint/*.vlt))

.PHONY: lint sim regmap
define rtl_lint_net
	@echo "[rtl] lint deltamac_top against $(LINT_DIR)/$(1): $(LINT_NET_$(1))"
	@$(PY) -m model export-random --out $(LINT_DIR)/$(1) $(LINT_NET_$(1)) --calibration random --seed 1 >/dev/null
	verilator --lint-only -Wall --top-module deltamac_top $(LINT_WAIVE) $(LINT_DIR)/$(1)/deltamac_net_pkg.sv $(LINT_RTL)
	verilator --lint-only -Wall --top-module deltamac_top -GRUNTIME_WEIGHTS=1 $(LINT_WAIVE) $(LINT_DIR)/$(1)/deltamac_net_pkg.sv $(LINT_RTL)

endef

define rtl_lint_axi_net
	@echo "[rtl] lint deltamac_axi_top against $(LINT_DIR)/$(1)"
	verilator --lint-only -Wall --top-module deltamac_axi_top $(LINT_WAIVE) $(LINT_DIR)/$(1)/deltamac_net_pkg.sv $(LINT_AXI_RTL)

endef

define rtl_lint_dataflow_net
	@echo "[rtl] lint deltamac_dataflow_top against $(LINT_DIR)/$(1): $(LINT_NET_$(1))"
	@$(PY) -m model export-random --out $(LINT_DIR)/$(1) $(LINT_NET_$(1)) --calibration random --seed 1 >/dev/null
	verilator --lint-only -Wall --top-module deltamac_dataflow_top $(LINT_WAIVE) $(LINT_DIR)/$(1)/deltamac_net_pkg.sv $(LINT_DATAFLOW_RTL)

endef

define rtl_lint_lutnet_net
	@echo "[rtl] lint deltamac_lutnet_top against $(LINT_DIR)/$(1): $(LINT_NET_$(1))"
	@$(PY) -m scripts.lutnet_random --out $(LINT_DIR)/$(1) $(LINT_NET_$(1)) --seed 1 >/dev/null
	verilator --lint-only -Wall --top-module deltamac_lutnet_top $(LINT_WAIVE) $(LINT_DIR)/$(1)/deltamac_net_pkg.sv $(LINT_LUTNET_RTL)
	verilator --lint-only -Wall --top-module deltamac_lutnet_top -GREGISTER_LAYERS=0 $(LINT_WAIVE) $(LINT_DIR)/$(1)/deltamac_net_pkg.sv $(LINT_LUTNET_RTL)

endef

lint: setup ## verilator --lint-only -Wall of rtl/*.sv (deltamac_top) against several generated packages; fails on any warning
	$(foreach net,$(LINT_NETS),$(call rtl_lint_net,$(net)))
	$(foreach net,$(LINT_AXI_NETS),$(call rtl_lint_axi_net,$(net)))
	$(foreach net,$(LINT_DATAFLOW_NETS),$(call rtl_lint_dataflow_net,$(net)))
	$(foreach net,$(LINT_LUTNET_NETS),$(call rtl_lint_lutnet_net,$(net)))
	@echo "[rtl] lint deltamac_mac_array with LUT lanes (3-bit weights, 2-bit activations fed as 3 bits)"
	verilator --lint-only -Wall --top-module deltamac_mac_array -GLUT_LANES=1 -GWEIGHT_BITS=3 -GACT_BITS=3 -GACC_BITS=18 \
	  rtl/deltamac_adder_tree.sv rtl/deltamac_lut_mult.sv rtl/deltamac_mac_array.sv
	@echo "[rtl] lint deltamac_delta_mac_array (fixed_reference deltas multiplied in LUT lanes)"
	verilator --lint-only -Wall --top-module deltamac_delta_mac_array \
	  rtl/deltamac_adder_tree.sv rtl/deltamac_lut_mult.sv rtl/deltamac_mac_array.sv rtl/deltamac_delta_mac_array.sv
	@echo "[rtl] lint clean ($(words $(LINT_NETS)) shared-lane, ROM and run-time weights ($(words $(LINT_AXI_NETS)) also behind the AXI top), $(words $(LINT_DATAFLOW_NETS)) dataflow and $(words $(LINT_LUTNET_NETS)) LUT-network packages, LUT lanes, delta-domain lanes)"

regmap: setup ## regenerate rtl/deltamac_regs.sv, sw/deltamac_regs.h and docs/regmap.md from the table in model/regmap.py
	$(PY) -m model.regmap

sim: setup ## all cocotb testbenches in sim/ (Icarus, pytest -n $(JOBS); WAVES=1 for FST waveforms)
	@echo "[rtl] cocotb testbenches: pytest -n $(JOBS) sim"
	$(PY) -m pytest -n $(JOBS) sim
