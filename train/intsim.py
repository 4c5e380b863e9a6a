"""Torch integer simulation of an exported QuantNetwork (ARCHITECTURE.md section 1), int64
throughout. Used for fast validation during training; equality with the golden model
(model.inference.predict) is asserted after every export."""

from __future__ import annotations

import numpy as np
import torch

from model.network import QuantNetwork


class IntegerSimulation:
    def __init__(self, net: QuantNetwork) -> None:
        self.layers = []
        for layer in net.layers:
            bounds = None if layer.activation == "none" else layer.out_format
            self.layers.append((
                torch.from_numpy(np.array(layer.weights)).T.contiguous(),
                torch.from_numpy(np.array(layer.bias)),
                torch.from_numpy(np.array(layer.mult)),
                layer.req_shift,
                bounds,
            ))

    def logits(self, images) -> torch.Tensor:
        """int64 logits [N, n_classes] for uint8 images [N, 784]."""
        x = torch.as_tensor(np.asarray(images)).long()
        for weights_t, bias, mult, shift, bounds in self.layers:
            acc = x @ weights_t + bias
            x = acc if bounds is None else ((acc * mult + (1 << (shift - 1))) >> shift).clamp(bounds.min, bounds.max)
        return x

    def predict(self, images, batch: int = 5000) -> np.ndarray:
        """Predicted classes int64 [N]; torch.argmax keeps the first maximum (lowest index on ties)."""
        return torch.cat([self.logits(images[i:i + batch]).argmax(-1) for i in range(0, len(images), batch)]).numpy()
