"""Results of the LUT-network presets over seeds: accuracy (mean and spread), Yosys xc7 LUT/FF,
ECP5 Fmax, latency and throughput, as JSON, Markdown and an accuracy-against-LUT plot.

    python -m scripts.lutnet_results --presets lut-mnist lut-mnist-s15 lut-fmnist:0 --seeds 0 1 2

`<preset>:<s>,<s>` takes its own seeds instead of --seeds. Accuracy comes from each seed's
report.json (table inference on the 10,000 test images, equal to the torch integer simulation and
checked there); hardware figures from the seed-0 build: `make sim-full` and `make synth` reports
are required (a missing one is an error that names the command that makes it), `make pnr` is
optional (its columns then name the command). Published reference points are drawn apart (Vivado
on an xcvu9p, out of context: other tool, other device) and never averaged with ours.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from train.lutnet import LutRunConfig

# (name, MNIST test accuracy, LUT) as published; Vivado, xcvu9p, out of context
PUBLISHED = (("NeuraLUT", 0.96, 54_798), ("PolyLUT-Add", 0.96, 14_810), ("TreeLUT", 0.97, 4_478))
SEED0_REPORTS = {
    "rtl_report.json": "make sim-full CONFIG={preset}",
    "synth_xc7.json": "make synth CONFIG={preset}",
}


def seed_dir(build_root: Path, preset: str, seed: int) -> Path:
    return build_root / preset / LutRunConfig.preset(preset, seed=seed).variant


def read(path: Path, command: str) -> dict:
    if not path.is_file():
        raise SystemExit(f"lutnet_results: {path} is missing; run `{command}` first")
    return json.loads(path.read_text())


def preset_row(build_root: Path, preset: str, seeds: list[int]) -> dict:
    reports = []
    for seed in seeds:
        command = f"make train CONFIG={preset} SEED={seed}"
        report = read(seed_dir(build_root, preset, seed) / "report.json", command)
        if report.get("architecture") != "lutnet" or report["config"] != preset or report["seed"] != seed:
            raise SystemExit(f"lutnet_results: {seed_dir(build_root, preset, seed)}/report.json is not "
                             f"the LUT network {preset} seed {seed}; rerun `{command}`")
        reports.append(report)
    base = seed_dir(build_root, preset, 0)
    rtl, synth = (read(base / name, command.format(preset=preset)) for name, command in SEED0_REPORTS.items())
    pnr = json.loads((base / "pnr_ecp5.json").read_text()) if (base / "pnr_ecp5.json").is_file() else None
    accs = [r["quant_acc"] for r in reports]
    first = reports[0]
    return {
        "preset": preset, "dataset": first["dataset"], "seeds": seeds,
        "test_acc_per_seed": accs, "test_acc_mean": statistics.fmean(accs),
        "test_acc_std": statistics.stdev(accs) if len(accs) > 1 else 0.0,
        "layers": [f"{n}xF{f}b{b}" for n, f, b in zip(first["partitions"], first["fan_in"], first["beta"])],
        "in_bits": first["in_bits"], "class_partitions": first["class_partitions"], "table_bits": first["table_bits"],
        "train_seconds_per_seed": [r["train_seconds"] for r in reports],
        "seed0": {
            "rtl_images": rtl["images"], "rtl_mismatches": rtl["mismatches"], "rtl_acc": rtl["rtl_acc"],
            "cycles_per_image": rtl["cycles_per_image"], "latency_cycles": rtl["latency_cycles"],
            "lut": synth["lut"], "ff": synth["ff"], "fits_xc7s15": synth["fits_xc7s15"],
            "yosys_seconds": synth["runtime_s"],
            "ecp5_fmax_mhz": pnr["fmax_mhz"] if pnr else None,
            "ecp5_fmax_mhz_per_seed": pnr.get("fmax_mhz_per_seed") if pnr else None,
            "ecp5_device": pnr.get("device") if pnr else None,
            "clock_mhz": pnr["fmax_mhz"] if pnr else rtl["clock_mhz"],  # latency and rate below: at this clock
            "latency_ns": 1e3 * rtl["latency_cycles"] / (pnr["fmax_mhz"] if pnr else rtl["clock_mhz"]),
            "images_per_second": (pnr["fmax_mhz"] if pnr else rtl["clock_mhz"]) * 1e6 / rtl["cycles_per_image"],
        },
    }


def markdown(rows: list[dict]) -> str:
    lines = ["| preset | dataset | network | test acc (mean ± std, seeds) | Yosys xc7 LUT / FF (seed 0) | "
             "ECP5 Fmax, worst placer seed | latency | images/s (at the Fmax, else 100 MHz) | RTL = golden (seed 0) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        s0 = row["seed0"]
        placer = s0["ecp5_fmax_mhz_per_seed"] or {}
        only = f" (placer seed {next(iter(placer))} only)" if len(placer) == 1 else ""
        fmax = (f"{s0['ecp5_fmax_mhz']:.1f} MHz{only}" if s0["ecp5_fmax_mhz"]
                else f"not run (`make pnr CONFIG={row['preset']}`)")
        accs = (f"{100 * row['test_acc_mean']:.2f} ± {100 * row['test_acc_std']:.2f} % ("
                + ", ".join(f"{100 * a:.2f}" for a in row["test_acc_per_seed"]) + ")"
                if len(row["seeds"]) > 1 else f"{100 * row['test_acc_mean']:.2f} % (seed {row['seeds'][0]} only)")
        lines.append(
            f"| {row['preset']} | {row['dataset']} | {row['in_bits']}-bit px, {', '.join(row['layers'])}, "
            f"{row['class_partitions']}/class | {accs} | {s0['lut']:,} / {s0['ff']:,}"
            f"{' (fits XC7S15)' if s0['fits_xc7s15'] else ''} | {fmax} | "
            f"{s0['latency_cycles']} cycles, {s0['latency_ns']:.1f} ns at {s0['clock_mhz']:.0f} MHz | "
            f"{s0['images_per_second'] / 1e6:.0f} M | {s0['rtl_images']:,} images, {s0['rtl_mismatches']} mismatches |")
    return "\n".join(lines) + "\n"


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for row in rows:
        ax.errorbar(row["seed0"]["lut"], 100 * row["test_acc_mean"], yerr=100 * row["test_acc_std"], fmt="o",
                    capsize=3, label=f"{row['preset']} ({row['dataset']}, Yosys xc7)")
    ax.scatter([luts for _, _, luts in PUBLISHED], [100 * acc for _, acc, _ in PUBLISHED], marker="x", color="grey",
               label="published, MNIST (Vivado, xcvu9p: another tool)")
    for name, acc, luts in PUBLISHED:
        ax.annotate(name, (luts, 100 * acc), fontsize=7, xytext=(0, 6), textcoords="offset points", ha="center")
    ax.axvline(8000, color="grey", linestyle=":", linewidth=1)
    ax.annotate("XC7S15: 8,000 LUT", (8000, ax.get_ylim()[0]), fontsize=7, rotation=90, xytext=(-10, 4),
                textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlim(2_000, 100_000)
    ax.set_xlabel("LUTs (whole core with its AXI-Stream wrapper)")
    ax.set_ylabel("test accuracy, %, mean of seeds")
    ax.set_title("LUT-mapped networks: accuracy against LUTs")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--presets", nargs="+", default=["lut-mnist", "lut-mnist-s15", "lut-fmnist"],
                        help="LUT-network presets (train/lutnet.py), each optionally <preset>:<seed>,<seed> with its own seeds")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2], help="training seeds to average")
    parser.add_argument("--build-root", type=Path, default=Path("build"), help="where make train wrote them")
    parser.add_argument("--out", type=Path, default=Path("build/lutnet_results"), help="output directory")
    args = parser.parse_args(argv)
    rows = []
    for item in args.presets:
        preset, _, own = item.partition(":")
        seeds = [int(s) for s in own.split(",")] if own else args.seeds
        if 0 not in seeds:
            parser.error(f"the seeds of {preset} must include 0 (the seed whose build has the hardware reports)")
        rows.append(preset_row(args.build_root, preset, seeds))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "lutnet_results.json").write_text(json.dumps(rows, indent=2) + "\n")
    text = markdown(rows)
    (args.out / "lutnet_results.md").write_text(text)
    plot(rows, args.out / "lutnet_accuracy_lut.png")
    sys.stdout.write(text)
    print(f"[lut] wrote {args.out}/lutnet_results.json, .md and lutnet_accuracy_lut.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
