"""Seeded random networks for RTL and export tests, calibrated so activations are varied.

Weights are drawn in the delta domain (random references and deltas) and projected to the
nearest representable weights, so every scheme stores them without error. Biases centre
each neuron's accumulator on the calibration images (about half the relu outputs are
positive, clamp outputs are balanced) and the multipliers map the 99th percentile to 90 % of
the output range, so hidden activations spread over their range instead of sitting at 0/255.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from model.delta import project_layer
from model.formats import ACT_BITS, MULT_FORMAT, DeltaFormat, FormatError, Scheme, activation_format
from model.inference import accumulate, requantize
from model.network import QuantLayer, QuantNetwork

DEFAULT_DELTA = DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, None)
CALIBRATION_IMAGES = 256  # random pixel images when no calibration set is given
TARGET_FILL = 0.9  # the 99th percentile of a neuron's output lands at this fraction of the range


def _per_layer(value, count: int, what: str) -> list:
    if isinstance(value, (str, int, np.integer, DeltaFormat)):
        return [value] * count
    values = list(value)
    if len(values) != count:
        raise FormatError(f"random_network: {what} needs {count} values (one per layer), got {len(values)}")
    return values


def _random_weights(rng, n_out: int, n_in: int, fmt: DeltaFormat, delta_shift: int) -> np.ndarray:
    wfmt, dfmt = fmt.weight_format, fmt.delta_format
    if fmt.scheme == Scheme.PLAIN:
        return rng.integers(wfmt.min, wfmt.max + 1, size=(n_out, n_in))
    group = fmt.group_size(n_in)
    refs = rng.integers(wfmt.min // 2, wfmt.max // 2 + 1, size=(n_out, n_in // group, 1))
    steps = rng.integers(dfmt.min, dfmt.max + 1, size=(n_out, n_in // group, group)) << delta_shift
    if fmt.scheme == Scheme.CONSECUTIVE:
        steps = np.cumsum(steps, axis=-1)
    # A walk or a reference near the edge can leave the weight range: projection pulls it back.
    weights, _ = project_layer((refs + steps).reshape(n_out, n_in), fmt, delta_shift)
    return weights


def _calibrated_scale(centred: np.ndarray, activation: str, bits: int) -> tuple[np.ndarray, int]:
    """Per-channel M and one shift k mapping the 99th percentile to TARGET_FILL of the range."""
    out = activation_format(activation, bits)
    spread = np.percentile(np.abs(centred) if out.signed else np.maximum(centred, 0), 99, axis=0)
    factor = TARGET_FILL * out.max / np.maximum(spread, 1.0)
    shift = int(np.clip(np.floor(np.log2(MULT_FORMAT.max / factor.max())), 1, 62))
    mult = np.clip(np.rint(factor * 2.0**shift), 1, MULT_FORMAT.max).astype(np.int64)
    return mult, shift


def random_network(
    topology: Sequence[int] = (784, 32, 10),
    delta: DeltaFormat | Sequence[DeltaFormat] = DEFAULT_DELTA,
    seed: int = 0,
    calibration=None,
    delta_shift: int | Sequence[int] = 0,
    activation: str | Sequence[str] = "relu",
    act_bits: int | Sequence[int] = ACT_BITS,
) -> QuantNetwork:
    """A valid QuantNetwork with seeded weights; calibration: uint8 images [N, topology[0]].

    delta: one weight format, or one per layer. activation: "relu" or "clamp" for every hidden
    layer, or one per hidden layer (a clamp layer makes the next layer's inputs signed).
    act_bits: output width of every hidden layer, or one per hidden layer.
    """
    topology = [int(n) for n in topology]
    if len(topology) < 2 or min(topology) < 1:
        raise FormatError(f"random_network: topology needs >= 2 positive sizes, got {topology}")
    n_layers = len(topology) - 1
    shifts = _per_layer(delta_shift, n_layers, "delta_shift")
    formats = _per_layer(delta, n_layers, "delta")
    activations = _per_layer(activation, n_layers - 1, "activation") + ["none"]
    widths = _per_layer(act_bits, n_layers - 1, "act_bits") + [ACT_BITS]
    rng = np.random.default_rng(seed)
    if calibration is None:
        calibration = rng.integers(0, 256, size=(CALIBRATION_IMAGES, topology[0]), dtype=np.uint8)
    x = np.asarray(calibration).astype(np.int64)
    if x.ndim != 2 or x.shape[1] != topology[0]:
        raise FormatError(f"random_network: calibration images must be [N, {topology[0]}], got {x.shape}")
    layers, in_signed, in_bits = [], False, ACT_BITS
    for index, (n_in, n_out) in enumerate(zip(topology[:-1], topology[1:])):
        fmt, bits = formats[index], widths[index]
        weights = _random_weights(rng, n_out, n_in, fmt, shifts[index])
        zeros = np.zeros(n_out, np.int64)
        probe = QuantLayer(weights, zeros, zeros, 0, shifts[index], activations[index], in_signed, bits, in_bits)
        raw = accumulate(probe, x, fmt.weight_bits)
        bound = probe.sum_bound(fmt.weight_bits)
        bias = np.clip(-np.rint(np.median(raw, axis=0)), -bound, bound).astype(np.int64)
        if activations[index] == "none":
            mult, req_shift = zeros, 0
        else:
            mult, req_shift = _calibrated_scale(raw + bias, activations[index], bits)
        layer = QuantLayer(weights, bias, mult, req_shift, shifts[index], activations[index], in_signed, bits, in_bits)
        layers.append(layer)
        if activations[index] != "none":
            x = requantize(raw + bias, mult, req_shift, layer.out_signed, bits)
        in_signed, in_bits = layer.out_signed, bits
    return QuantNetwork(tuple(layers), tuple(formats))
