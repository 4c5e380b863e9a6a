"""CLI: python -m train --config paper|s15|... --scheme ... (see docs/train.md); a LUT-network
preset (lut-mnist, ...) takes its own options: python -m train --config lut-mnist --help."""

from __future__ import annotations

import argparse
import sys

from model.datasets import DATASETS, TABULAR, DatasetError, load_dataset
from model.formats import FormatError
from train.config import ACTIVATIONS, CNN_PRESETS, PRESETS, SCHEMES, ConfigError, RunConfig, parse_group
from train.lutnet import LUT_PRESETS, LutRunConfig, run as run_lutnet
from train.trainer import run


def parse_hidden(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ConfigError(f"--hidden must be comma-separated layer sizes like 64,32, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    defaults = RunConfig()
    parser = argparse.ArgumentParser(prog="python -m train", description=__doc__,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--config", default=defaults.config,
                        help=f"topology preset: {', '.join(PRESETS)}; CNNs: {', '.join(CNN_PRESETS)}; "
                             f"LUT networks: {', '.join(LUT_PRESETS)}")
    parser.add_argument("--hidden", help="custom hidden layer sizes, e.g. 64,32 (build dir mlp-<topology>)")
    parser.add_argument("--cnn", help="custom CNN layers, e.g. conv3x3:8,maxpool2x2,flatten,dense:10 "
                                      "(ARCHITECTURE.md section 9; build dir cnn-<layers>)")
    parser.add_argument("--scheme", default=defaults.scheme, choices=SCHEMES, help="weight storage")
    parser.add_argument("--delta-bits", type=int, default=None,
                        help=f"delta width (2..8); default: the preset's (s15-dataflow: 2), else {defaults.delta_bits}")
    parser.add_argument("--weight-bits", type=int, default=defaults.weight_bits,
                        help="plain: the weight bits; delta schemes: reference/decoded weight bits")
    parser.add_argument("--group", default="row", help="weights per reference: 'row' or a divisor of every n_in")
    parser.add_argument("--bits", default=None,
                        help="per-layer precision: one w<W>[d<D>]a<A> per layer (W-bit weights, D-bit deltas, A-bit "
                             "input activations), e.g. w8a8,w2a2,w8a8, or the short form w2a2 (first and last layer "
                             "w8a8); default: --weight-bits weights and 8-bit activations everywhere (docs/train.md)")
    parser.add_argument("--activation", default=defaults.activation, choices=tuple(ACTIVATIONS), help="hidden activation")
    parser.add_argument("--epochs", type=int, default=defaults.epochs, help="total epochs (float, then QAT)")
    parser.add_argument("--float-epochs", type=int, help="float pre-training epochs (default: a third)")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed of initialisation and shuffling")
    parser.add_argument("--lanes", type=int, default=defaults.lanes, help="MAC lanes P of the export (1..32)")
    parser.add_argument("--folding", default=None,
                        help="export for the dataflow core with this folding, P[xN][:kind] per layer (e.g. 16x5:delta,2,1; "
                             "ARCHITECTURE.md section 6); default: the preset's (s15-dataflow), else the shared-lane core "
                             "at --lanes")
    parser.add_argument("--pixels-per-beat", type=int, default=None,
                        help="dataflow export: pixels per s_axis beat (1, 2, 4, 8; layer 0's lanes a multiple of it); "
                             "default: the preset's, else 1")
    parser.add_argument("--budget", default=defaults.budget,
                        help="device the dataflow folding must fit by the planner's resource model (xc7s15), or none")
    parser.add_argument("--lr", type=float, default=defaults.lr, help="Adam learning rate")
    parser.add_argument("--distill", type=float, default=defaults.distill,
                        help="QAT loss weight (0..1) of distillation from the trained float network")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size, help="images per step")
    parser.add_argument("--limit-train", type=int, help="train on the first N training images only")
    parser.add_argument("--dataset", default=defaults.dataset, choices=DATASETS, help="training and test data")
    parser.add_argument("--data-root", help="dataset directory (default: the model.datasets default)")
    parser.add_argument("--build-root", default=defaults.build_root, help="where build/<config>/<variant> goes")
    parser.add_argument("--threads", type=int, default=defaults.threads, help="torch threads")
    parser.add_argument("--resume", action="store_true", help="continue from checkpoint.pt in the build dir")
    return parser


def parse_lut_layers(text: str) -> tuple[tuple[int, int, int], ...]:
    try:
        layers = tuple(tuple(int(v) for v in part.split(":")) for part in text.split(","))
    except ValueError:
        layers = ()
    if not layers or any(len(layer) != 3 for layer in layers):
        raise ConfigError(f"--layers must be comma-separated n_out:fan_in:bits per layer like 256:6:2,200:4:2, got {text!r}")
    return layers


def build_lut_parser(preset: str) -> argparse.ArgumentParser:
    """Options of a LUT-network preset; defaults are the preset's (ARCHITECTURE.md section 7)."""
    defaults = LutRunConfig.preset(preset)
    parser = argparse.ArgumentParser(prog="python -m train", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                                     description=f"Train, enumerate and export the LUT network {preset} (docs/train.md).")
    parser.add_argument("--config", default=preset, help=f"LUT-network preset: {', '.join(LUT_PRESETS)}")
    parser.add_argument("--in-bits", type=int, default=defaults.in_bits, help="input code bits (thresholds on the pixels)")
    parser.add_argument("--layers", default=",".join(":".join(map(str, layer)) for layer in defaults.layers),
                        help="n_out:fan_in:out_bits per layer; the last n_out = 10 * --class-partitions")
    parser.add_argument("--class-partitions", type=int, default=defaults.class_partitions,
                        help="last-layer partitions summed into one class score")
    parser.add_argument("--width", type=int, default=defaults.width, help="inner width N of a partition's sub-network")
    parser.add_argument("--depth", type=int, default=defaults.depth, help="hidden layers of a partition's sub-network")
    parser.add_argument("--window", type=int, default=defaults.window,
                        help="layer 0 reads F pixels of a WINDOW x WINDOW square (default: any pixel that varies)")
    parser.add_argument("--shift", type=int, default=defaults.shift,
                        help="augmentation: move training images by up to SHIFT pixels each way (0: none)")
    parser.add_argument("--epochs", type=int, default=defaults.epochs, help="training epochs")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed of connectivity, initialisation, shuffling")
    parser.add_argument("--lr", type=float, default=defaults.lr, help="peak Adam learning rate (one-cycle schedule)")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size, help="images per step")
    parser.add_argument("--limit-train", type=int, help="train on the first N training images only")
    parser.add_argument("--dataset", default=defaults.dataset, choices=(*DATASETS, TABULAR),
                        help="training and test data; tabular: the CSV file given as --data-root (model.datasets.load_tabular)")
    parser.add_argument("--data-root", help="dataset directory, or the CSV file of --dataset tabular")
    parser.add_argument("--pixels-per-beat", type=int, help="pixels per s_axis beat of the export (default: the whole image)")
    parser.add_argument("--build-root", default=defaults.build_root, help="where build/<config>[/seed<S>] goes")
    parser.add_argument("--threads", type=int, default=defaults.threads, help="torch threads")
    parser.add_argument("--resume", action="store_true", help="continue from checkpoint.pt in the build dir")
    return parser


