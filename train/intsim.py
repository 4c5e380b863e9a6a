"""Torch integer simulation of an exported QuantNetwork or CnnNetwork (ARCHITECTURE.md sections 1
and 9), int64 throughout. Used for fast validation during training; equality with the golden
model (model.inference.predict) is asserted after every export."""

from __future__ import annotations

import numpy as np
import torch

from model.cnn import POOL, CnnNetwork, dense
from model.network import QuantNetwork


class IntegerSimulation:
    def __init__(self, net: QuantNetwork) -> None:
        cnn = isinstance(net, CnnNetwork)
        self.input_shape = net.input_shape if cnn else None
        specs = net.specs if cnn else [dense(layer.n_out) for layer in net.layers]
        layers = iter(net.layers)
        self.steps = []  # (kind, weights, bias, mult, shift, bounds, padding); pooling and flatten: (kind,)
        for spec in specs:
            if not spec.weighted:
                self.steps.append((spec.kind,))
                continue
            layer = next(layers)
            weights = torch.from_numpy(np.array(layer.weights))
            bias, mult = torch.from_numpy(np.array(layer.bias)), torch.from_numpy(np.array(layer.mult))
            if spec.kind == "conv2d":  # rows (ky, kx, c) -> [C_out, C_in, ky, kx]; NCHW maps: channels on dim 1
                weights = weights.reshape(layer.n_out, spec.kernel, spec.kernel, -1).permute(0, 3, 1, 2).double()
                bias, mult = bias.reshape(-1, 1, 1), mult.reshape(-1, 1, 1)
            else:
                weights = weights.T.contiguous()
            bounds = None if layer.activation == "none" else layer.out_format
            self.steps.append((spec.kind, weights, bias, mult, layer.req_shift, bounds, spec.padding))

    def logits(self, images) -> torch.Tensor:
        """int64 logits [N, n_classes] for uint8 images [N, 784]."""
        x = torch.as_tensor(np.asarray(images)).long()
        if self.input_shape is not None:  # channel-last pixels to NCHW
            x = x.reshape(len(x), *self.input_shape).permute(0, 3, 1, 2)
        for kind, *params in self.steps:
            if kind == "maxpool2d":
                n, c, h, w = x.shape
                x = x.reshape(n, c, h // POOL, POOL, w // POOL, POOL).amax((3, 5))
            elif kind == "flatten":  # channel-last order, as the golden model's maps
                x = x.permute(0, 2, 3, 1).flatten(1)
            else:
                weights, bias, mult, shift, bounds, padding = params
                if kind == "conv2d":
                    # float64 is exact: every partial sum is an integer below 2**53 (model.inference.accumulate)
                    acc = torch.nn.functional.conv2d(x.double(), weights, padding=padding).long() + bias
                else:
                    acc = x @ weights + bias
                x = acc if bounds is None else ((acc * mult + (1 << (shift - 1))) >> shift).clamp(bounds.min, bounds.max)
        return x

    def predict(self, images, batch: int = 1000) -> np.ndarray:
        """Predicted classes int64 [N]; torch.argmax keeps the first maximum (lowest index on ties)."""
        return torch.cat([self.logits(images[i:i + batch]).argmax(-1) for i in range(0, len(images), batch)]).numpy()
