"""The trainable MLP: a float network with BatchNorm, then quantisation-aware training of
exactly the integer network that gets exported.

Quantised forward pass (per layer, ARCHITECTURE.md section 1 in float units):
  * BatchNorm (frozen statistics, learned gamma/beta) and, for layer 0, the input
    normalisation are folded into effective weights/bias acting on raw uint8 pixels;
  * weights = alpha_j * w_int with w_int the projection onto the delta format (alpha: learned
    per-channel scale, one shared scale for the last layer because logits are compared raw);
  * bias = alpha_j * s_in * b_int (b_int the exported integer bias);
  * hidden outputs = s_out * clamp(round_half_up(z / s_out)), s_out a learned per-layer scale,
    which is the golden model's requantisation with M/2**k = alpha_j * s_in / s_out.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from model.formats import ACT_BITS, DeltaFormat, FixedFormat, activation_format, sum_bound
from model.cnn import POOL, CnnNetwork, layer_shapes
from model.network import QuantLayer, QuantNetwork
from train.quant import fake_quant_round, fake_quant_weights, max_delta_shift, project, requant_params

PIXEL_MAX = 255.0
# Candidate scales, as multiples of "the row's largest weight maps to the largest integer",
# searched per row (x delta shift) when quantisation starts: quarter-octave steps.
SCALE_SEARCH_STEPS_PER_OCTAVE = 4
RELU_CALIBRATION_QUANTILE = 0.9999


class DeltaNet(nn.Module):
    """What the MLP and the CNN share: BatchNorm folding, the delta-aware weight and activation
    fake quantisation, calibration and the integer network. A subclass says how its layers
    (`weight_modules`, each with a BatchNorm but the last) apply their weights, as matrices in
    the contract's row order (`weight_matrix`, `apply_layer`), and what comes between them
    (`prepare`)."""

    def __init__(self, activation: str, formats: tuple[DeltaFormat, ...] | None, act_bits, n_hidden: int) -> None:
        super().__init__()
        if activation not in ("relu", "hardtanh"):
            raise ValueError(f"unknown activation {activation!r}; expected relu or hardtanh")
        self.activation, self.formats = activation, formats
        self.act_bits = tuple(act_bits) if act_bits is not None else (ACT_BITS,) * n_hidden

    def init_quantization(self, n_outs, pixel_mean: float, pixel_std: float) -> None:
        """The quantisation parameters and buffers, after the subclass made its layers."""
        n_layers = len(n_outs)
        self.weight_log_scales = nn.ParameterList(
            nn.Parameter(torch.zeros(n_out if index < n_layers - 1 else 1)) for index, n_out in enumerate(n_outs)
        )
        self.act_log_scales = nn.Parameter(torch.zeros(n_layers - 1))
        self.register_buffer("pixel_mean", torch.tensor(float(pixel_mean)))
        self.register_buffer("pixel_std", torch.tensor(float(pixel_std)))
        self.register_buffer("delta_shifts", torch.zeros(n_layers, dtype=torch.long))
        self.register_buffer("quantizing", torch.tensor(False))

    @property
    def weight_modules(self) -> nn.ModuleList:
        raise NotImplementedError

    def weight_matrix(self, index: int) -> torch.Tensor:
        """Layer `index`'s float weights [n_out, n_in] in the contract's column order."""
        return self.weight_modules[index].weight

    def apply_layer(self, index: int, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """Layer `index` with `weight` [n_out, n_in] (weight_matrix's order) on its input."""
        return x @ weight.T + bias

    def prepare(self, index: int, x: torch.Tensor) -> torch.Tensor:
        """What comes before layer `index` (the MLP: nothing; the CNN: pooling, flatten)."""
        return x

    def make_network(self, layers: tuple[QuantLayer, ...]) -> QuantNetwork:
        return QuantNetwork(layers, self.formats)

    @property
    def n_layers(self) -> int:
        return len(self.weight_modules)

    @property
    def act_name(self) -> str:
        """The golden model's name of the hidden activation."""
        return "relu" if self.activation == "relu" else "clamp"

    def hidden_format(self, index: int) -> FixedFormat:
        """The requantised output format of hidden layer `index`."""
        return activation_format(self.act_name, self.act_bits[index])

    def train(self, mode: bool = True):
        super().train(mode)
        if bool(self.quantizing):  # BatchNorm is folded: its statistics stay frozen
            self.norms.eval()
        return self

    def act(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x) if self.activation == "relu" else nn.functional.hardtanh(x)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.forward_quant(pixels) if bool(self.quantizing) else self.forward_float(pixels)

    def forward_float(self, pixels: torch.Tensor, collect: list | None = None) -> torch.Tensor:
        x = (pixels / PIXEL_MAX - self.pixel_mean) / self.pixel_std
        for index, module in enumerate(self.weight_modules):
            x = module(self.prepare(index, x))
            if index < self.n_layers - 1:
                x = self.act(self.norms[index](x))
                if collect is not None:
                    collect.append(x)
        return x

    def folded(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Effective (weight, bias) on the layer's float input: BatchNorm (running statistics)
        folded in, and for layer 0 the input normalisation too (its input is raw pixels)."""
        weight, bias = self.weight_matrix(index), self.weight_modules[index].bias
        if index < self.n_layers - 1:
            norm = self.norms[index]
            gain = norm.weight / torch.sqrt(norm.running_var + norm.eps)
            weight = weight * gain.unsqueeze(-1)
            bias = (bias - norm.running_mean) * gain + norm.bias
        if index == 0:
            bias = bias - weight.sum(-1) * (self.pixel_mean / self.pixel_std)
            weight = weight / (PIXEL_MAX * self.pixel_std)
        return weight, bias

    def quant_layer(self, index: int, in_scale: torch.Tensor, in_signed: bool, in_bits: int):
        """(fake-quantised weight, bias, integer weights, integer bias) of one layer."""
        weight, bias = self.folded(index)
        fmt = self.formats[index]
        weight_q, w_int = fake_quant_weights(weight, self.weight_log_scales[index], fmt, int(self.delta_shifts[index]))
        bias_scale = self.weight_log_scales[index].exp() * in_scale
        bound = float(sum_bound(weight.shape[1], fmt.weight_bits, in_signed, in_bits))
        b_int = fake_quant_round(bias / bias_scale, -bound, bound)
        return weight_q, bias_scale * b_int, w_int, b_int.detach()

    def forward_quant(self, pixels: torch.Tensor) -> torch.Tensor:
        x, in_scale, in_signed, in_bits = pixels, torch.ones(()), False, ACT_BITS
        for index in range(self.n_layers):
            weight_q, bias_q, _, _ = self.quant_layer(index, in_scale, in_signed, in_bits)
            x = self.apply_layer(index, self.prepare(index, x), weight_q, bias_q)
            if index < self.n_layers - 1:
                out = self.hidden_format(index)
                in_scale = self.act_log_scales[index].exp()
                x = in_scale * fake_quant_round(x / in_scale, out.min, out.max)
                in_signed, in_bits = out.signed, out.bits
        return x

    @torch.no_grad()
    def start_quantization(self, calibration_pixels: torch.Tensor) -> None:
        """Switch to quantisation-aware training: calibrate activation scales on float
        activations, then pick each layer's delta shift and per-channel weight scales."""
        if self.formats is None:
            raise ValueError("scheme float has no quantisation")
        self.eval()
        hidden: list[torch.Tensor] = []
        self.forward_float(calibration_pixels, collect=hidden)
        for index, activations in enumerate(hidden):
            out = self.hidden_format(index)
            if self.activation == "relu":
                top = torch.quantile(activations.flatten()[:1_000_000], RELU_CALIBRATION_QUANTILE)
                scale = top.clamp(min=1e-3) / out.max
            else:
                scale = torch.tensor(1.0 / -out.min)  # hardtanh's range [-1, 1]
            self.act_log_scales[index] = scale.log()
        for index in range(self.n_layers):
            weight, _ = self.folded(index)
            shift, log_scale = search_weight_scale(weight, self.formats[index], per_channel=index < self.n_layers - 1)
            self.delta_shifts[index] = shift
            self.weight_log_scales[index].copy_(log_scale)
        self.quantizing.fill_(True)

    @torch.no_grad()
    def to_quant_network(self) -> QuantNetwork:
        """The integer network this model computes (same code path as the forward pass)."""
        if not bool(self.quantizing):
            raise ValueError("to_quant_network needs a model in quantisation-aware mode")
        layers, in_scale, in_signed, in_bits = [], torch.ones(()), False, ACT_BITS
        for index in range(self.n_layers):
            _, _, w_int, b_int = self.quant_layer(index, in_scale, in_signed, in_bits)
            last = index == self.n_layers - 1
            if last:
                mult, shift, activation = torch.zeros(w_int.shape[0], dtype=torch.long), 0, "none"
                act_bits = ACT_BITS
            else:
                out_scale = self.act_log_scales[index].exp()
                ratio = self.weight_log_scales[index].exp().double() * in_scale.double() / out_scale.double()
                mult, shift = requant_params(ratio)
                activation, act_bits = self.act_name, self.act_bits[index]
            layers.append(QuantLayer(
                weights=w_int.long().numpy(), bias=b_int.long().numpy(), mult=mult.numpy(),
                req_shift=shift, delta_shift=int(self.delta_shifts[index]),
                activation=activation, in_signed=in_signed, act_bits=act_bits, in_bits=in_bits,
            ))
            if not last:
                in_scale, in_signed, in_bits = out_scale, self.hidden_format(index).signed, act_bits
        return self.make_network(tuple(layers))


class DeltaMLP(DeltaNet):
    def __init__(self, sizes: tuple[int, ...], activation: str, formats: tuple[DeltaFormat, ...] | None,
                 pixel_mean: float, pixel_std: float, act_bits: tuple[int, ...] | None = None) -> None:
        """formats: each layer's weight format (None: float only); act_bits: each hidden layer's
        output width (default 8 everywhere)."""
        super().__init__(activation, formats, act_bits, len(sizes) - 2)
        self.sizes = tuple(sizes)
        self.linears = nn.ModuleList(nn.Linear(n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:]))
        self.norms = nn.ModuleList(nn.BatchNorm1d(n) for n in sizes[1:-1])
        self.init_quantization(sizes[1:], pixel_mean, pixel_std)

    @property
    def weight_modules(self) -> nn.ModuleList:
        return self.linears


class DeltaCNN(DeltaNet):
    """A CNN (model.cnn layer specs) on NCHW float maps: conv2d, BatchNorm2d, activation per hidden
    conv layer; maxpool2d and flatten (channel-last order, ARCHITECTURE.md section 9) between
    layers. The input is scaled but not centred (pixel_mean 0): the zero padding of raw pixels is
    then the zero padding of the float network, so the input scaling folds into layer 0 exactly."""

    def __init__(self, specs, input_shape, activation: str, formats: tuple[DeltaFormat, ...] | None,
                 pixel_std: float, act_bits: tuple[int, ...] | None = None) -> None:
        specs, input_shape = tuple(specs), tuple(input_shape)
        weighted = [(spec, shape) for spec, (shape, _) in zip(specs, layer_shapes(input_shape, specs)) if spec.weighted]
        super().__init__(activation, formats, act_bits, len(weighted) - 1)
        self.specs, self.input_shape = specs, input_shape
        self.layers = nn.ModuleList(
            nn.Conv2d(shape[2], spec.out, spec.kernel, padding=spec.padding) if spec.kind == "conv2d"
            else nn.Linear(shape[0], spec.out)
            for spec, shape in weighted
        )
        self.norms = nn.ModuleList(nn.BatchNorm2d(spec.out) if spec.kind == "conv2d" else nn.BatchNorm1d(spec.out)
                                   for spec, _ in weighted[:-1])
        self.preludes, pending = [], []  # the entries before each layer (pooling, flatten)
        for spec in self.specs:
            if spec.weighted:
                self.preludes.append(tuple(pending))
                pending = []
            else:
                pending.append(spec)
        self.init_quantization([spec.out for spec, _ in weighted], 0.0, pixel_std)

    @property
    def weight_modules(self) -> nn.ModuleList:
        return self.layers

    def weight_matrix(self, index: int) -> torch.Tensor:
        weight = self.layers[index].weight
        return weight.permute(0, 2, 3, 1).reshape(weight.shape[0], -1) if weight.dim() == 4 else weight

    def apply_layer(self, index: int, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        module = self.layers[index]
        if isinstance(module, nn.Linear):
            return x @ weight.T + bias
        kernel = module.kernel_size
        weight = weight.reshape(weight.shape[0], *kernel, -1).permute(0, 3, 1, 2)
        return nn.functional.conv2d(x, weight, bias, padding=module.padding)

    def prepare(self, index: int, x: torch.Tensor) -> torch.Tensor:
        if index == 0:  # flat pixels [N, H*W*C], channel-last, to NCHW
            x = x.reshape(len(x), *self.input_shape).permute(0, 3, 1, 2)
        for spec in self.preludes[index]:
            x = nn.functional.max_pool2d(x, POOL) if spec.kind == "maxpool2d" else x.permute(0, 2, 3, 1).flatten(1)
        return x

    def make_network(self, layers: tuple[QuantLayer, ...]) -> QuantNetwork:
        return CnnNetwork(layers, self.formats, specs=self.specs, input_shape=self.input_shape)


def search_weight_scale(weight: torch.Tensor, fmt: DeltaFormat, per_channel: bool) -> tuple[int, torch.Tensor]:
    """(delta shift, log scales) with the least squared projection error: every hardware
    shift 0..max is tried with a grid of scales per row (one shared scale if not per_channel)."""
    max_shift = max_delta_shift(fmt)
    top = float(1 << (fmt.weight_bits - 1))
    reach = weight.abs().amax(-1, keepdim=True) if per_channel else weight.abs().max().reshape(1, 1)
    reach = reach.clamp(min=1e-8)
    # From "largest weight on the largest integer" down to a scale 2**(max_shift+1) times coarser.
    factors = 2.0 ** torch.arange(-1, max_shift + 1 + 1e-9, 1 / SCALE_SEARCH_STEPS_PER_OCTAVE)
    best = (float("inf"), 0, None)
    for shift in range(max_shift + 1):
        best_err = torch.full((reach.shape[0],), float("inf"))
        best_log = torch.zeros(reach.shape[0])
        for factor in factors:
            scale = reach / top * factor / (1 << shift)
            err = ((project(weight / scale, fmt, shift) * scale - weight) ** 2).sum(-1)
            if not per_channel:
                err = err.sum(0, keepdim=True)
            better = err < best_err
            best_err = torch.where(better, err, best_err)
            best_log = torch.where(better, scale.squeeze(-1).log(), best_log)
        total = float(best_err.sum())
        if total < best[0]:
            best = (total, shift, best_log)
    return best[1], best[2]


def predict_forward(model: DeltaNet, pixels: torch.Tensor, batch: int = 4096) -> np.ndarray:
    """Class predictions of the model's current forward pass (float, or fake-quantised during QAT)."""
    model.eval()
    with torch.no_grad():
        return torch.cat([model(pixels[i:i + batch].float()).argmax(-1) for i in range(0, len(pixels), batch)]).numpy()
