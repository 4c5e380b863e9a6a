# FPGA flows (docs/fpga.md). Sources always come from deltamac.core via scripts/corefile.py.
# Open flow (no Vivado): make synth / make pnr CONFIG=<config>. Vivado: make bitstream / ip / vivado-ooc.
CLK_PERIOD_NS ?= 10.0
ECP5_DEVICE   ?= auto
ECP5_PACKAGE  ?=
ECP5_FREQ     ?= $(if $(filter lut-%,$(CONFIG)),250,150)
ECP5_SEEDS    ?= 1 2 3
IP_VERSION    ?= 0.1
VIVADO        ?= vivado
VIVADO_DIR    := $(BUILD)/vivado
VIVADO_HINT   := install AMD Vivado (2020.2 or newer with Spartan-7 support; the free Standard edition is enough) and put it on PATH with: source <Vivado install dir>/settings64.sh

.PHONY: synth pnr lint-board vivado-check bitstream vivado-ooc ip
synth: setup ## Yosys synth_xilinx -family xc7 of the core (deltamac_top, or deltamac_dataflow_top for a dataflow export) on build/<config>: build/<config>/synth_xc7.json (LUT/FF/DSP/BRAM/CARRY4, fits_xc7s15)
	@echo "[fpga] yosys synth_xilinx of the core with the ROMs of $(BUILD)"
	$(PY) -m scripts.open_flow synth --build $(BUILD)

pnr: setup ## Yosys synth_ecp5 + nextpnr-ecp5 (ECP5_DEVICE 25k/45k/85k or auto: the smallest that holds it, ECP5_PACKAGE, ECP5_FREQ MHz: 150, 250 for lut-*, ECP5_SEEDS) on build/<config>: build/<config>/pnr_ecp5.json (worst Fmax)
	@echo "[fpga] yosys synth_ecp5 + nextpnr-ecp5 of the core with the ROMs of $(BUILD)"
	$(PY) -m scripts.open_flow pnr --build $(BUILD) --device $(ECP5_DEVICE) $(if $(ECP5_PACKAGE),--package $(ECP5_PACKAGE)) --freq $(ECP5_FREQ) --seeds $(ECP5_SEEDS)

lint-board: setup ## verilator --lint-only -Wall of the UART board example top (with the package of build/<config>)
	@echo "[fpga] verilator lint of deltamac_uart_top (deltamac.core target board, $(BUILD))"
	verilator --lint-only -Wall --top-module deltamac_uart_top $$($(PY) -m scripts.corefile list --target board --build $(BUILD) | grep '\.sv$$')

vivado-check:
	@command -v $(VIVADO) >/dev/null 2>&1 || { echo "[fpga] ERROR: '$(VIVADO)' is not on PATH; $(VIVADO_HINT)" >&2; exit 1; }

bitstream: setup vivado-check ## Vivado: UART example top for the XC7S15 -> build/<config>/vivado/deltamac_uart_top.bit + utilisation/timing reports
	@echo "[fpga] Vivado non-project build of deltamac_uart_top (board XDC) with $(BUILD) into $(VIVADO_DIR)"
	$(PY) -m scripts.corefile tcl --target board --build $(BUILD) --out $(VIVADO_DIR)/board.tcl
	cd $(VIVADO_DIR) && $(VIVADO) -mode batch -nojournal -log board.log -source $(CURDIR)/scripts/vivado_build.tcl \
	  -tclargs $(CURDIR)/$(VIVADO_DIR)/board.tcl $(CURDIR)/$(VIVADO_DIR) $(CLK_PERIOD_NS)

vivado-ooc: setup vivado-check ## Vivado: the core out of context at CLK_PERIOD_NS (default 10) -> reports in build/<config>/vivado/ooc
	@echo "[fpga] Vivado out-of-context build of the core ($(CLK_PERIOD_NS) ns) with $(BUILD) into $(VIVADO_DIR)/ooc"
	$(PY) -m scripts.corefile tcl --target synth --build $(BUILD) --out $(VIVADO_DIR)/ooc/synth.tcl
	cd $(VIVADO_DIR)/ooc && $(VIVADO) -mode batch -nojournal -log ooc.log -source $(CURDIR)/scripts/vivado_build.tcl \
	  -tclargs $(CURDIR)/$(VIVADO_DIR)/ooc/synth.tcl $(CURDIR)/$(VIVADO_DIR)/ooc $(CLK_PERIOD_NS)

ip: setup vivado-check ## Vivado: package the core with the network of build/<config> as IP-XACT -> build/<config>/vivado/ip/deltamac
	@echo "[fpga] Vivado IP packaging of the core (deltamac_top, or deltamac_dataflow_top for a dataflow export) with $(BUILD) into $(VIVADO_DIR)/ip"
	$(PY) -m scripts.corefile tcl --target default --build $(BUILD) --out $(VIVADO_DIR)/ip/default.tcl
	cd $(VIVADO_DIR)/ip && $(VIVADO) -mode batch -nojournal -log ip.log -source $(CURDIR)/scripts/vivado_ip.tcl \
	  -tclargs $(CURDIR)/$(VIVADO_DIR)/ip/default.tcl $(CURDIR)/$(VIVADO_DIR)/ip $(IP_VERSION)