def lut_config_from_args(args: argparse.Namespace) -> LutRunConfig:
    shape = {}
    if args.dataset == TABULAR:  # the network's input and output follow the file
        features, labels = load_dataset(TABULAR, "train", args.data_root)
        shape = {"in_features": features.shape[1], "num_classes": int(labels.max()) + 1}
    return LutRunConfig.preset(
        args.config, in_bits=args.in_bits, layers=parse_lut_layers(args.layers), class_partitions=args.class_partitions,
        width=args.width, depth=args.depth, window=args.window, shift=args.shift, epochs=args.epochs, seed=args.seed, lr=args.lr, batch_size=args.batch_size,
        limit_train=args.limit_train, dataset=args.dataset, data_root=args.data_root,
        pixels_per_beat=args.pixels_per_beat, build_root=args.build_root, threads=args.threads, **shape)


def lut_preset_of(argv: list[str]) -> str | None:
    """The LUT preset named by --config in argv, if any."""
    probe = argparse.ArgumentParser(add_help=False)
    probe.add_argument("--config")
    known, _ = probe.parse_known_args(argv)
    return known.config if known.config in LUT_PRESETS else None


def config_from_args(args: argparse.Namespace) -> RunConfig:
    return RunConfig(
        config=args.config, scheme=args.scheme, weight_bits=args.weight_bits, delta_bits=args.delta_bits,
        group=parse_group(args.group), bits=args.bits, folding=args.folding,
        pixels_per_beat=args.pixels_per_beat, budget=args.budget, epochs=args.epochs, float_epochs=args.float_epochs, seed=args.seed,
        lanes=args.lanes, activation=args.activation,
        hidden=parse_hidden(args.hidden) if args.hidden else None, cnn=args.cnn, limit_train=args.limit_train,
        batch_size=args.batch_size, lr=args.lr, distill=args.distill, dataset=args.dataset,
        data_root=args.data_root, build_root=args.build_root, threads=args.threads,
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    preset = lut_preset_of(argv)
    args = (build_lut_parser(preset) if preset else build_parser()).parse_args(argv)
    try:
        if preset:
            run_lutnet(lut_config_from_args(args), resume=args.resume)
        else:
            run(config_from_args(args), resume=args.resume)
    except (ConfigError, DatasetError, FormatError) as err:
        print(f"python -m train: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
