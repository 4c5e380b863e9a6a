"""Bit-exact integer inference: the reference the RTL and the training simulation must equal.

Per layer (ARCHITECTURE.md section 1):
  acc[j] = sum_i w[j,i] * a[i] + b[j]                  exact, |acc| <= 2 * sum_bound (asserted)
  hidden layers: y[j] = clamp(((acc[j] * M[j]) + 2**(k-1)) >> k, lo, hi)
  last layer: logits = acc; prediction = argmax, ties to the lowest index.
"""

from __future__ import annotations

import numpy as np

from model.formats import ACT_BITS, MAX_ACC_BITS, PIXEL_FORMAT, FormatError, activation_format
from model.cnn import CnnNetwork, maxpool2d, patches
from model.network import QuantLayer, QuantNetwork

RUN_BATCH = 500  # images per run_network step


def requantize(acc, mult, shift: int, out_signed: bool, bits: int = ACT_BITS) -> np.ndarray:
    """Requantise accumulators to `bits`-bit activations (2..8), exactly as the RTL does.

    acc: int64 [..., n_out]; mult: the unsigned 16-bit per-channel multipliers M [n_out];
    shift: the per-layer k in 1..62. Computes (acc * M + 2**(k-1)) >> k with an arithmetic
    (flooring) shift of the exact product, i.e. acc * M / 2**k rounded half up (towards
    +infinity: -2.5 -> -2, 2.5 -> 3), then saturates to [-2**(bits-1), 2**(bits-1)-1] when
    out_signed (clamp) or [0, 2**bits-1] otherwise (relu). No wrap-around. |acc| < 2**(MAX_ACC_BITS-1) keeps the sum
    below 2**62, so int64 is exact.
    """
    acc = np.asarray(acc, dtype=np.int64)
    mult = np.asarray(mult, dtype=np.int64)
    if not 1 <= shift <= 62:
        raise FormatError(f"requantize: shift must be in 1..62, got {shift}")
    if acc.size and int(np.abs(acc).max()) >= 1 << (MAX_ACC_BITS - 1):
        raise AssertionError(f"requantize: |acc| = {int(np.abs(acc).max())} needs more than {MAX_ACC_BITS} bits")
    out = activation_format("clamp" if out_signed else "relu", bits)
    scaled = (acc * mult + (1 << (shift - 1))) >> shift
    return np.clip(scaled, out.min, out.max)


def accumulate(layer: QuantLayer, inputs: np.ndarray, weight_bits: int) -> np.ndarray:
    """acc [N, n_out] for integer inputs [N, n_in]; asserts the accumulator bound.

    The dot products run in float64 BLAS: every partial sum is an integer of magnitude at most
    sum_bound < 2**39 < 2**53, so each float operation is exact whatever the summation order.
    """
    products = (np.asarray(inputs, dtype=np.float64) @ layer.weights.T.astype(np.float64)).astype(np.int64)
    acc = products + layer.bias
    limit = 2 * layer.sum_bound(weight_bits)
    if acc.size and int(np.abs(acc).max()) > limit:
        raise AssertionError(f"accumulator {int(np.abs(acc).max())} exceeds the bound 2*sum_bound = {limit}")
    return acc


def check_images(net: QuantNetwork, images) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim != 2 or images.shape[1] != net.topology[0]:
        raise FormatError(f"images: expected shape [N, {net.topology[0]}], got {images.shape}")
    if not np.issubdtype(images.dtype, np.integer):
        raise FormatError(f"images: expected uint8 pixels, got dtype {images.dtype}")
    PIXEL_FORMAT.check(images, "images")
    return images.astype(np.int64)


def layer_output(layer: QuantLayer, inputs: np.ndarray, weight_bits: int) -> np.ndarray:
    """One layer on its integer inputs [..., n_in]: requantised activations [..., n_out] of a
    hidden layer, the logits of the last."""
    acc = accumulate(layer, inputs.reshape(-1, layer.n_in), weight_bits).reshape(*inputs.shape[:-1], layer.n_out)
    if layer.activation == "none":
        return acc
    return requantize(acc, layer.mult, layer.req_shift, layer.out_signed, layer.act_bits)


def layer_activations(net: QuantNetwork, images) -> list[np.ndarray]:
    """Each layer's output, int64: requantised activations [N, n_out] for hidden layers, logits last.
    A CnnNetwork gives one output per entry (ARCHITECTURE.md section 9): maps [N, H, W, C]
    (channel-last), flat [N, n] after flatten."""
    x = check_images(net, images)
    if isinstance(net, CnnNetwork):
        return _cnn_activations(net, x)
    outputs = []
    for layer, fmt in zip(net.layers, net.formats):
        x = layer_output(layer, x, fmt.weight_bits)
        outputs.append(x)
    return outputs


def _cnn_activations(net: CnnNetwork, x: np.ndarray) -> list[np.ndarray]:
    x = x.reshape(len(x), *net.input_shape)
    outputs, layers = [], iter(zip(net.layers, net.formats))
    for spec in net.specs:
        if spec.kind == "conv2d":
            layer, fmt = next(layers)
            # float64 patches: accumulate's exact float64 product takes them without another copy
            x = layer_output(layer, patches(x.astype(np.float64), spec.kernel, spec.padding), fmt.weight_bits)
        elif spec.kind == "dense":
            layer, fmt = next(layers)
            x = layer_output(layer, x, fmt.weight_bits)
        elif spec.kind == "maxpool2d":
            x = maxpool2d(x)
        else:
            x = x.reshape(len(x), -1)
        outputs.append(x)
    return outputs


def run_network(net: QuantNetwork, images, batch: int = RUN_BATCH) -> np.ndarray:
    """Logits int64 [N, n_classes] for uint8 images [N, n_in], `batch` images at a time (a
    CNN's feature maps of every image at once would not fit in memory)."""
    images = np.asarray(images)
    if len(images) <= batch:
        return layer_activations(net, images)[-1]
    return np.concatenate([layer_activations(net, images[i:i + batch])[-1] for i in range(0, len(images), batch)])


def predict(net: QuantNetwork, images) -> np.ndarray:
    """Predicted classes int64 [N]: argmax of the logits, ties to the lowest index."""
    return np.argmax(run_network(net, images), axis=1).astype(np.int64)
