"""The quantised integer network every implementation runs (ARCHITECTURE.md section 1)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model import formats
from model.delta import check_delta_shift, encode_layer
from model.formats import ACT_BITS, MULT_FORMAT, DeltaFormat, FormatError


class NetworkError(FormatError):
    """A network that breaks the contract (shapes, ranges, chaining, bounds)."""


def _int_array(values, ndim: int, what: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != ndim or not np.issubdtype(arr.dtype, np.integer):
        raise NetworkError(f"{what}: expected a {ndim}-D integer array, got shape {arr.shape} dtype {arr.dtype}")
    arr = arr.astype(np.int64)  # a private copy, frozen so the network cannot change after validation
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, eq=False)
class QuantLayer:
    weights: np.ndarray  # int64 [n_out, n_in], decoded integer weights
    bias: np.ndarray  # int64 [n_out]
    mult: np.ndarray  # int64 [n_out], 0..65535 (all 0 for the last layer)
    req_shift: int  # k, 1..62 (0 for the last layer)
    delta_shift: int  # s >= 0
    activation: str  # "relu" | "clamp" | "none" (last layer only)
    in_signed: bool  # input activations signed?
    act_bits: int = ACT_BITS  # output activation width of a hidden layer, 2..8 (ACT_BITS for the last layer)
    in_bits: int = ACT_BITS  # input activation width: 8 for the pixels, else the previous layer's act_bits

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", _int_array(self.weights, 2, "QuantLayer.weights"))
        object.__setattr__(self, "bias", _int_array(self.bias, 1, "QuantLayer.bias"))
        object.__setattr__(self, "mult", _int_array(self.mult, 1, "QuantLayer.mult"))
        object.__setattr__(self, "req_shift", int(self.req_shift))
        object.__setattr__(self, "delta_shift", int(self.delta_shift))
        object.__setattr__(self, "in_signed", bool(self.in_signed))
        object.__setattr__(self, "act_bits", int(self.act_bits))
        object.__setattr__(self, "in_bits", int(self.in_bits))

    @property
    def n_out(self) -> int:
        return self.weights.shape[0]

    @property
    def n_in(self) -> int:
        return self.weights.shape[1]

    @property
    def out_signed(self) -> bool:
        return self.activation == "clamp"

    @property
    def out_format(self) -> formats.FixedFormat:
        """The requantised output format of a hidden layer."""
        return formats.activation_format(self.activation, self.act_bits)

    def sum_bound(self, weight_bits: int) -> int:
        return formats.sum_bound(self.n_in, weight_bits, self.in_signed, self.in_bits)

    def acc_bits(self, weight_bits: int) -> int:
        return formats.acc_bits(self.n_in, weight_bits, self.in_signed, self.in_bits)


@dataclass(frozen=True, eq=False)
class QuantNetwork:
    """An MLP of QuantLayers, validated on construction.

    formats: each layer's weight storage format, or one DeltaFormat for every layer.
    """

    layers: tuple[QuantLayer, ...]
    formats: tuple[DeltaFormat, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))
        given = (self.formats,) * len(self.layers) if isinstance(self.formats, DeltaFormat) else tuple(self.formats)
        object.__setattr__(self, "formats", given)
        self.validate()

    @property
    def core_format(self) -> DeltaFormat:
        """The storage format of the shared-lane core (formats.core_format)."""
        return formats.core_format(self.formats)

    @property
    def uniform(self) -> bool:
        """Every layer has the same weight format and 8-bit activations (the original contract)."""
        return len(set(self.formats)) == 1 and all(layer.act_bits == ACT_BITS for layer in self.layers)

    @property
    def topology(self) -> tuple[int, ...]:
        return (self.layers[0].n_in, *(layer.n_out for layer in self.layers))

    @property
    def n_classes(self) -> int:
        return self.layers[-1].n_out

    @property
    def layer_acc_bits(self) -> tuple[int, ...]:
        return tuple(layer.acc_bits(fmt.weight_bits) for layer, fmt in zip(self.layers, self.formats))

    @property
    def acc_bits(self) -> int:
        """ACC_BITS = BIAS_BITS of the RTL: the widest layer accumulator."""
        return max(self.layer_acc_bits)

    @property
    def rows(self) -> tuple[tuple[int, int], ...]:
        """(n_in, n_out) of every layer's weight matrix: what the ROMs store (model.packing.RomLayout)."""
        return tuple((layer.n_in, layer.n_out) for layer in self.layers)

    def input_problem(self, index: int) -> str | None:
        """Why layer `index` cannot read its input, or None: an MLP layer reads the previous
        layer's outputs (model.cnn.CnnNetwork checks its feature-map geometry instead)."""
        previous = self.layers[index - 1] if index else None
        if previous is not None and self.layers[index].n_in != previous.n_out:
            return f"n_in={self.layers[index].n_in} but layer {index - 1} has n_out={previous.n_out}"
        return None

    def validate(self) -> None:
        """Raise NetworkError (or the EncodeError of the delta format) naming the first broken rule."""
        if not self.layers:
            raise NetworkError("a network needs at least one layer")
        if len(self.formats) != len(self.layers) or not all(isinstance(f, DeltaFormat) for f in self.formats):
            raise NetworkError(f"formats: expected one DeltaFormat, or one per layer ({len(self.layers)}), "
                               f"got {self.formats!r}")
        last = len(self.layers) - 1
        for index, (layer, fmt) in enumerate(zip(self.layers, self.formats)):
            where = f"layer {index}"
            wb = fmt.weight_bits
            if not isinstance(layer, QuantLayer):
                raise NetworkError(f"{where}: expected a QuantLayer, got {type(layer).__name__}")
            problem = self.input_problem(index)
            if problem:
                raise NetworkError(f"{where}: {problem}")
            for name in ("bias", "mult"):
                if getattr(layer, name).shape != (layer.n_out,):
                    raise NetworkError(
                        f"{where}: {name} has shape {getattr(layer, name).shape}, expected ({layer.n_out},)"
                    )
            expected_in_signed = index > 0 and self.layers[index - 1].out_signed
            if layer.in_signed != expected_in_signed:
                source = "pixels are unsigned" if index == 0 else f"layer {index - 1} is {self.layers[index - 1].activation}"
                raise NetworkError(f"{where}: in_signed={layer.in_signed} but {source}")
            expected_in_bits = ACT_BITS if index == 0 else self.layers[index - 1].act_bits
            if layer.in_bits != expected_in_bits:
                source = f"pixels have {ACT_BITS} bits" if index == 0 else f"layer {index - 1} outputs {expected_in_bits} bits"
                raise NetworkError(f"{where}: in_bits={layer.in_bits} but {source}")
            if index == last:
                if layer.activation != "none" or layer.req_shift != 0 or np.any(layer.mult != 0):
                    raise NetworkError(
                        f"{where} (last): logits are not requantised; expected activation 'none', req_shift 0 "
                        f"and all multipliers 0, got {layer.activation!r}, {layer.req_shift}, "
                        f"mult max {int(layer.mult.max(initial=0))}"
                    )
                if layer.act_bits != ACT_BITS:
                    raise NetworkError(f"{where} (last): logits are not requantised, act_bits must stay {ACT_BITS}, "
                                       f"got {layer.act_bits}")
            else:
                if layer.activation not in formats.ACTIVATIONS:
                    raise NetworkError(
                        f"{where}: hidden activation must be one of {formats.ACTIVATIONS}, got {layer.activation!r}"
                    )
                try:
                    formats.check_act_bits(layer.act_bits, where)
                except FormatError as exc:
                    raise NetworkError(str(exc)) from None
                if not formats.MIN_REQ_SHIFT <= layer.req_shift <= formats.MAX_REQ_SHIFT:
                    raise NetworkError(
                        f"{where}: req_shift must be in {formats.MIN_REQ_SHIFT}..{formats.MAX_REQ_SHIFT}, "
                        f"got {layer.req_shift}"
                    )
                MULT_FORMAT.check(layer.mult, f"{where} multiplier")
            check_delta_shift(fmt, layer.delta_shift, index)
            bound = layer.sum_bound(wb)
            too_big = np.abs(layer.bias) > bound
            if np.any(too_big):
                row = int(np.argmax(too_big))
                raise NetworkError(f"{where}, row {row}: bias {layer.bias[row]} exceeds |b| <= sum_bound = {bound}")
            if layer.acc_bits(wb) > formats.MAX_ACC_BITS:
                raise NetworkError(
                    f"{where}: accumulator needs {layer.acc_bits(wb)} bits, more than {formats.MAX_ACC_BITS} "
                    f"(acc * M must fit int64); use fewer inputs or weight bits"
                )
            encode_layer(layer.weights, fmt, layer.delta_shift, index)


def describe_precision(net: QuantNetwork) -> str:
    """The network's per-layer precision as a bits spec (formats.parse_bits_spec reads it back)."""
    return formats.format_bits_spec(
        formats.LayerPrecision(fmt.weight_bits, layer.in_bits, None if fmt.scheme == formats.Scheme.PLAIN else fmt.delta_bits)
        for layer, fmt in zip(net.layers, net.formats)
    )
