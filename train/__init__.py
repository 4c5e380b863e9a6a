"""Delta-aware training in PyTorch: float pre-training, then quantisation-aware training of the
exact integer network (delta-compressed weights, 8-bit activations) that model/ exports."""
