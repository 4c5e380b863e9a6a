"""Bit accounting of the weight store and block-RAM estimates for the XC7S15 (20 RAMB18 tiles)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

from model.cnn import CnnNetwork, feature_map_bits
from model.formats import MULT_BITS, DeltaFormat, FormatError, Scheme
from model.network import QuantNetwork
from model.packing import RomLayout, topology_rows

BASELINE_WEIGHT_BITS = 8  # the comparison point: every weight stored plainly in 8 bits
XC7S15_RAMB18 = 20
RAMB18_BITS = 18 * 1024

# (depth, width, RAMB18 tiles) of every block-RAM aspect ratio a ROM can use (RAMB36 = 2 tiles).
BRAM_SHAPES = (
    (16384, 1, 1), (8192, 2, 1), (4096, 4, 1), (2048, 9, 1), (1024, 18, 1), (512, 36, 1),
    (32768, 1, 2), (16384, 2, 2), (8192, 4, 2), (4096, 9, 2), (2048, 18, 2), (1024, 36, 2), (512, 72, 2),
)


@dataclass(frozen=True)
class LayerBits:
    delta_bits: int  # deltas of real weights (weights themselves for plain)
    reference_bits: int
    padding_bits: int  # padded lanes in the last word of each row
    baseline_bits: int  # the same weights plain in 8 bits

    @property
    def stored_bits(self) -> int:
        return self.delta_bits + self.reference_bits + self.padding_bits


@dataclass(frozen=True)
class BitAccount:
    layers: tuple[LayerBits, ...]
    total: LayerBits

    @property
    def compression_ratio(self) -> float:
        """8-bit plain weight bits / bits the delta and reference ROMs hold (padding included)."""
        return self.total.baseline_bits / self.total.stored_bits

    def to_dict(self) -> dict:
        return {
            "layers": [asdict(layer) | {"stored_bits": layer.stored_bits} for layer in self.layers],
            "total": asdict(self.total) | {"stored_bits": self.total.stored_bits},
            "compression_ratio": self.compression_ratio,
        }


def _shape_of(source) -> tuple[tuple[tuple[int, int], ...], DeltaFormat]:
    """(n_in, n_out) of every layer's weight matrix, and the stored format."""
    if isinstance(source, QuantNetwork):
        return source.rows, source.core_format
    try:
        delta = source["delta"]
        fmt = DeltaFormat(Scheme.from_name(delta["scheme"]), delta["weight_bits"], delta["delta_bits"], delta["group"])
        if "cnn" in source:  # a CNN's topology lists feature-map sizes; its layer table has the weight matrices
            return tuple((entry["n_in"], entry["n_out"]) for entry in source["layers"]), fmt
        return topology_rows(tuple(source["topology"])), fmt
    except (KeyError, TypeError) as exc:
        raise FormatError(f"stored_bits: expected a QuantNetwork or an export manifest, missing {exc}") from None


def stored_bits(source, lanes: int) -> BitAccount:
    """Bits of the weight store of a network (or export manifest) packed for `lanes` lanes."""
    rows, fmt = _shape_of(source)
    layout = RomLayout.from_rows(rows, fmt, lanes, acc_bits=0)
    layers = []
    for lay in layout.layers:
        lane_slots = lay.n_out * lay.chunks * lanes
        weights = lay.n_out * lay.n_in
        refs = lay.n_out * lay.groups_per_row if fmt.has_references else 0
        layers.append(
            LayerBits(
                delta_bits=weights * fmt.delta_bits,
                reference_bits=refs * fmt.weight_bits,
                padding_bits=(lane_slots - weights) * fmt.delta_bits,
                baseline_bits=weights * BASELINE_WEIGHT_BITS,
            )
        )
    total = LayerBits(*(sum(getattr(layer, f) for layer in layers) for f in LayerBits.__dataclass_fields__))
    return BitAccount(tuple(layers), total)


@lru_cache(maxsize=None)
def bram18_tiles(width: int, depth: int) -> int:
    """RAMB18 tiles for a width x depth ROM in block RAM, as Vivado/Yosys map it.

    The word is split into column slices; each slice uses one aspect ratio, cascaded in depth
    (ceil(depth / aspect depth) primitives). The cheapest cover of the width is found by a
    small dynamic programme over the slice widths. Returns 0 for an empty ROM.
    """
    if width < 0 or depth < 0:
        raise FormatError(f"bram18_tiles: width and depth must be >= 0, got {width} x {depth}")
    if width == 0 or depth == 0:
        return 0
    slice_cost = [(w, tiles * -(-depth // d)) for d, w, tiles in BRAM_SHAPES]
    best = [0] + [None] * width  # best[b]: fewest tiles covering b bits of the word
    for bits in range(1, width + 1):
        best[bits] = min(cost + best[max(bits - w, 0)] for w, cost in slice_cost)
    return best[width]


def cnn_budget(net: CnnNetwork, lanes: int) -> dict:
    """Block-RAM bits of a CNN on one layer-by-layer engine (docs/train.md, "CNNs"): the weight
    store (deltas, references, padding), biases (ACC_BITS) and multipliers of every neuron, and
    two feature-map buffers that each hold the largest map (they alternate between a layer's
    input and output), against the XC7S15's 20 RAMB18."""
    neurons = sum(layer.n_out for layer in net.layers)
    parts = {
        "weight_bits": stored_bits(net, lanes).total.stored_bits,
        "bias_mult_bits": neurons * (net.acc_bits + MULT_BITS),
        "buffer_bits": 2 * feature_map_bits(net),
    }
    total = sum(parts.values())
    device = XC7S15_RAMB18 * RAMB18_BITS
    return parts | {"total_bits": total, "device_bits": device, "fits": total <= device}
