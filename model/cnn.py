"""Convolutional networks on the per-layer contract (ARCHITECTURE.md section 9).

A CNN is a list of entries, `conv2d`, `maxpool2d`, `flatten` and `dense`, over channel-last
row-major feature maps: element (y, x, c) of an H x W x C map is at index (y*W + x)*C + c. The
conv2d and dense entries are the network's layers (QuantLayers, in order); a conv2d layer's
weight row j holds output channel j's kh*kw*C_in weights in the order (ky, kx, c), index
(ky*kw + kx)*C_in + c, so its rows are stored, grouped and requantised exactly like a dense
layer's with n_in = kh*kw*C_in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from model.formats import ACT_BITS
from model.network import NetworkError, QuantNetwork

KINDS = ("conv2d", "maxpool2d", "flatten", "dense")
WEIGHTED = ("conv2d", "dense")
KERNELS = (1, 3, 5)  # square, odd (so 'same' padding is symmetric), stride 1
PADDINGS = ("same", "valid")
POOL = 2  # maxpool2d: 2x2 windows, stride 2
MNIST_INPUT = (28, 28, 1)

_ENTRY = re.compile(r"conv(\d+)x(\d+):(\d+)(?::(\w+))?|maxpool(\d+)x(\d+)|flatten|dense:(\d+)")


class CnnError(NetworkError):
    """A CNN layer list or geometry the contract does not allow; the message names the entry."""


@dataclass(frozen=True)
class LayerSpec:
    """One entry of a CNN: kind, its outputs (conv2d: channels, dense: n_out), conv2d's kernel and padding."""

    kind: str
    out: int | None = None
    kernel: int | None = None
    padding: str | None = None

    @property
    def weighted(self) -> bool:
        return self.kind in WEIGHTED

    def label(self) -> str:
        """The entry as parse_layers reads it."""
        if self.kind == "conv2d":
            padding = "" if self.padding == "same" else f":{self.padding}"
            return f"conv{self.kernel}x{self.kernel}:{self.out}{padding}"
        if self.kind == "maxpool2d":
            return f"maxpool{POOL}x{POOL}"
        return "flatten" if self.kind == "flatten" else f"dense:{self.out}"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "out": self.out, "kernel": self.kernel, "padding": self.padding}


def conv2d(out: int, kernel: int = 3, padding: str = "same") -> LayerSpec:
    return LayerSpec("conv2d", out, kernel, padding)


def dense(out: int) -> LayerSpec:
    return LayerSpec("dense", out)


MAXPOOL2D, FLATTEN = LayerSpec("maxpool2d"), LayerSpec("flatten")


def parse_layers(text: str) -> tuple[LayerSpec, ...]:
    """Entries from `conv3x3:8,maxpool2x2,conv3x3:16:valid,maxpool2x2,flatten,dense:10`
    (conv<k>x<k>:<C_out>[:same|valid], maxpool2x2, flatten, dense:<n_out>); shapes are checked
    by layer_shapes."""
    specs = []
    for position, entry in enumerate(part.strip().lower() for part in str(text).split(",")):
        match = _ENTRY.fullmatch(entry)
        if match is None:
            raise CnnError(f"CNN layers {text!r}, entry {position} {entry!r}: expected conv<k>x<k>:<channels>[:same|valid], "
                           "maxpool2x2, flatten or dense:<outputs>")
        kh, kw, channels, padding, ph, pw, outputs = match.groups()
        if kh is not None:
            if kh != kw:
                raise CnnError(f"CNN layers {text!r}, entry {position} ({entry}): kernels are square, got {kh}x{kw}")
            specs.append(conv2d(int(channels), int(kh), padding or "same"))
        elif ph is not None:
            if (int(ph), int(pw)) != (POOL, POOL):
                raise CnnError(f"CNN layers {text!r}, entry {position} ({entry}): only {POOL}x{POOL} max pooling "
                               f"(stride {POOL}) is supported")
            specs.append(MAXPOOL2D)
        else:
            specs.append(FLATTEN if entry == "flatten" else dense(int(outputs)))
    return tuple(specs)


