"""Per-layer folding of the dataflow architecture (ARCHITECTURE.md section 6) and its cycle model.

A layer's folding `P x N : kind` gives it P lanes (activations per memory word, C = ceil(n_in/P)
words per row), N neurons computed in parallel and the kind of its MAC lanes. Text form, one
entry per layer, comma-separated: `P[xN][:kind]`, e.g. `28x10:delta,8:lut,2`.

An entry without a kind gets the default rule (`default_kind`), which needs the layer's format:
parse_folding leaves such a kind None, check_folding resolves it.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Sequence

from model.formats import DeltaFormat, FormatError, Scheme
from model.packing import MAX_LANES, MIN_LANES, LayerLayout, RomLayout, chunks

MAX_DEFAULT_DELTA_BITS = 4  # default rule: fixed_reference deltas this narrow go to delta-domain lanes
MAX_DEFAULT_LUT_BITS = 4  # default rule: weights and inputs this narrow go to LUT lanes


class FoldingError(FormatError):
    """A folding the dataflow architecture cannot run; the message names the layer and the rule."""


class LaneKind(enum.IntEnum):
    """MAC lanes of a layer engine; the values are the package's LAYER_LANE_KIND."""

    DSP = 0  # deltamac_delta_decoder + deltamac_mac_array on multiplier blocks
    LUT = 1  # the same with LUT products (deltamac_lut_mult)
    DELTA = 2  # deltamac_delta_mac_array: deltas multiplied, not decoded weights (fixed_reference only)

    @classmethod
    def from_name(cls, name: str) -> LaneKind:
        key = name.strip().upper()
        if key not in cls.__members__:
            raise FoldingError(f"unknown lane kind {name!r}; expected one of: {', '.join(k.label for k in cls)}")
        return cls[key]

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class LayerFolding:
    """One layer's folding; kind None means "not given" (check_folding applies default_kind)."""

    lanes: int
    neurons: int = 1
    kind: LaneKind | None = None

    def __post_init__(self) -> None:
        if self.kind is not None:
            object.__setattr__(self, "kind", LaneKind(self.kind))

    def label(self) -> str:
        neurons = f"x{self.neurons}" if self.neurons != 1 else ""
        kind = f":{self.kind.label}" if self.kind is not None else ""
        return f"{self.lanes}{neurons}{kind}"


_ENTRY = re.compile(r"(\d+)(?:x(\d+))?(?::([a-z]+))?")


def parse_folding(spec: str, n_layers: int) -> tuple[LayerFolding, ...]:
    """Foldings from `P[xN][:kind],...`, one entry per layer; only syntax and count are checked here."""
    entries = [part.strip().lower() for part in str(spec).split(",")]
    foldings = []
    for position, entry in enumerate(entries, start=1):
        match = _ENTRY.fullmatch(entry)
        if match is None:
            raise FoldingError(f"folding {spec!r}, entry {position} {entry!r}: expected P[xN][:kind], e.g. 16, 28x10 "
                               f"or 8x2:lut (kind one of {', '.join(k.label for k in LaneKind)})")
        lanes, neurons, kind = match.groups()
        try:
            parsed_kind = None if kind is None else LaneKind.from_name(kind)
        except FoldingError as exc:
            raise FoldingError(f"folding {spec!r}, entry {position} {entry!r}: {exc}") from None
        foldings.append(LayerFolding(int(lanes), 1 if neurons is None else int(neurons), parsed_kind))
    _check_count(spec, len(foldings), n_layers)
    return tuple(foldings)


def format_folding(foldings: Sequence[LayerFolding]) -> str:
    """The text form of foldings (parse_folding reads it back to equal foldings)."""
    return ",".join(f.label() for f in foldings)


def _check_count(spec, entries: int, n_layers: int) -> None:
    if entries != n_layers:
        raise FoldingError(f"folding {spec!r} has {entries} entries; the network has {n_layers} layers "
                           "(give one entry per layer)")


def default_kind(fmt: DeltaFormat, in_bits: int) -> LaneKind:
    """Kind of a layer whose folding names none: delta for fixed_reference with deltas of at most
    4 bits, else lut when weights and inputs have at most 4 bits each, else dsp."""
    if fmt.scheme == Scheme.FIXED_REFERENCE and fmt.delta_bits <= MAX_DEFAULT_DELTA_BITS:
        return LaneKind.DELTA
    if fmt.weight_bits <= MAX_DEFAULT_LUT_BITS and in_bits <= MAX_DEFAULT_LUT_BITS:
        return LaneKind.LUT
    return LaneKind.DSP


def _as_foldings(folding, n_layers: int) -> tuple[LayerFolding, ...]:
    if isinstance(folding, str):
        return parse_folding(folding, n_layers)
    foldings = tuple(folding)
    if not all(isinstance(f, LayerFolding) for f in foldings):
        raise FoldingError(f"folding: expected a text spec or LayerFoldings, got {folding!r}")
    _check_count(format_folding(foldings), len(foldings), n_layers)
    return foldings


