# Formal proofs (docs/formal.md): Yosys's formal front end + yosys-smtbmc with z3, one property
# wrapper per module in formal/. Work directories and formal_report.json in build/formal/.
# Example: make formal FORMAL_PROOFS="input_stage output_stage_hold"
FORMAL_PROOFS ?=

.PHONY: formal
formal: setup ## formal proofs (input stage, sequencer, output stage, top; bounded and inductive) -> build/formal/formal_report.json (FORMAL_PROOFS selects)
	@echo "[formal] yosys + yosys-smtbmc (z3): $(if $(FORMAL_PROOFS),$(FORMAL_PROOFS),every proof)"
	$(PY) -m scripts.formal $(foreach p,$(FORMAL_PROOFS),--proof $(p))
