"""Export a seeded random LUT network (ARCHITECTURE.md section 7) for lint, benches and flows.

    python -m scripts.lutnet_random --out build/lint/lut3 --features 64 --in-bits 2 \\
        --layers 24xF3b2,20xF2b2 --classes 10 --class-partitions 2 [--pixels-per-beat 8] \\
        [--thresholds random] [--seed 1]

Layers are written as in the package header: `<n_out>xF<fan_in>b<out_bits>`, comma-separated; the
last layer's n_out must be classes * class-partitions. Tables and connectivity come from
model.lutnet_export.random_lutnet; `--thresholds random` replaces the uniform input thresholds by
seeded random strictly increasing ones in 1..255. The export is model.lutnet_export.export_lutnet's.
"""

from __future__ import annotations

import argparse
import re
import sys

import numpy as np

from model.lutnet import LutNetError, LutNetSpec, LutNetwork
from model.lutnet_export import export_lutnet, random_lutnet

LAYER = re.compile(r"(\d+)xF(\d+)b(\d+)")


def parse_layers(text: str) -> tuple[tuple[int, int, int], ...]:
    """`24xF3b2,20xF2b2` -> ((24, 3, 2), (20, 2, 2)): (n_out, fan_in, out_bits) per layer."""
    layers = []
    for item in text.split(","):
        match = LAYER.fullmatch(item.strip())
        if match is None:
            raise LutNetError(f"layer {item.strip()!r}: expected <n_out>xF<fan_in>b<out_bits>, e.g. 24xF3b2")
        layers.append(tuple(int(v) for v in match.groups()))
    return tuple(layers)


def random_thresholds(in_bits: int, seed: int) -> np.ndarray:
    """2^in_bits - 1 seeded random strictly increasing thresholds in 1..255."""
    rng = np.random.default_rng([seed, 7919])
    return np.sort(rng.choice(np.arange(1, 256), size=(1 << in_bits) - 1, replace=False))


def build(features: int, in_bits: int, layers, classes: int, class_partitions: int, seed: int,
          thresholds: str = "uniform") -> LutNetwork:
    """The seeded random network of the arguments (uniform or random thresholds)."""
    net = random_lutnet(LutNetSpec(features, in_bits, layers, classes, class_partitions), seed)
    if thresholds == "random":
        net = LutNetwork(net.spec, random_thresholds(in_bits, seed), net.conns, net.tables)
    return net


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="export directory")
    parser.add_argument("--features", type=int, default=784, help="input features (pixels)")
    parser.add_argument("--in-bits", type=int, default=2, help="input code width")
    parser.add_argument("--layers", required=True, help="<n_out>xF<fan_in>b<out_bits>,... per layer")
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--class-partitions", type=int, default=1, help="K: last-layer partitions per class")
    parser.add_argument("--pixels-per-beat", type=int, help="the package's default PIXELS_PER_BEAT (default: all features)")
    parser.add_argument("--thresholds", choices=["uniform", "random"], default="uniform")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        net = build(args.features, args.in_bits, parse_layers(args.layers), args.classes, args.class_partitions,
                    args.seed, args.thresholds)
        export_lutnet(net, args.out, f"random-lutnet-seed{args.seed}", pixels_per_beat=args.pixels_per_beat)
    except LutNetError as exc:
        print(f"python -m scripts.lutnet_random: error: {exc}", file=sys.stderr)
        return 2
    print(f"[lutnet_random] exported {args.layers} ({args.features} features at {args.in_bits} bits) into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