def format_layers(specs) -> str:
    return ",".join(spec.label() for spec in specs)


def layer_shapes(input_shape, specs) -> tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]:
    """(input shape, output shape) of every entry: (H, W, C) maps, (n,) after flatten. Raises
    CnnError naming the entry for a kind, kernel, padding, pooling or order the contract refuses."""
    shape = tuple(int(n) for n in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise CnnError(f"CNN input shape must be (H, W, C) with positive sides, got {input_shape!r}")
    specs = tuple(specs)
    if not specs or specs[-1].kind != "dense":
        raise CnnError(f"a CNN ends with a dense layer (its outputs are the logits), got "
                       f"{format_layers(specs) or 'no layers'!r}")
    shapes = []
    for position, spec in enumerate(specs):
        where = f"CNN entry {position} ({spec.label() if spec.kind in KINDS else spec.kind})"
        if spec.kind not in KINDS:
            raise CnnError(f"{where}: unknown layer kind; expected one of {', '.join(KINDS)}")
        is_map = len(shape) == 3
        if spec.kind == "dense":
            if is_map:
                raise CnnError(f"{where}: its input is a {_describe(shape)} feature map; add a flatten entry before it")
            out = (_positive(spec.out, where, "outputs"),)
        elif not is_map:
            raise CnnError(f"{where}: its input is flat ({shape[0]} values, after flatten); {spec.kind} needs a feature map")
        elif spec.kind == "conv2d":
            out = _conv_shape(shape, spec, where)
        elif spec.kind == "maxpool2d":
            height, width, channels = shape
            if height % POOL or width % POOL:
                raise CnnError(f"{where}: the {_describe(shape)} map has an odd side; {POOL}x{POOL} pooling with stride "
                               f"{POOL} needs even sides (no rule drops or pads a row or column): change the padding "
                               "or the layers before it")
            out = (height // POOL, width // POOL, channels)
        else:
            out = (shape[0] * shape[1] * shape[2],)
        shapes.append((shape, out))
        shape = out
    return tuple(shapes)


def _describe(shape) -> str:
    return "x".join(str(n) for n in shape)


def _positive(value, where: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise CnnError(f"{where}: {what} must be a positive integer, got {value!r}")
    return int(value)


def _conv_shape(shape, spec: LayerSpec, where: str) -> tuple[int, int, int]:
    height, width, _ = shape
    if spec.kernel not in KERNELS:
        raise CnnError(f"{where}: kernel {spec.kernel}x{spec.kernel} is not supported; supported: "
                       f"{', '.join(f'{k}x{k}' for k in KERNELS)} (square, odd, stride 1)")
    if spec.padding not in PADDINGS:
        raise CnnError(f"{where}: padding {spec.padding!r} is unknown; expected one of: {', '.join(PADDINGS)}")
    channels = _positive(spec.out, where, "output channels")
    if spec.padding == "same":
        return height, width, channels
    if min(height, width) < spec.kernel:
        raise CnnError(f"{where}: 'valid' padding needs a map of at least {spec.kernel}x{spec.kernel}, "
                       f"the input is {_describe(shape)}")
    return height - spec.kernel + 1, width - spec.kernel + 1, channels


def weight_rows(input_shape, specs) -> tuple[tuple[int, int], ...]:
    """(n_in, n_out) of each layer's weight matrix: conv2d (kh*kw*C_in, C_out), dense (n_in, n_out)."""
    rows = []
    for spec, (shape, out) in zip(specs, layer_shapes(input_shape, specs)):
        if spec.kind == "conv2d":
            rows.append((spec.kernel * spec.kernel * shape[2], out[2]))
        elif spec.kind == "dense":
            rows.append((shape[0], out[0]))
    return tuple(rows)


def patches(maps: np.ndarray, kernel: int, padding: str) -> np.ndarray:
    """im2col of channel-last maps [N, H, W, C]: [N, H', W', kernel*kernel*C], the patch of output
    (y, x) in the conv weight order (ky, kx, c) over the zero-padded input (a view where possible)."""
    pad = (kernel - 1) // 2 if padding == "same" else 0
    if pad:
        maps = np.pad(maps, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(maps, (kernel, kernel), axis=(1, 2))  # [N, H', W', C, ky, kx]
    n, out_h, out_w = windows.shape[:3]
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(n, out_h, out_w, -1)


def maxpool2d(maps: np.ndarray) -> np.ndarray:
    """2x2 max pooling with stride 2 of channel-last maps [N, H, W, C] with even H and W."""
    n, height, width, channels = maps.shape
    return maps.reshape(n, height // POOL, POOL, width // POOL, POOL, channels).max(axis=(2, 4))


@dataclass(frozen=True, eq=False)
class CnnNetwork(QuantNetwork):
    """A QuantNetwork whose layers are the conv2d and dense entries of `specs` over an
    `input_shape` (H, W, C) image; every per-layer rule of QuantNetwork holds, and the weight
    matrices must match the feature-map geometry (layer_shapes)."""

    specs: tuple[LayerSpec, ...]
    input_shape: tuple[int, int, int] = MNIST_INPUT
    shapes: tuple = field(init=False, repr=False)  # layer_shapes of the entries
    positions: tuple[int, ...] = field(init=False, repr=False)  # entry of each layer

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_shape", tuple(int(n) for n in self.input_shape))
        object.__setattr__(self, "specs", tuple(self.specs))
        object.__setattr__(self, "shapes", layer_shapes(self.input_shape, self.specs))
        weighted = [position for position, spec in enumerate(self.specs) if spec.weighted]
        if len(weighted) != len(tuple(self.layers)):
            raise CnnError(f"CNN {format_layers(self.specs)!r} has {len(weighted)} conv2d/dense layers, "
                           f"got {len(tuple(self.layers))} QuantLayers")
        object.__setattr__(self, "positions", tuple(weighted))
        super().__post_init__()

    @property
    def topology(self) -> tuple[int, ...]:
        """Values of the input and of every entry's output (784, ..., n_classes)."""
        return (int(np.prod(self.input_shape)), *(int(np.prod(out)) for _, out in self.shapes))

    def input_problem(self, index: int) -> str | None:
        position = self.positions[index]
        spec, (shape, _) = self.specs[position], self.shapes[position]
        n_in = self.layers[index].n_in
        if spec.kind == "conv2d":
            expected = spec.kernel * spec.kernel * shape[2]
            if n_in != expected:
                return (f"{spec.label()} (CNN entry {position}) has n_in={n_in} weights per output channel, but a "
                        f"{spec.kernel}x{spec.kernel} kernel over its {shape[2]} input channels ({_describe(shape)} map) "
                        f"needs {expected}")
        elif n_in != shape[0]:
            return f"{spec.label()} (CNN entry {position}) has n_in={n_in}, but its flattened input has {shape[0]} values"
        if self.layers[index].n_out != spec.out:
            return f"{spec.label()} (CNN entry {position}) declares {spec.out} outputs, its weights have {self.layers[index].n_out} rows"
        return None


def feature_map_bits(net: CnnNetwork) -> int:
    """Bits of the largest feature map (the input pixels or an entry's output, the logits aside)
    at its activation width: one feature-map buffer of a layer-by-layer engine."""
    bits, largest, layers = ACT_BITS, int(np.prod(net.input_shape)) * ACT_BITS, iter(net.layers)
    for spec, (_, out) in zip(net.specs[:-1], net.shapes[:-1]):
        if spec.weighted:
            bits = next(layers).act_bits
        largest = max(largest, int(np.prod(out)) * bits)
    return largest
