"""Command line of the golden model: export a random network, evaluate an export, report its bits.

  python -m model export-random --out build/tiny --topology 784-32-10 --lanes 16 \\
      --scheme fixed_reference --delta-bits 4 --weight-bits 8 --group row --seed 1
  python -m model export-random --out build/df --topology 784-32-10 --folding 28x2:delta,8  (dataflow)
  python -m model eval --build build/tiny [--dataset fashion-mnist] [--limit N]
  python -m model report --build build/tiny
  python -m model plan --topology 784-80-16-10 [--bits w2a2] [--budget xc7s15] [--min-interval N]
  python -m model plan --topology 784-80-16-10 --check 16x5:delta,2,1   (validate a folding, estimate it)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from model.accounting import XC7S15_RAMB18, bram18_tiles, stored_bits
from model.datasets import DATASETS, DatasetError, load_dataset

DATA_ROOT_HELP = "dataset directory (default: $DELTAMAC_FASHION_MNIST_DIR or the Debian package's directory)"
from model.export import DATAFLOW, MANIFEST_FILE, dataflow_stored_bits, export_dataflow, export_network, load_export
from model.folding import initiation_interval, parse_folding
from model.formats import ACT_BITS, ACTIVATIONS, DeltaFormat, FormatError, Scheme, layer_formats, parse_bits_spec
from model.inference import predict
from model.memfile import MemFileError
from model.network import describe_precision
from model.random_net import random_network

CALIBRATION_IMAGES = 512
RANDOM_PREFIX = "random-"


def _topology(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split("-")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"topology must look like 784-32-10, got {text!r}") from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"topology needs at least two positive sizes, got {text!r}")
    return sizes


def _group(text: str) -> int | None:
    if text == "row":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"group must be 'row' or a positive integer, got {text!r}") from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def _scheme(text: str) -> Scheme:
    try:
        return Scheme.from_name(text)
    except FormatError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _refuse_to_overwrite_a_trained_export(out: Path) -> None:
    """`make rom-random` writes to build/$(CONFIG); never let it silently replace a trained network."""
    manifest = out / MANIFEST_FILE
    if manifest.is_file():
        try:
            name = str(json.loads(manifest.read_text()).get("name", ""))
        except (ValueError, AttributeError):
            name = "with an unreadable manifest.json"
        if not name.startswith(RANDOM_PREFIX):
            raise FormatError(
                f"{out} holds the export {name!r}, not a random network; choose another --out "
                f"(e.g. make rom-random CONFIG=tiny) or pass --force"
            )


def cmd_export_random(args) -> None:
    if not args.force:
        _refuse_to_overwrite_a_trained_export(Path(args.out))
    if args.folding is not None:  # syntax and entry count now, before the (slow) calibration
        parse_folding(args.folding, len(args.topology) - 1)
    elif args.pixels_per_beat != 1:
        raise FormatError("--pixels-per-beat is recorded in dataflow exports (--folding); for deltamac_top set its "
                          "PIXELS_PER_BEAT parameter")
    delta_bits = args.delta_bits or (args.weight_bits if args.scheme == Scheme.PLAIN else 4)
    fmt = DeltaFormat(args.scheme, args.weight_bits, delta_bits, args.group)
    formats, act_bits = fmt, ACT_BITS
    if args.bits is not None:
        precisions = parse_bits_spec(args.bits, len(args.topology) - 1)
        formats = layer_formats(precisions, args.scheme, delta_bits, args.group)
        act_bits = [p.in_bits for p in precisions[1:]]
    calibration = None
    if args.calibration != "random":
        if args.topology[0] != 784:
            raise FormatError(f"--calibration {args.calibration} needs 784 inputs; use --calibration random")
        images, _ = load_dataset(args.calibration, "train", root=args.data_root)
        calibration = images[np.random.default_rng(args.seed).choice(len(images), CALIBRATION_IMAGES, replace=False)]
    net = random_network(args.topology, formats, args.seed, calibration, args.delta_shift, args.activation, act_bits)
    name = RANDOM_PREFIX + (args.name or f"{'-'.join(map(str, args.topology))}-seed{args.seed}")
    if args.folding is not None:
        manifest = export_dataflow(net, args.out, args.folding, name, args.pixels_per_beat)
        storage = (f"dataflow ({describe_precision(net)}), folding {manifest['folding']['text']}, "
                   f"II {manifest['initiation_interval']} cycles")
    else:
        manifest = export_network(net, args.out, args.lanes, name)
        storage = f"{net.core_format.describe()} ({describe_precision(net)}), lanes {args.lanes}"
    print(
        f"[model] exported {name}: {storage}, ACC_BITS {net.acc_bits}, "
        f"compression {manifest['accounting']['compression_ratio']:.2f}x -> {args.out}"
    )


def cmd_eval(args) -> None:
    net, manifest = load_export(args.build)
    images, labels = load_dataset(args.dataset, "test", root=args.data_root)
    if args.limit:
        images, labels = images[: args.limit], labels[: args.limit]
    start = time.perf_counter()
    predictions = predict(net, images)
    seconds = time.perf_counter() - start
    accuracy = float(np.mean(predictions == labels))
    print(
        f"[model] golden model {manifest.get('name', args.build)} on {args.dataset} test: "
        f"accuracy {accuracy:.4f} ({int(np.sum(predictions == labels))}/{len(labels)}), "
        f"{len(labels)} images in {seconds:.2f} s"
    )


def cmd_report(args) -> None:
    net, manifest = load_export(args.build)
    if manifest.get("architecture") == DATAFLOW:
        folding = manifest["folding"]["text"]
        account = dataflow_stored_bits(net, folding)
        storage = (f"dataflow ({describe_precision(net)}), folding {folding}, "
                   f"II {initiation_interval(net, folding)} cycles")
    else:
        account = stored_bits(net, manifest["lanes"])
        storage = f"{net.core_format.describe()} ({describe_precision(net)}), lanes {manifest['lanes']}"
    print(f"[model] {manifest.get('name', args.build)}: {storage}, "
          f"topology {'-'.join(map(str, net.topology))}, ACC_BITS {net.acc_bits}")
    header = f"{'layer':>6} {'n_in':>6} {'n_out':>6} {'delta':>10} {'ref':>8} {'padding':>8} {'stored':>10} {'8-bit':>10}"
    print(header)
    rows = [(str(i), layer.n_in, layer.n_out, bits) for i, (layer, bits) in enumerate(zip(net.layers, account.layers))]
    rows.append(("total", "", "", account.total))
    for label, n_in, n_out, bits in rows:
        print(f"{label:>6} {n_in:>6} {n_out:>6} {bits.delta_bits:>10} {bits.reference_bits:>8} "
              f"{bits.padding_bits:>8} {bits.stored_bits:>10} {bits.baseline_bits:>10}")
    print(f"compression vs 8-bit plain weights: {account.compression_ratio:.3f}x")
    total_tiles = 0
    name_width = max([5, *map(len, manifest["roms"])])  # l0_delta: the dataflow ROMs have longer names
    for rom, entry in manifest["roms"].items():
        tiles = bram18_tiles(entry["width"], entry["depth"])
        total_tiles += tiles
        print(f"ROM {rom:<{name_width}} {entry['width']:>4} bits x {entry['depth']:>6} words = {entry['width'] * entry['depth']:>8} bits, "
              f"{tiles} RAMB18")
    print(f"block RAM if every ROM is a block ROM: {total_tiles} of {XC7S15_RAMB18} RAMB18 tiles on the XC7S15")


def _plan_shape(args):
    from model.planner import NetShape

    delta_bits = args.delta_bits or (args.weight_bits if args.scheme == Scheme.PLAIN else 4)
    formats, act_bits = DeltaFormat(args.scheme, args.weight_bits, delta_bits, args.group), ACT_BITS
    if args.bits is not None:
        precisions = parse_bits_spec(args.bits, len(args.topology) - 1)
        formats = layer_formats(precisions, args.scheme, delta_bits, args.group)
        act_bits = [p.in_bits for p in precisions[1:]]
    return NetShape.from_spec(args.topology, formats, act_bits, args.activation, args.pixels_per_beat)


def cmd_plan(args) -> None:
    from model.folding import check_folding_for, format_folding
    from model.planner import check_budget, estimate, plan

    shape = _plan_shape(args)
    bound = args.min_interval or shape.in_pixels // shape.pixels_per_beat
    if args.check is not None:
        check_folding_for(shape.topology, shape.formats, [l.in_bits for l in shape.layers], args.check)
        est = check_budget(shape, args.check, args.budget)
        print(f"[model] folding {est.folding_text} of {shape.describe()}: valid, fits the {est.budget.name}, "
              f"II {est.interval} cycles")
    else:
        objective = "throughput" if args.images_per_second is None else ("min_resources", args.images_per_second)
        folding = plan(shape, args.budget, objective, args.max_lanes, bound, args.clock_mhz * 1e6, margin=args.margin)
        est = estimate(shape, folding, args.budget)
        goal = ("highest throughput" if args.images_per_second is None
                else f"fewest resources at {args.images_per_second:,.0f} images/s")
        print(f"[model] plan for {shape.describe()} ({goal}, {est.budget.name}, min interval {bound} cycles): "
              f"folding {format_folding(folding)}")
    rate = args.clock_mhz * 1e6 / max(est.interval, bound)
    print(f"II {est.interval} cycles (the input takes {bound}): {rate:,.0f} images/s at {args.clock_mhz:g} MHz")
    print(est.table())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m model", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    export = commands.add_parser("export-random", help="export a seeded random network (RTL tests)")
    export.add_argument("--out", required=True, help="export directory, e.g. build/tiny")
    export.add_argument("--topology", type=_topology, default=[784, 32, 10], help="e.g. 784-32-10")
    architecture = export.add_mutually_exclusive_group()
    architecture.add_argument("--lanes", type=int, default=16, help="MAC lanes P (1..32) of the shared-lane core")
    architecture.add_argument("--folding", default=None, metavar="SPEC",
                              help="export the dataflow architecture instead, one P[xN][:kind] per layer, e.g. "
                                   "28x2:delta,8:lut (ARCHITECTURE.md section 6); the layers' lanes come from it, "
                                   "so --lanes must not be given")
    export.add_argument("--pixels-per-beat", type=int, default=1,
                        help="with --folding: pixels per s_axis beat (1, 2, 4, 8; layer 0's lanes a multiple of it), "
                             "the default of deltamac_dataflow_top's PIXELS_PER_BEAT")
    export.add_argument("--scheme", type=_scheme, default=Scheme.FIXED_REFERENCE,
                        help="plain | fixed_reference | consecutive")
    export.add_argument("--weight-bits", type=int, default=8)
    export.add_argument("--delta-bits", type=int, default=None, help="default 4 (weight bits for plain)")
    export.add_argument("--group", type=_group, default=None, help="'row' or weights per reference group")
    export.add_argument("--delta-shift", type=int, default=0, help="s: delta step 2**s")
    export.add_argument("--bits", default=None,
                        help="per-layer precision spec, e.g. w8a8,w4a4,w8a4 or the short form w4a4 (docs/model.md); "
                             "default: --weight-bits weights and 8-bit activations in every layer")
    export.add_argument("--activation", choices=ACTIVATIONS, default="relu", help="hidden layers")
    export.add_argument("--seed", type=int, default=1)
    export.add_argument("--calibration", choices=(*DATASETS, "random"), default="fashion-mnist",
                        help=f"{CALIBRATION_IMAGES} training images (or random pixels) that set biases and multipliers")
    export.add_argument("--name", default=None, help=f"network name in the manifest (after '{RANDOM_PREFIX}')")
    export.add_argument("--data-root", default=None, help=DATA_ROOT_HELP)
    export.add_argument("--force", action="store_true", help="overwrite an export that is not a random network")
    export.set_defaults(run=cmd_export_random)

    evaluate = commands.add_parser("eval", help="golden-model accuracy of an export on a test set")
    evaluate.add_argument("--build", required=True, help="export directory")
    evaluate.add_argument("--dataset", choices=DATASETS, default="fashion-mnist")
    evaluate.add_argument("--limit", type=_positive, default=None, help="first N test images only")
    evaluate.add_argument("--data-root", default=None, help=DATA_ROOT_HELP)
    evaluate.set_defaults(run=cmd_eval)

    report = commands.add_parser("report", help="bit accounting and block RAM of an export")
    report.add_argument("--build", required=True, help="export directory")
    report.set_defaults(run=cmd_report)

    planner = commands.add_parser("plan", help="choose the dataflow folding for a device budget (resource model)")
    planner.add_argument("--topology", type=_topology, required=True, help="e.g. 784-80-16-10")
    planner.add_argument("--bits", default=None, help="per-layer precision spec, as for export-random")
    planner.add_argument("--scheme", type=_scheme, default=Scheme.FIXED_REFERENCE,
                         help="plain | fixed_reference | consecutive")
    planner.add_argument("--weight-bits", type=int, default=8)
    planner.add_argument("--delta-bits", type=int, default=None, help="default 4 (weight bits for plain)")
    planner.add_argument("--group", type=_group, default=None, help="'row' or weights per reference group")
    planner.add_argument("--activation", choices=ACTIVATIONS, default="relu", help="hidden layers")
    planner.add_argument("--budget", default="xc7s15", help="device budget (xc7s15)")
    planner.add_argument("--min-interval", type=_positive, default=None,
                         help="II below which parallelism buys nothing (default: IN_PIXELS / pixels per beat, the "
                              "input rate)")
    planner.add_argument("--max-lanes", type=_positive, default=32, help="largest P considered")
    planner.add_argument("--pixels-per-beat", type=int, default=1, help="input stage pixels per beat (1, 2, 4, 8)")
    planner.add_argument("--images-per-second", type=float, default=None,
                         help="objective fewest resources at this rate (default: highest throughput)")
    planner.add_argument("--margin", type=float, default=0.0,
                         help="plan with this fraction of the LUTs and FFs held back (e.g. 0.1; default 0)")
    planner.add_argument("--clock-mhz", type=float, default=100.0, help="clock for images/s (default 100)")
    planner.add_argument("--check", default=None, metavar="FOLDING",
                         help="validate this folding (rules and budget) and print its estimate instead of planning")
    planner.set_defaults(run=cmd_plan)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except (FormatError, DatasetError, MemFileError) as exc:
        print(f"{parser.prog} {args.command}: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
