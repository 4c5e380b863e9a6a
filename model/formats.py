"""Number formats shared by the golden model, the export and the RTL (ARCHITECTURE.md sections 1-2)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

import numpy as np

ACT_BITS = 8  # pixels, and the widest activation (the activation buffer's width)
MIN_ACT_BITS, MAX_ACT_BITS = 2, ACT_BITS  # a hidden layer's output activation width
MULT_BITS = 16
# acc * M must fit int64: acc_bits + MULT_BITS + headroom for the rounding term stays below 64.
MAX_ACC_BITS = 40
MIN_WEIGHT_BITS, MAX_WEIGHT_BITS = 2, 16
MIN_DELTA_BITS, MAX_DELTA_BITS = 1, 8
MIN_REQ_SHIFT, MAX_REQ_SHIFT = 1, 62
ACTIVATIONS = ("relu", "clamp")  # hidden layers; the last layer is "none"


class FormatError(ValueError):
    """A value or a format parameter outside what the contract allows."""


class Scheme(enum.IntEnum):
    """Weight storage scheme; the values are the SV package's SCHEME constant."""

    PLAIN = 0
    FIXED_REFERENCE = 1
    CONSECUTIVE = 2

    @classmethod
    def from_name(cls, name: str) -> Scheme:
        """Parse "plain", "fixed_reference" or "consecutive" (case and '-'/'_' insensitive)."""
        key = name.strip().upper().replace("-", "_")
        if key not in cls.__members__:
            choices = ", ".join(s.label for s in cls)
            raise FormatError(f"unknown delta scheme {name!r}; expected one of: {choices}")
        return cls[key]

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class FixedFormat:
    """A two's complement (signed) or unsigned integer of `bits` bits."""

    bits: int
    signed: bool

    def __post_init__(self) -> None:
        if not isinstance(self.bits, int) or self.bits < 1:
            raise FormatError(f"FixedFormat bits must be a positive integer, got {self.bits!r}")

    @property
    def min(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def max(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    def describe(self) -> str:
        return f"{'signed' if self.signed else 'unsigned'} {self.bits}-bit [{self.min}, {self.max}]"

    def check(self, values, what: str) -> None:
        """Raise FormatError naming `what`, the first offending index and value when out of range."""
        arr = np.asarray(values)
        bad = (arr < self.min) | (arr > self.max)
        if np.any(bad):
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            where = f" at index {index}" if arr.ndim else ""
            raise FormatError(
                f"{what}{where}: value {arr[index] if arr.ndim else arr} outside {self.describe()}"
            )

    def saturate(self, values) -> np.ndarray:
        return np.clip(np.asarray(values, dtype=np.int64), self.min, self.max)


PIXEL_FORMAT = FixedFormat(ACT_BITS, False)
MULT_FORMAT = FixedFormat(MULT_BITS, False)


def check_act_bits(bits, what: str) -> int:
    """A hidden layer's output width must be MIN_ACT_BITS..MAX_ACT_BITS; returns it as int."""
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not MIN_ACT_BITS <= bits <= MAX_ACT_BITS:
        raise FormatError(f"{what}: activation bits must be an integer in {MIN_ACT_BITS}..{MAX_ACT_BITS}, got {bits!r}")
    return int(bits)


def activation_format(activation: str, bits: int = ACT_BITS) -> FixedFormat:
    """Output format of a hidden layer: relu -> unsigned `bits` bits, clamp (hardtanh) -> signed."""
    if activation not in ACTIVATIONS:
        raise FormatError(f"unknown activation {activation!r}; expected one of: {', '.join(ACTIVATIONS)}")
    return FixedFormat(check_act_bits(bits, f"{activation} layer"), activation == "clamp")


def sum_bound(n_in: int, weight_bits: int, in_signed: bool, in_bits: int = ACT_BITS) -> int:
    """Largest |sum_i w_i a_i| for n_in weights of weight_bits bits and inputs of in_bits bits
    (largest magnitude 2**(in_bits-1) signed, 2**in_bits - 1 unsigned); also the bias bound."""
    amax = 1 << (in_bits - 1) if in_signed else (1 << in_bits) - 1
    return n_in * (1 << (weight_bits - 1)) * amax


def acc_bits(n_in: int, weight_bits: int, in_signed: bool, in_bits: int = ACT_BITS) -> int:
    """Signed accumulator width holding every acc = sum + bias, |acc| <= 2 * sum_bound."""
    return (2 * sum_bound(n_in, weight_bits, in_signed, in_bits)).bit_length() + 1


@dataclass(frozen=True)
class DeltaFormat:
    """How weights are stored (ARCHITECTURE.md section 2).

    group: weights per reference group, None = the whole row. The group must divide every
    layer's n_in (checked by `group_size`). `plain` has no references, hence no groups: None.
    """

    scheme: Scheme
    weight_bits: int
    delta_bits: int
    group: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "scheme", Scheme(self.scheme))
        if not MIN_WEIGHT_BITS <= self.weight_bits <= MAX_WEIGHT_BITS:
            raise FormatError(
                f"weight_bits must be in {MIN_WEIGHT_BITS}..{MAX_WEIGHT_BITS}, got {self.weight_bits}"
            )
        if self.scheme == Scheme.PLAIN:
            if self.delta_bits != self.weight_bits:
                raise FormatError(
                    f"plain scheme stores weights directly: delta_bits must equal weight_bits "
                    f"({self.weight_bits}), got {self.delta_bits}"
                )
            if self.group is not None:
                raise FormatError(f"plain scheme has no reference groups: group must be None (row), got {self.group}")
        elif not MIN_DELTA_BITS <= self.delta_bits <= MAX_DELTA_BITS:
            raise FormatError(
                f"delta_bits must be in {MIN_DELTA_BITS}..{MAX_DELTA_BITS}, got {self.delta_bits}"
            )
        if self.group is not None and (not isinstance(self.group, int) or self.group < 1):
            raise FormatError(f"group must be a positive integer or None (whole row), got {self.group!r}")

    @property
    def weight_format(self) -> FixedFormat:
        return FixedFormat(self.weight_bits, True)

    @property
    def delta_format(self) -> FixedFormat:
        return FixedFormat(self.delta_bits, True)

    @property
    def has_references(self) -> bool:
        return self.scheme != Scheme.PLAIN

    def group_size(self, n_in: int) -> int:
        """G for a row of n_in weights; raises FormatError when the group does not divide the row."""
        if self.group is None:
            return n_in
        if n_in % self.group:
            raise FormatError(f"group {self.group} does not divide the row length n_in={n_in}")
        return self.group

    def describe(self) -> str:
        group = "row" if self.group is None else str(self.group)
        return (
            f"{self.scheme.label} weight_bits={self.weight_bits} delta_bits={self.delta_bits} group={group}"
        )


def core_format(layer_formats) -> DeltaFormat:
    """The one storage format of a shared-lane core that runs every layer through the same
    delta decoder and MAC lanes (ARCHITECTURE.md section 2): one scheme, the widest weights,
    the widest deltas and one group size. A plain layer inside a delta scheme is stored as that
    scheme's deltas (its weights must then fit them); encoding in the core format checks that."""
    formats = tuple(layer_formats)
    if not formats:
        raise FormatError("core_format: no layers")
    delta_layers = [(i, f) for i, f in enumerate(formats) if f.scheme != Scheme.PLAIN]
    weight_bits = max(f.weight_bits for f in formats)
    if not delta_layers:
        return DeltaFormat(Scheme.PLAIN, weight_bits, weight_bits, None)
    first, base = delta_layers[0]
    for index, fmt in delta_layers[1:]:
        if fmt.scheme != base.scheme or fmt.group != base.group:
            raise FormatError(
                f"layer {index} ({fmt.describe()}) and layer {first} ({base.describe()}) differ in scheme or group: "
                "a shared-lane core decodes every layer with one scheme and group"
            )
    delta_bits = min(max(f.delta_bits for f in formats), MAX_DELTA_BITS)
    return DeltaFormat(base.scheme, weight_bits, delta_bits, base.group)


@dataclass(frozen=True)
class LayerPrecision:
    """One entry of a per-layer precision spec: the layer's weights and its input activations."""

    weight_bits: int
    in_bits: int
    delta_bits: int | None = None  # None: the run's delta bits (or plain, see layer_formats)

    def label(self) -> str:
        delta = "" if self.delta_bits is None else f"d{self.delta_bits}"
        return f"w{self.weight_bits}{delta}a{self.in_bits}"


_SPEC_ENTRY = re.compile(r"w(\d+)(?:d(\d+))?a(\d+)")
EDGE_PRECISION = LayerPrecision(ACT_BITS, ACT_BITS)  # first and last layer of a short-form spec


def parse_bits_spec(spec: str, n_layers: int) -> tuple[LayerPrecision, ...]:
    """Per-layer precisions from `w8a8,w2a2,w2a2,w8a8` (one entry per layer) or a short form
    `w2a2` (that precision for every layer but the first and the last, which stay w8a8).

    `w<W>[d<D>]a<A>`: the layer's weights have W bits (D-bit deltas, optional) and its inputs A
    bits, i.e. the previous layer's output activations are requantised to A bits. Layer 0 reads
    the uint8 pixels, so its entry must say a8."""
    entries = [part.strip().lower() for part in str(spec).split(",")]
    parsed = []
    for position, entry in enumerate(entries):
        match = _SPEC_ENTRY.fullmatch(entry)
        if match is None:
            raise FormatError(f"bits spec {spec!r}, entry {position + 1} {entry!r}: expected w<W>a<A> or w<W>d<D>a<A>, "
                              "e.g. w8a8 or w4d2a4")
        weight_bits, delta_bits, in_bits = (None if g is None else int(g) for g in match.groups())
        where = f"bits spec {spec!r}, entry {position + 1} ({entry})"
        if not MIN_WEIGHT_BITS <= weight_bits <= MAX_WEIGHT_BITS:
            raise FormatError(f"{where}: weight bits must be in {MIN_WEIGHT_BITS}..{MAX_WEIGHT_BITS}, got {weight_bits}")
        if delta_bits is not None and not MIN_DELTA_BITS <= delta_bits <= min(weight_bits, MAX_DELTA_BITS):
            raise FormatError(f"{where}: delta bits must be in {MIN_DELTA_BITS}..{min(weight_bits, MAX_DELTA_BITS)} "
                              f"(at most the weight bits), got {delta_bits}")
        check_act_bits(in_bits, where)
        parsed.append(LayerPrecision(weight_bits, in_bits, delta_bits))
    if len(parsed) == 1 and n_layers != 1:
        if n_layers < 3:
            raise FormatError(f"bits spec {spec!r}: the short form keeps the first and the last layer at w8a8, so it "
                              f"needs at least 3 layers; this network has {n_layers}: give one entry per layer")
        parsed = [EDGE_PRECISION, *parsed * (n_layers - 2), EDGE_PRECISION]
    if len(parsed) != n_layers:
        raise FormatError(f"bits spec {spec!r} has {len(parsed)} entries; the network has {n_layers} layers "
                          "(give one entry per layer, or one entry for the short form)")
    if parsed[0].in_bits != ACT_BITS:
        raise FormatError(f"bits spec {spec!r}, entry 1 ({parsed[0].label()}): layer 0 reads the uint8 pixels, "
                          f"its inputs must be a{ACT_BITS}")
    return tuple(parsed)


def format_bits_spec(precisions) -> str:
    return ",".join(p.label() for p in precisions)


def layer_formats(precisions, scheme: Scheme, delta_bits: int, group: int | None) -> tuple[DeltaFormat, ...]:
    """Each layer's DeltaFormat for a spec under one scheme: plain layers store W-bit weights;
    a delta scheme stores D-bit deltas (the entry's d, else `delta_bits`). A layer whose W is not
    above the run's delta bits (and gives no d of its own) is stored plain: its deltas would not
    be narrower than its weights."""
    formats = []
    for precision in precisions:
        wb = precision.weight_bits
        if scheme == Scheme.PLAIN:
            if precision.delta_bits is not None:
                raise FormatError(f"bits spec entry {precision.label()}: scheme plain stores weights, not deltas "
                                  "(drop the d part)")
            formats.append(DeltaFormat(Scheme.PLAIN, wb, wb, None))
        elif precision.delta_bits is None and wb <= delta_bits:
            formats.append(DeltaFormat(Scheme.PLAIN, wb, wb, None))
        else:
            formats.append(DeltaFormat(scheme, wb, precision.delta_bits or delta_bits, group))
    return tuple(formats)
