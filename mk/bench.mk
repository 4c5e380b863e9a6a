# Benchmarks (not part of make test; docs/rtl.md "LUT and DSP lanes").
BENCH_DIR ?= build/bench

.PHONY: bench-lanes
bench-lanes: setup ## Yosys xc7 cost of DSP48E1 against LUT MAC lanes over weight x activation widths -> $(BENCH_DIR)/lanes_xc7.json|md
	@echo "[bench] MAC lane cost, DSP48E1 against LUT lanes (Yosys synth_xilinx of deltamac_mac_array)"
	$(PY) -m scripts.bench_lanes --out $(BENCH_DIR)
