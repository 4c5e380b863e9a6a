# Benchmarks (not part of make test; docs/rtl.md "LUT and DSP lanes").
BENCH_DIR ?= build/bench

.PHONY: bench-lanes
bench-lanes: setup ## Yosys xc7 cost of DSP48E1 against LUT MAC lanes over weight x activation widths -> $(BENCH_DIR)/lanes_xc7.json|md
	@echo "[bench] MAC lane cost, DSP48E1 against LUT lanes (Yosys synth_xilinx of deltamac_mac_array)"
	$(PY) -m scripts.bench_lanes --out $(BENCH_DIR)

.PHONY: bench
bench: setup ## precision x parallelism benchmark (hours; dask LocalCluster or BENCH_SCHEDULER; BENCH_* select, finished points reused) -> docs/bench/
	@echo "[bench] s15 and TFC x FashionMNIST/MNIST x precisions x storage x seeds; hardware: shared-lane and dataflow cores"
	BENCH_DIR=$(BENCH_DIR) $(PY) -m scripts.bench $(if $(BENCH_OUT),--out $(BENCH_OUT))
