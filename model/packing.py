"""Packing deltas into P-lane memory words and the ROM address layout (ARCHITECTURE.md section 3).

A word holds P lanes of `bits` bits; lane p occupies bits [p*bits +: bits] (lane 0 in the
LSBs), two's complement. A row of n_in values takes C = ceil(n_in / P) words; the lanes past
n_in in the last word are 0. Words are Python ints (they can be up to 32 * 16 = 512 bits wide).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.formats import MULT_BITS, DeltaFormat, FixedFormat, FormatError

MIN_LANES, MAX_LANES = 1, 32


class PackingError(FormatError):
    pass


class PaddingError(PackingError):
    """A padded lane that is not 0; word_index counts from the first word given to unpack_rows."""

    def __init__(self, message: str, word_index: int):
        super().__init__(message)
        self.word_index = word_index


def check_lanes(lanes: int) -> None:
    if not isinstance(lanes, (int, np.integer)) or not MIN_LANES <= lanes <= MAX_LANES:
        raise PackingError(f"lanes must be an integer in {MIN_LANES}..{MAX_LANES}, got {lanes!r}")


def chunks(n_in: int, lanes: int) -> int:
    """Words per row, C = ceil(n_in / P)."""
    return -(-n_in // lanes)


def to_raw(values, fmt: FixedFormat, what: str) -> list[int]:
    """Values as the non-negative bit patterns stored in memory (two's complement when signed)."""
    arr = np.asarray(values, dtype=np.int64).ravel()
    fmt.check(arr, what)
    return [int(v) & ((1 << fmt.bits) - 1) for v in arr]


def from_raw(raw, fmt: FixedFormat) -> np.ndarray:
    """Inverse of to_raw: int64 values from bit patterns of fmt.bits bits."""
    values = np.array([int(r) for r in raw], dtype=np.int64)
    if fmt.signed:
        values = np.where(values >= 1 << (fmt.bits - 1), values - (1 << fmt.bits), values)
    return values


def pack_rows(values, lanes: int, bits: int) -> list[int]:
    """Words of a [n_rows, n_in] matrix of signed `bits`-bit values, row-major, C words per row."""
    check_lanes(lanes)
    arr = np.asarray(values, dtype=np.int64)
    n_rows, n_in = arr.shape
    n_chunks = chunks(n_in, lanes)
    padded = np.zeros((n_rows, n_chunks * lanes), dtype=np.int64)
    padded[:, :n_in] = arr
    lane_values = padded.reshape(n_rows * n_chunks, lanes)
    fmt = FixedFormat(bits, True)
    fmt.check(lane_values, "pack_rows value (word, lane)")
    raw = (lane_values & ((1 << bits) - 1)).astype(object)
    words = np.zeros(n_rows * n_chunks, dtype=object)
    for lane in range(lanes):
        words = words + (raw[:, lane] << (lane * bits))
    return [int(w) for w in words]


def unpack_rows(words, n_rows: int, n_in: int, lanes: int, bits: int) -> np.ndarray:
    """Inverse of pack_rows; PackingError if the word count is wrong or a padded lane is not 0."""
    check_lanes(lanes)
    n_chunks = chunks(n_in, lanes)
    if len(words) != n_rows * n_chunks:
        raise PackingError(f"unpack_rows: expected {n_rows * n_chunks} words for {n_rows} rows, got {len(words)}")
    mask = (1 << bits) - 1
    raw = np.array(
        [[(int(word) >> (lane * bits)) & mask for lane in range(lanes)] for word in words], dtype=np.int64
    ).reshape(n_rows, n_chunks * lanes)
    padding = raw[:, n_in:]
    if np.any(padding):
        row, lane = (int(i) for i in np.argwhere(padding)[0])
        raise PaddingError(
            f"row {row}, word {n_chunks - 1}: padded lane {(n_in + lane) % lanes} holds {padding[row, lane]}, expected 0",
            word_index=(row + 1) * n_chunks - 1,
        )
    signed = np.where(raw >= 1 << (bits - 1), raw - (1 << bits), raw)
    return signed[:, :n_in]


def topology_rows(topology) -> tuple[tuple[int, int], ...]:
    """(n_in, n_out) of each layer of an MLP with layer sizes `topology`."""
    return tuple(zip(topology[:-1], topology[1:]))


@dataclass(frozen=True)
class LayerLayout:
    n_in: int
    n_out: int
    chunks: int  # C, words per row
    group: int  # G
    groups_per_row: int
    group_words: int  # words per reference group (C when G == n_in)
    delta_base: int
    ref_base: int
    neuron_base: int


@dataclass(frozen=True)
class RomLayout:
    """Where every layer lives in the four ROMs, and the ROM shapes."""

    lanes: int
    delta: DeltaFormat
    layers: tuple[LayerLayout, ...]
    acc_bits: int

    @classmethod
    def build(cls, topology, delta: DeltaFormat, lanes: int, acc_bits: int) -> RomLayout:
        """The layout of an MLP (layer sizes `topology`)."""
        return cls.from_rows(topology_rows(topology), delta, lanes, acc_bits)

    @classmethod
    def from_rows(cls, rows, delta: DeltaFormat, lanes: int, acc_bits: int) -> RomLayout:
        """The layout of layers with weight matrices of (n_in, n_out) `rows` (a conv2d layer's
        n_in is its fan-in kh*kw*C_in, ARCHITECTURE.md section 9)."""
        check_lanes(lanes)
        layers, delta_base, ref_base, neuron_base = [], 0, 0, 0
        for n_in, n_out in rows:
            group = delta.group_size(n_in)
            n_chunks = chunks(n_in, lanes)
            # Meaningful only where the RTL alignment rule holds (see rtl_group_problems).
            group_words = n_chunks if group == n_in else group // lanes
            layers.append(
                LayerLayout(n_in, n_out, n_chunks, group, n_in // group, group_words, delta_base, ref_base, neuron_base)
            )
            delta_base += n_chunks * n_out
            if delta.has_references:
                ref_base += n_in // group * n_out
            neuron_base += n_out
        return cls(lanes, delta, tuple(layers), acc_bits)

    def rtl_group_problems(self) -> list[str]:
        """Layers whose group splits a memory word (G != n_in and G % P != 0)."""
        return [
            f"layer {i}: group {lay.group} is neither the whole row ({lay.n_in}) nor a multiple of the {self.lanes} lanes"
            for i, lay in enumerate(self.layers)
            if lay.group != lay.n_in and lay.group % self.lanes
        ]

    @property
    def delta_width(self) -> int:
        return self.lanes * self.delta.delta_bits

    @property
    def delta_depth(self) -> int:
        return sum(lay.chunks * lay.n_out for lay in self.layers)

    @property
    def ref_depth(self) -> int:
        if not self.delta.has_references:
            return 0
        return sum(lay.groups_per_row * lay.n_out for lay in self.layers)

    @property
    def neuron_depth(self) -> int:
        return sum(lay.n_out for lay in self.layers)

    @property
    def max_chunks(self) -> int:
        return max(lay.chunks for lay in self.layers)

    def rom_shapes(self) -> dict[str, tuple[int, int]]:
        """name -> (width, depth) of each ROM that exists (no reference ROM for plain)."""
        shapes = {"delta": (self.delta_width, self.delta_depth)}
        if self.delta.has_references:
            shapes["ref"] = (self.delta.weight_bits, self.ref_depth)
        shapes["bias"] = (self.acc_bits, self.neuron_depth)
        shapes["mult"] = (MULT_BITS, self.neuron_depth)
        return shapes