def check_folding_for(topology: Sequence[int], formats: Sequence[DeltaFormat], in_bits: Sequence[int],
                      folding) -> tuple[LayerFolding, ...]:
    """check_folding from the network's shape alone (topology, each layer's format and input
    width), for readers of a manifest that have no network yet."""
    n_layers = len(topology) - 1
    foldings = _as_foldings(folding, n_layers)
    text = format_folding(foldings)
    resolved = []
    for index, (f, fmt, bits) in enumerate(zip(foldings, formats, in_bits)):
        n_in, n_out = topology[index], topology[index + 1]
        where = f"folding {text!r}, layer {index} ({n_in} inputs, {n_out} outputs)"
        if isinstance(f.lanes, bool) or not isinstance(f.lanes, int) or not MIN_LANES <= f.lanes <= MAX_LANES:
            raise FoldingError(f"{where}: lanes must be an integer in {MIN_LANES}..{MAX_LANES}, got {f.lanes!r}")
        if f.lanes > n_in:
            raise FoldingError(f"{where}: {f.lanes} lanes exceed the layer's n_in {n_in}")
        if isinstance(f.neurons, bool) or not isinstance(f.neurons, int) or f.neurons < 1:
            raise FoldingError(f"{where}: neurons must be a positive integer, got {f.neurons!r}")
        if n_out % f.neurons:
            raise FoldingError(f"{where}: {f.neurons} parallel neurons do not divide n_out {n_out}")
        words_per_row = chunks(n_in, f.lanes)
        if f.neurons > words_per_row:
            # The N sums of a neuron group leave one per cycle through the layer's one requantiser.
            raise FoldingError(f"{where}: {f.neurons} parallel neurons exceed C = ceil({n_in}/{f.lanes}) = "
                               f"{words_per_row} words per row (N <= C)")
        group = fmt.group_size(n_in)
        if group != n_in and group % f.lanes:
            raise FoldingError(f"{where}: group {group} is neither the whole row ({n_in}) nor a multiple of the "
                               f"{f.lanes} lanes")
        kind = default_kind(fmt, bits) if f.kind is None else f.kind
        if kind == LaneKind.DELTA and fmt.scheme != Scheme.FIXED_REFERENCE:
            raise FoldingError(f"{where}: kind delta multiplies fixed_reference deltas, the layer is {fmt.describe()}")
        resolved.append(LayerFolding(f.lanes, f.neurons, kind))
    return tuple(resolved)


def check_folding(net, folding) -> tuple[LayerFolding, ...]:
    """The folding (text or LayerFoldings) checked against `net` (a QuantNetwork), every kind
    resolved; FoldingError names the layer and the broken rule."""
    return check_folding_for(net.topology, net.formats, [layer.in_bits for layer in net.layers], folding)


def layer_layouts(topology: Sequence[int], formats: Sequence[DeltaFormat],
                  foldings: Sequence[LayerFolding]) -> tuple[LayerLayout, ...]:
    """Each layer's word layout at its own lanes (section 3 applied per layer): chunks C_l, group,
    groups per row, words per group. The bases are 0 because every layer has its own ROMs."""
    return tuple(RomLayout.build((n_in, n_out), fmt, f.lanes, acc_bits=0).layers[0]
                 for n_in, n_out, fmt, f in zip(topology[:-1], topology[1:], formats, foldings))


def _topology(net_or_topology) -> tuple[int, ...]:
    return tuple(getattr(net_or_topology, "topology", net_or_topology))


def words(net_or_topology, folding) -> tuple[int, ...]:
    """Cycles each layer issues per image, words_l = C_l * n_out / N_l (only the entry count is
    checked here; check_folding checks the rest)."""
    topology = _topology(net_or_topology)
    foldings = _as_foldings(folding, len(topology) - 1)
    return tuple(chunks(n_in, f.lanes) * n_out // f.neurons
                 for f, n_in, n_out in zip(foldings, topology[:-1], topology[1:]))


def initiation_interval(net_or_topology, folding) -> int:
    """II = max_l words_l: cycles between images, the slowest layer (hand-over cycles not counted)."""
    return max(words(net_or_topology, folding))


PIXELS_PER_BEAT = (1, 2, 4, 8)  # pixels per s_axis beat the input stage takes (TDATA 8, 16, 32, 64 bits)


def check_pixels_per_beat(topology: Sequence[int], foldings: Sequence[LayerFolding], pixels_per_beat: int) -> int:
    """The input stage writes a beat's pixels into one word of layer 0's input buffer, so the
    pixels of an image and layer 0's lanes must both be multiples of pixels_per_beat."""
    if isinstance(pixels_per_beat, bool) or pixels_per_beat not in PIXELS_PER_BEAT:
        raise FoldingError(f"pixels per beat must be one of {', '.join(map(str, PIXELS_PER_BEAT))}, got {pixels_per_beat!r}")
    if topology[0] % pixels_per_beat:
        raise FoldingError(f"pixels per beat {pixels_per_beat}: the {topology[0]} pixels of an image are not a multiple of it")
    if foldings[0].lanes % pixels_per_beat:
        raise FoldingError(f"pixels per beat {pixels_per_beat}: layer 0's {foldings[0].lanes} lanes are not a multiple "
                           "of it (a beat's pixels go into one input buffer word)")
    return pixels_per_beat
