"""Benchmark sweep (not CI): delta bits x {fixed_reference, consecutive} + plain 8-bit + float,
on each config and seed. Resumable: runs whose report.json exists are read, not retrained.

Environment (all optional): SWEEP_CONFIGS="paper s15", SWEEP_SEEDS="0 1 2", SWEEP_BITS="2 3 4 5 6 7 8",
SWEEP_SCHEMES="fixed_reference consecutive plain float", SWEEP_EPOCHS (default: the CLI default),
SWEEP_TRAIN=0 to only summarise the runs that already have a report.
Writes build/sweep/sweep.csv (one line per run), sweep.md (mean +- std over seeds) and sweep.png
over every finished run of the full grid (and of the selection), so that training a subset
never drops the other rows from the table.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
from pathlib import Path

from train.config import SCHEMES, RunConfig
from train.trainer import REPORT, run

SWEEP_DIR = Path("build/sweep")
DELTA_SCHEMES = ("fixed_reference", "consecutive")
COLUMNS = ("config", "scheme", "delta_bits", "seed", "float_acc", "quant_acc", "val_acc",
           "weight_bits_stored", "weight_bits_plain", "compression_ratio", "bram18", "train_seconds", "epochs")


def env_list(env, name: str, default: str, cast=str) -> list:
    return [cast(item) for item in env.get(name, default).split()]


def sweep_configs(selection: bool = True) -> list[RunConfig]:
    """The runs selected by the SWEEP_* variables, or (selection False) the full grid at SWEEP_EPOCHS."""
    env = os.environ if selection else {k: v for k, v in os.environ.items() if k == "SWEEP_EPOCHS"}
    epochs = int(env.get("SWEEP_EPOCHS", RunConfig().epochs))
    schemes = env_list(env, "SWEEP_SCHEMES", " ".join(SCHEMES))
    unknown = set(schemes) - set(SCHEMES)
    if unknown:
        raise ValueError(f"SWEEP_SCHEMES: unknown {sorted(unknown)}; expected some of {', '.join(SCHEMES)}")
    runs = []
    for config in env_list(env, "SWEEP_CONFIGS", "paper s15"):
        for seed in env_list(env, "SWEEP_SEEDS", "0 1 2", int):
            for scheme in schemes:
                if scheme in DELTA_SCHEMES:
                    bits = env_list(env, "SWEEP_BITS", "2 3 4 5 6 7 8", int)
                    runs += [RunConfig(config=config, scheme=scheme, delta_bits=b, seed=seed, epochs=epochs) for b in bits]
                else:  # plain 8-bit and float, the baselines
                    runs.append(RunConfig(config=config, scheme=scheme, weight_bits=8, seed=seed, epochs=epochs))
    return runs


def run_or_load(cfg: RunConfig, train: bool) -> dict | None:
    """The run's report: read when it exists for this recipe, else trained (None if not train)."""
    path = cfg.out_dir / REPORT
    finished = path.exists()
    if finished:
        report = json.loads(path.read_text())
        if report.get("recipe") == cfg.recipe():
            print(f"[sweep] {path} exists, skipping")
            return report
        print(f"[sweep] {path} was trained with another recipe: {'retraining' if train else 'left out'}")
    return run(cfg, resume=not finished).report if train else None


def row(report: dict) -> dict:
    values = {key: report.get(key) for key in COLUMNS}
    values["bram18"] = report["bram18"]["total"] if report.get("bram18") else None
    values["delta_bits"] = {"float": 32, "plain": report["weight_bits"]}.get(report["scheme"], report["delta_bits"])
    return values


def summarise(rows: list[dict]) -> list[dict]:
    """Mean and spread of accuracy over seeds per (config, scheme, bits)."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["config"], r["scheme"], r["delta_bits"]), []).append(r)
    table = []
    for (config, scheme, bits), runs in sorted(groups.items()):
        acc = [r["quant_acc"] if r["quant_acc"] is not None else r["float_acc"] for r in runs]
        table.append({
            "config": config, "scheme": scheme, "bits": bits, "seeds": len(runs),
            "acc_mean": statistics.mean(acc), "acc_std": statistics.pstdev(acc),
            "stored_bits": runs[0]["weight_bits_stored"],
            "stored_vs_plain8": runs[0]["weight_bits_stored"] / runs[0]["weight_bits_plain"],
            "bram18": runs[0]["bram18"], "train_seconds": statistics.mean(r["train_seconds"] for r in runs),
        })
    return table


def write_markdown(table: list[dict], path: Path) -> None:
    lines = ["| config | scheme | bits | seeds | test acc (mean ± std) | stored weight bits | vs plain 8-bit | RAMB18 | train s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for t in table:
        bits = "float32" if t["scheme"] == "float" else t["bits"]
        lines.append(f"| {t['config']} | {t['scheme']} | {bits} | {t['seeds']} | "
                     f"{100 * t['acc_mean']:.2f} ± {100 * t['acc_std']:.2f} % | {t['stored_bits']:,} | "
                     f"{100 * t['stored_vs_plain8']:.1f} % | {t['bram18'] if t['bram18'] is not None else '-'} | "
                     f"{t['train_seconds']:.0f} |")
    path.write_text("\n".join(lines) + "\n")


def write_plot(table: list[dict], path: Path) -> None:
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for (config, scheme) in sorted({(t["config"], t["scheme"]) for t in table}):
        points = sorted((t["stored_bits"], t["acc_mean"], t["acc_std"]) for t in table
                        if (t["config"], t["scheme"]) == (config, scheme))
        x, y, err = zip(*points)
        ax.errorbar(x, [100 * v for v in y], yerr=[100 * e for e in err], marker="o", capsize=3,
                    label=f"{config} {scheme}")
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())  # labelled minor ticks overlap
    ax.set_xlabel("stored weight bits (delta + reference ROMs)")
    ax.set_ylabel("FashionMNIST test accuracy (%)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> int:
    # No options, but --help must describe the sweep, never start it (hours of training).
    argparse.ArgumentParser(prog="python -m train.sweep", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    train = os.environ.get("SWEEP_TRAIN", "1") != "0"
    selected = sweep_configs()
    for cfg in selected:
        run_or_load(cfg, train)
    runs = {cfg.out_dir: cfg for cfg in sweep_configs(selection=False) + selected}
    reports = [run_or_load(cfg, train=False) for cfg in runs.values()]
    rows = [row(report) for report in reports if report is not None]
    if not rows:
        print("[sweep] no finished runs to summarise", file=sys.stderr)
        return 1
    SWEEP_DIR.mkdir(parents=True, exist_ok=True)
    with open(SWEEP_DIR / "sweep.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    table = summarise(rows)
    write_markdown(table, SWEEP_DIR / "sweep.md")
    write_plot(table, SWEEP_DIR / "sweep.png")
    print(f"[sweep] {len(rows)} runs -> {SWEEP_DIR}/sweep.csv, sweep.md, sweep.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
