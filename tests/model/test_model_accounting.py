import itertools
import json

import pytest

from model.accounting import BRAM_SHAPES, bram18_tiles, stored_bits
from model.export import export_network
from model.formats import DeltaFormat, FormatError, Scheme
from model.random_net import random_network


@pytest.mark.parametrize(
    "topology, fmt, lanes",
    [
        ((50, 12, 3), DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, None), 16),
        ((64, 32, 10), DeltaFormat(Scheme.CONSECUTIVE, 6, 3, 8), 8),
        ((30, 7, 5), DeltaFormat(Scheme.PLAIN, 8, 8, None), 4),
        ((48, 16, 4), DeltaFormat(Scheme.FIXED_REFERENCE, 12, 2, 16), 16),
    ],
)
def test_stored_bits_against_a_walk_over_every_rom_word(tmp_path, topology, fmt, lanes):
    net = random_network(topology, fmt, seed=0)
    manifest = export_network(net, tmp_path, lanes, "acc")
    delta_words = (tmp_path / "delta.mem").read_text().split()
    ref_entries = (tmp_path / "ref.mem").read_text().split() if fmt.has_references else []
    width = manifest["roms"]["delta"]["width"]
    counted = []
    for entry in manifest["layers"]:
        delta = padding = 0
        words = delta_words[entry["delta_base"]:entry["delta_base"] + entry["n_out"] * entry["chunks"]]
        for index, word in enumerate(words):
            assert len(word) * 4 >= width
            for lane in range(lanes):
                column = (index % entry["chunks"]) * lanes + lane
                if column < entry["n_in"]:
                    delta += fmt.delta_bits
                else:
                    padding += fmt.delta_bits
        refs = entry["n_out"] * entry["groups_per_row"] if fmt.has_references else 0
        counted.append((delta, refs * fmt.weight_bits, padding, delta // fmt.delta_bits * 8))
    assert sum(r for _, r, _, _ in counted) == len(ref_entries) * fmt.weight_bits
    for source in (net, json.loads((tmp_path / "manifest.json").read_text())):
        account = stored_bits(source, lanes)
        got = [(b.delta_bits, b.reference_bits, b.padding_bits, b.baseline_bits) for b in account.layers]
        assert got == counted
        totals = [sum(column) for column in zip(*counted)]
        assert (account.total.delta_bits, account.total.reference_bits, account.total.padding_bits,
                account.total.baseline_bits) == tuple(totals)
        assert account.compression_ratio == pytest.approx(totals[3] / (totals[0] + totals[1] + totals[2]))
    assert manifest["accounting"] == stored_bits(net, lanes).to_dict()


def test_stored_bits_rejects_other_objects():
    with pytest.raises(FormatError, match="expected a QuantNetwork or an export manifest"):
        stored_bits({"topology": [4, 2]}, 4)


def _brute_force_tiles(width: int, depth: int) -> int:
    """Try every count of every slice width (the cheapest aspect ratio of that width)."""
    cost = {}
    for d, w, tiles in BRAM_SHAPES:
        cost[w] = min(cost.get(w, 10**9), tiles * -(-depth // d))
    widths = sorted(cost)
    best = None
    for counts in itertools.product(*(range(-(-width // w) + 1) for w in widths)):
        if sum(c * w for c, w in zip(counts, widths)) >= width:
            total = sum(c * cost[w] for c, w in zip(counts, widths))
            best = total if best is None else min(best, total)
    return best


@pytest.mark.parametrize("width", [1, 3, 5, 9, 10, 17, 20])
@pytest.mark.parametrize("depth", [1, 512, 600, 2048, 5000, 20000])
def test_bram18_tiles_against_brute_force(width, depth):
    assert bram18_tiles(width, depth) == _brute_force_tiles(width, depth)


@pytest.mark.parametrize(
    "width, depth, tiles",
    [(36, 512, 1), (72, 512, 2), (18, 1024, 1), (1, 16384, 1), (9, 2048, 1), (10, 2048, 2), (4, 4096, 1), (0, 100, 0)],
)
def test_bram18_tiles_datasheet_shapes(width, depth, tiles):
    """RAMB18E1 holds 16Kx1 .. 512x36; a RAMB36E1 (two tiles) up to 512x72 (UG473)."""
    assert bram18_tiles(width, depth) == tiles


@pytest.mark.parametrize("width, depth", [(64, 1588), (128, 3000), (27, 42), (7, 70000)])
def test_bram18_tiles_never_below_capacity(width, depth):
    tiles = bram18_tiles(width, depth)
    assert tiles * 18 * 1024 >= width * depth
    assert bram18_tiles(width + 1, depth) >= tiles and bram18_tiles(width, depth + 1) >= tiles


def test_bram18_tiles_rejects_negative_sizes():
    with pytest.raises(FormatError, match="must be >= 0, got -1 x 5"):
        bram18_tiles(-1, 5)
