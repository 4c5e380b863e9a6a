"""Synthesised netlists of deltamac_top simulated against the golden model (make sim-netlist)."""
