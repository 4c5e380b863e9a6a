# Synthesised netlists against the golden model (sim/netlist/, docs/harness.md, docs/fpga.md).
# Example: make sim-netlist CONFIG=s15 LIMIT=1000 NETLIST=ecp5
NETLIST ?= xc7

.PHONY: sim-netlist
sim-netlist: setup ## synthesised netlist (NETLIST=xc7 synth_xilinx, ecp5 synth_ecp5 + register packing) in Verilator with cell models vs the golden model and the RTL's cycles -> $(BUILD)/netlist_$(NETLIST).json (LIMIT)
	@echo "[netlist] $(NETLIST) netlist of $(BUILD): $(if $(LIMIT),the first $(LIMIT),all) test images against the golden model"
	$(PY) -m sim.netlist.run --export $(BUILD) --netlist $(NETLIST) $(HARNESS_VARIANT) $(if $(LIMIT),--limit $(LIMIT)) --jobs $(HARNESS_JOBS)
