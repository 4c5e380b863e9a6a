"""Number formats shared by the golden model, the export and the RTL (ARCHITECTURE.md sections 1-2)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

ACT_BITS = 8
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


def activation_format(activation: str) -> FixedFormat:
    """Output format of a hidden layer: relu -> unsigned 8 bit, clamp (hardtanh) -> signed 8 bit."""
    if activation not in ACTIVATIONS:
        raise FormatError(f"unknown activation {activation!r}; expected one of: {', '.join(ACTIVATIONS)}")
    return FixedFormat(ACT_BITS, activation == "clamp")


def sum_bound(n_in: int, weight_bits: int, in_signed: bool) -> int:
    """Largest |sum_i w_i a_i| for n_in weights of weight_bits bits; also the bias bound."""
    amax = 128 if in_signed else 255
    return n_in * (1 << (weight_bits - 1)) * amax


def acc_bits(n_in: int, weight_bits: int, in_signed: bool) -> int:
    """Signed accumulator width holding every acc = sum + bias, |acc| <= 2 * sum_bound."""
    return (2 * sum_bound(n_in, weight_bits, in_signed)).bit_length() + 1


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
