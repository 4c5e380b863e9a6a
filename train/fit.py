"""Block-RAM fit of a compressed network on the XC7S15, and the search that chose the s15 preset.

`python -m train.fit` lists the MLPs whose ROMs (delta, reference, bias, multiplier) fit the
block RAM left beside the core's buffers, largest first; their accuracy is then measured by
training (docs/train.md records the numbers that chose the preset).
"""

from __future__ import annotations

import argparse
import itertools

from model.accounting import XC7S15_RAMB18, bram18_tiles
from model.formats import DeltaFormat, Scheme, acc_bits
from model.packing import RomLayout

CORE_BUFFER_RAMB18 = 2  # the core's activation buffers
ROM_BUDGET_RAMB18 = XC7S15_RAMB18 - CORE_BUFFER_RAMB18


def bram18_estimate(topology: tuple[int, ...], fmt: DeltaFormat, lanes: int, hidden_signed: bool = False) -> dict:
    """RAMB18 tiles of each ROM and the total, for the ROM shapes the export writes."""
    widths = [
        acc_bits(n_in, fmt.weight_bits, index > 0 and hidden_signed) for index, n_in in enumerate(topology[:-1])
    ]
    layout = RomLayout.build(topology, fmt, lanes, acc_bits=max(widths))
    tiles = {name: bram18_tiles(width, depth) for name, (width, depth) in layout.rom_shapes().items()}
    return tiles | {"total": sum(tiles.values())}


def candidates(fmt: DeltaFormat, lanes: int, budget: int) -> list[tuple[tuple[int, ...], int, int]]:
    """(topology, weights, RAMB18 tiles) of one- and two-hidden-layer MLPs with hidden sizes
    that are multiples of the lane count (no padded lanes, groups of P stay exportable) that
    fit `budget` tiles, most weights first."""
    sizes = range(lanes, 8 * lanes + 1, lanes)
    shapes = [(784, h, 10) for h in sizes] + [(784, a, b, 10) for a, b in itertools.product(sizes, sizes) if b <= a]
    found = []
    for topology in shapes:
        tiles = bram18_estimate(topology, fmt, lanes)["total"]
        if tiles <= budget:
            weights = sum(a * b for a, b in zip(topology[:-1], topology[1:]))
            found.append((topology, weights, tiles))
    return sorted(found, key=lambda item: -item[1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m train.fit", description=__doc__)
    parser.add_argument("--lanes", type=int, default=16)
    parser.add_argument("--delta-bits", type=int, default=4)
    parser.add_argument("--weight-bits", type=int, default=8)
    parser.add_argument("--budget", type=int, default=ROM_BUDGET_RAMB18, help="RAMB18 tiles for the ROMs")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args(argv)
    fmt = DeltaFormat(Scheme.FIXED_REFERENCE, args.weight_bits, args.delta_bits)
    print(f"[fit] {fmt.describe()}, P={args.lanes}: MLPs whose ROMs fit {args.budget} RAMB18 "
          f"({XC7S15_RAMB18} on the XC7S15 minus {CORE_BUFFER_RAMB18} for the core's buffers)")
    print("topology            weights  RAMB18 (delta/ref/bias/mult)")
    for topology, weights, _ in candidates(fmt, args.lanes, args.budget)[: args.top]:
        tiles = bram18_estimate(topology, fmt, args.lanes)
        detail = "/".join(str(tiles[name]) for name in ("delta", "ref", "bias", "mult"))
        print(f"{'-'.join(map(str, topology)):<19} {weights:>7}  {tiles['total']:>2} ({detail})")


if __name__ == "__main__":
    main()
