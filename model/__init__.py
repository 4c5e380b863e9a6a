"""deltamac golden model: bit-exact NumPy integer inference, delta formats and ROM export.

NumPy only (never torch), so the RTL flow and the testbenches can use it without training
dependencies. See docs/ARCHITECTURE.md for the contract and docs/model.md for the details.
"""
