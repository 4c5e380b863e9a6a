"""Precision x parallelism benchmark (`make bench`; hours, not CI; results in docs/bench/).

    python -m scripts.bench [--scheduler tcp://host:8786] [--workers N] [--no-train] [--out docs/bench]

Accuracy grid: every network x dataset x precision x storage x seed is trained (train.trainer,
build root build/bench/train): its golden-model accuracy on the 10,000 test images, which the
trainer checked equal to the torch integer simulation.

Hardware grid, on the seed-0 FashionMNIST network of each network x precision x storage: the
shared-lane core at P = 16 and the dataflow core at the planner's fastest XC7S15 fit; for the
BENCH_SWEEP precisions also every lane count of BENCH_LANES and the planner's cheapest folding at
2, 4, 8, 32 times the fastest interval plus one lane per layer. Each point is exported
(build/bench/hw/...), runs all 10,000 test images through the Verilator harness (0 mismatches
required), is synthesised by Yosys for the XC7S15 and placed and routed for the ECP5 (the smallest
LFE5U that holds it, worst of BENCH_PNR_SEEDS).

Jobs run on dask.distributed: a LocalCluster of --workers processes (default: one per core), or
the scheduler at --scheduler / $BENCH_SCHEDULER. Every job writes its result with its recipe
(the training recipe, the folding, the hash of the RTL and flow sources); a rerun reuses a result
only for the same recipe, so an interrupted or extended benchmark resumes. Writes
<out>/bench_accuracy.csv, bench_hardware.csv, bench.md and two Pareto plots.

Selection (environment, all optional): BENCH_NETWORKS="s15 tfc", BENCH_DATASETS="fashion-mnist
mnist", BENCH_PRECISIONS="w8a8 w4a8 w4a4 w3a3 w2a2 mixed", BENCH_STORAGES="deltas plain",
BENCH_SEEDS="0 1 2", BENCH_EPOCHS (default: the training default), BENCH_LIMIT_TRAIN (train on the
first N images only: a quick look at the flow, not a result), BENCH_DIR=build/bench, BENCH_SWEEP="w8a8 w2a2",
BENCH_LANES="1 2 4 8 16", BENCH_PNR_SEEDS="1 2 3" ("" skips place and route), BENCH_STEPS="harness
synth pnr", BENCH_MARGIN=0.05 (the planner's LUT/FF reserve).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import json
import os
import re
import statistics
import sys
import time
import traceback
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from model.datasets import DATASETS
from model.folding import FoldingError, format_folding, initiation_interval, parse_folding
from model.formats import FormatError
from model.planner import NetShape, estimate, plan
from scripts.corefile import REPO, rtl_digest
from train.config import ACTIVATIONS, ConfigError, RunConfig

NETWORKS = ("s15", "tfc")
PRECISIONS = ("w8a8", "w4a8", "w4a4", "w3a3", "w2a2", "mixed")
STORAGES = ("deltas", "plain")
STEPS = ("harness", "synth", "pnr")
PIXELS_PER_BEAT = (1, 2, 4, 8)
SLOWER_INTERVALS = (2, 4, 8, 32)  # dataflow sweep: the planner's cheapest folding at these multiples of the fastest II
CLOCK_HZ = 100e6
PNR_FREQ_MHZ = 150.0
WORK = REPO / "build" / "bench"
OUT = REPO / "docs" / "bench"
RESULT = "bench_result.json"
# Sources besides the RTL whose change invalidates a hardware result.
FLOW_SOURCES = ("model/export.py", "model/packing.py", "model/svpkg.py", "model/memfile.py", "scripts/open_flow.py",
                "scripts/ecp5_regpack.py", "scripts/ecp5/brams_deep.txt", "deltamac.core", "sim/harness/build.py",
                "sim/harness/run.py", "sim/harness/harness.cpp", "sim/harness/deltamac_harness_wrapper.sv")


class BenchError(RuntimeError):
    """A benchmark option or result that cannot be used; the message says which."""


def precision_spec(precision: str, storage: str, n_layers: int) -> tuple[str, str, int]:
    """(scheme, per-layer bits spec, run delta bits) of a benchmark precision.

    `wWaA`: every layer has W-bit weights and every hidden activation A bits (layer 0 reads the
    8-bit pixels). `mixed`: the narrowest weights where most of them are, w2 in layer 0, w4a4 in
    the hidden layers and w8 in the last (its inputs 4-bit). Storage `deltas`: fixed_reference
    with D = max(2, W // 2)-bit deltas, a layer of W <= 2 stored plain (its deltas would not be
    narrower); `plain`: W-bit weights."""
    if precision == "mixed":
        layers = [(2, 8), *[(4, 4)] * (n_layers - 2), (8, 4)]
    else:
        match = re.fullmatch(r"w(\d)a(\d)", precision)
        if match is None:
            raise BenchError(f"BENCH_PRECISIONS: {precision!r} is not wWaA or mixed")
        weight, act = int(match[1]), int(match[2])
        layers = [(weight, 8), *[(weight, act)] * (n_layers - 1)]
    if storage not in STORAGES:
        raise BenchError(f"BENCH_STORAGES: {storage!r}; expected one of {', '.join(STORAGES)}")
    if storage == "plain":
        return "plain", ",".join(f"w{w}a{a}" for w, a in layers), 2
    deltas = {w: max(2, w // 2) for w, _ in layers if w > 2}
    spec = ",".join(f"w{w}d{deltas[w]}a{a}" if w in deltas else f"w{w}a{a}" for w, a in layers)
    return "fixed_reference", spec, max(deltas.values(), default=2)


@dataclass(frozen=True)
class TrainPoint:
    network: str
    dataset: str
    precision: str
    storage: str
    seed: int

    @property
    def name(self) -> str:
        return f"{self.network}/{self.dataset}/{self.precision}-{self.storage}/seed{self.seed}"

    def config(self, epochs: int | None, root: Path = WORK / "train", limit_train: int | None = None) -> RunConfig:
        n_layers = len(RunConfig(config=self.network).sizes) - 1
        scheme, spec, delta_bits = precision_spec(self.precision, self.storage, n_layers)
        options = ({} if epochs is None else {"epochs": epochs}) | (
            {} if limit_train is None else {"limit_train": limit_train})
        return RunConfig(config=self.network, dataset=self.dataset, scheme=scheme, bits=spec, delta_bits=delta_bits,
                         seed=self.seed, build_root=str(root), **options)


@dataclass(frozen=True)
class HardwarePoint:
    network: str
    precision: str
    storage: str
    core: str  # "shared" (deltamac_top) or "dataflow" (deltamac_dataflow_top)
    lanes: int | None = None  # shared: P
    folding: str | None = None  # dataflow: the folding text
    pixels_per_beat: int = 1
    role: str = ""  # why the point is in the grid: "fastest", "P=16", "sweep"

    @property
    def train(self) -> TrainPoint:
        return TrainPoint(self.network, DATASETS[0], self.precision, self.storage, 0)

    @property
    def refused(self) -> bool:
        """A dataflow point the planner found no XC7S15 folding for (its role says why)."""
        return self.core == "dataflow" and self.folding is None

    @property
    def parallelism(self) -> str:
        if self.refused:
            return "none fits"
        return f"P={self.lanes}" if self.core == "shared" else f"{self.folding} ppb{self.pixels_per_beat}"

    @property
    def dir_name(self) -> str:
        tag = f"p{self.lanes}" if self.core == "shared" else "refused" if self.refused else (
            self.folding.replace(",", "_").replace(":", "-") + f"-ppb{self.pixels_per_beat}")
        return f"{self.network}/{self.precision}-{self.storage}/{self.core}-{tag}"


@dataclass(frozen=True)
class Settings:
    networks: tuple[str, ...] = NETWORKS
    datasets: tuple[str, ...] = DATASETS
    precisions: tuple[str, ...] = PRECISIONS
    storages: tuple[str, ...] = STORAGES
    seeds: tuple[int, ...] = (0, 1, 2)
    epochs: int | None = None
    limit_train: int | None = None  # a quick look at the flow: train on the first N images only
    sweep: tuple[str, ...] = ("w8a8", "w2a2")
    lanes: tuple[int, ...] = (1, 2, 4, 8, 16)
    pnr_seeds: tuple[int, ...] = (1, 2, 3)
    steps: tuple[str, ...] = STEPS
    margin: float = 0.05
    work: Path = WORK
    execute: bool = True  # False: only read finished results (nothing is trained or run)

    @classmethod
    def from_env(cls, env=os.environ, execute: bool = True) -> Settings:
        def items(name, default, cast=str):
            text = env.get(name)
            try:
                return tuple(cast(x) for x in text.split()) if text is not None else default
            except ValueError:
                raise BenchError(f"{name}={text!r}: expected {cast.__name__} values separated by spaces") from None

        def number(name, cast, default):
            text = env.get(name)
            try:
                return cast(text) if text else default
            except ValueError:
                raise BenchError(f"{name}={text!r}: expected a number ({cast.__name__})") from None

        base = cls()
        settings = cls(
            networks=items("BENCH_NETWORKS", base.networks), datasets=items("BENCH_DATASETS", base.datasets),
            precisions=items("BENCH_PRECISIONS", base.precisions), storages=items("BENCH_STORAGES", base.storages),
            seeds=items("BENCH_SEEDS", base.seeds, int), sweep=items("BENCH_SWEEP", base.sweep),
            lanes=items("BENCH_LANES", base.lanes, int), pnr_seeds=items("BENCH_PNR_SEEDS", base.pnr_seeds, int),
            steps=items("BENCH_STEPS", base.steps),
            epochs=number("BENCH_EPOCHS", int, None), limit_train=number("BENCH_LIMIT_TRAIN", int, None),
            margin=number("BENCH_MARGIN", float, base.margin), work=Path(env.get("BENCH_DIR", WORK)),
            execute=execute)
        settings.check()
        return settings

    def check(self) -> None:
        for name, values, legal in (("BENCH_NETWORKS", self.networks, NETWORKS), ("BENCH_DATASETS", self.datasets, DATASETS),
                                    ("BENCH_PRECISIONS", self.precisions, PRECISIONS),
                                    ("BENCH_STORAGES", self.storages, STORAGES), ("BENCH_STEPS", self.steps, STEPS),
                                    ("BENCH_SWEEP", self.sweep, PRECISIONS)):
            unknown = [v for v in values if v not in legal]
            if unknown:
                raise BenchError(f"{name}: unknown {unknown}; expected some of {', '.join(legal)}")
        if any(p < 1 for p in self.lanes):
            raise BenchError(f"BENCH_LANES: lane counts must be at least 1, got {list(self.lanes)}")
        if not 0 <= self.margin < 1:
            raise BenchError(f"BENCH_MARGIN must be in [0, 1), got {self.margin}")


def train_points(settings: Settings) -> list[TrainPoint]:
    return [TrainPoint(n, d, p, s, seed) for n in settings.networks for d in settings.datasets
            for p in settings.precisions for s in settings.storages for seed in settings.seeds
            if not duplicate_storage(n, p, s)]


def duplicate_storage(network: str, precision: str, storage: str) -> bool:
    """Deltas of a precision whose every layer is stored plain are the plain point (trained once)."""
    n_layers = len(RunConfig(config=network).sizes) - 1
    return storage == "deltas" and "d" not in precision_spec(precision, storage, n_layers)[1]


def _shape(cfg: RunConfig, pixels_per_beat: int) -> NetShape:
    return NetShape.from_spec(cfg.sizes, cfg.layer_formats, cfg.act_bits, ACTIVATIONS[cfg.activation], pixels_per_beat)


def _narrowest_beat(n_in: int, interval: int) -> int:
    """The fewest pixels per beat that deliver an image within `interval` cycles."""
    return next((p for p in PIXELS_PER_BEAT if n_in // p <= interval), PIXELS_PER_BEAT[-1])


def dataflow_points(cfg: RunConfig, margin: float, sweep: bool) -> list[tuple[str, int, str]]:
    """(folding, pixels per beat, role) of the dataflow points: the planner's fastest XC7S15 fit,
    and with `sweep` its cheapest at slower intervals and one lane per layer. When nothing fits
    (e.g. 8-bit weights beyond the block RAM), one point without a folding, its role the
    planner's refusal."""
    try:
        fastest = plan(_shape(cfg, PIXELS_PER_BEAT[-1]), objective="throughput", margin=margin)
    except FoldingError as err:
        return [(None, 1, f"refused: {err}")]
    interval = initiation_interval(cfg.sizes, fastest)
    ppb = _narrowest_beat(cfg.sizes[0], interval)
    fastest = plan(_shape(cfg, ppb), objective="throughput", margin=margin)
    points = [(format_folding(fastest), ppb, "fastest")]
    if sweep:
        for factor in SLOWER_INTERVALS:
            target = factor * initiation_interval(cfg.sizes, fastest)
            ppb = _narrowest_beat(cfg.sizes[0], target)
            try:
                folding = plan(_shape(cfg, ppb), objective=("min_resources", CLOCK_HZ / target), margin=margin)
            except FoldingError:
                continue
            points.append((format_folding(folding), ppb, f"sweep II<={target}"))
        points.append((",".join("1" for _ in cfg.sizes[1:]), 1, "sweep one lane"))
    unique = {}
    for folding, ppb, role in points:
        unique.setdefault((folding, ppb), role)
    return [(folding, ppb, role) for (folding, ppb), role in unique.items()]


def hardware_points(settings: Settings) -> list[HardwarePoint]:
    points = []
    for network in settings.networks:
        for precision in settings.precisions:
            for storage in settings.storages:
                if duplicate_storage(network, precision, storage):
                    continue
                sweep = precision in settings.sweep
                cfg = TrainPoint(network, DATASETS[0], precision, storage, 0).config(settings.epochs)
                base = HardwarePoint(network, precision, storage, "shared")
                lanes = sorted({16, *settings.lanes}) if sweep else [16]
                points += [replace(base, lanes=p, role="P=16" if p == 16 else "sweep") for p in lanes]
                points += [replace(base, core="dataflow", folding=f, pixels_per_beat=ppb, role=role)
                           for f, ppb, role in dataflow_points(cfg, settings.margin, sweep)]
    return points


def file_digest(paths) -> str:
    digest = hashlib.sha256()
    for rel in paths:
        path = REPO / rel
        digest.update(rel.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"missing"))
    return digest.hexdigest()[:16]


def hardware_recipe(point: HardwarePoint, train_recipe: dict, step: str, settings: Settings) -> dict:
    recipe = {"point": asdict(point) | {"role": None}, "train": train_recipe, "step": step,
              "rtl": rtl_digest("dataflow" if point.core == "dataflow" else "default"),
              "flow": file_digest(FLOW_SOURCES)}
    if step == "pnr":
        recipe |= {"pnr_seeds": list(settings.pnr_seeds), "freq_mhz": PNR_FREQ_MHZ}
    return recipe


def _cached(path: Path, recipe: dict) -> dict | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError:
        return None
    return data if data.get("bench_recipe") == recipe else None


@contextlib.contextmanager
def _logged(path: Path):
    """Send a job's prints (training progress, tool messages) to its log file, not the terminal."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        yield


def run_training(point: TrainPoint, settings: Settings) -> dict | None:
    """The point's report.json: reused for the same recipe, else trained (None when not executing)."""
    from train.sweep import run_or_load

    cfg = point.config(settings.epochs, settings.work / "train", settings.limit_train)
    with _logged(cfg.out_dir / "bench.log"):
        report = run_or_load(cfg, settings.execute)
    return None if report is None else report | {"bench_point": asdict(point), "out_dir": str(cfg.out_dir)}


def run_hardware(point: HardwarePoint, train_report: dict, settings: Settings) -> dict:
    """Export the trained network for the point's core, then each step (cached by its recipe;
    when not executing, a step without a result is left out)."""
    from model.export import export_dataflow, export_network, load_export

    out = settings.work / "hw" / point.dir_name
    export = out / "export"
    result = {"point": asdict(point), "train_recipe": train_report["recipe"]}
    with _logged(out / "bench.log"):
        recipe = hardware_recipe(point, train_report["recipe"], "export", settings)
        if _cached(export / RESULT, recipe) is None and settings.execute:
            net, _ = load_export(Path(train_report["out_dir"]))
            name = f"bench-{point.dir_name.replace('/', '-')}"
            if point.core == "shared":
                export_network(net, export, point.lanes, name)
            else:
                export_dataflow(net, export, point.folding, name, point.pixels_per_beat)
            (export / "report.json").write_text(json.dumps({"dataset": train_report["dataset"]}) + "\n")
            (export / RESULT).write_text(json.dumps({"bench_recipe": recipe}) + "\n")
        for step in settings.steps:
            if step == "pnr" and not settings.pnr_seeds:
                continue
            path = out / f"{step}.json"
            recipe = hardware_recipe(point, train_report["recipe"], step, settings)
            cached = _cached(path, recipe)
            if cached is None and not settings.execute:
                continue
            if cached is None:
                cached = _run_step(step, export, settings) | {"bench_recipe": recipe}
                path.write_text(json.dumps(cached, indent=2) + "\n")
            result[step] = cached
    return result


def _run_step(step: str, export: Path, settings: Settings) -> dict:
    if step == "harness":
        from sim.harness.build import build_harness
        from sim.harness.run import run

        build_harness(export)
        report = run(export)
        report.pop("first_mismatches", None)
        return report
    from scripts.open_flow import pnr_ecp5, synth_xc7

    if step == "synth":
        return synth_xc7(export, export / "synth_xc7.json")
    return pnr_ecp5(export, export / "pnr_ecp5.json", "auto", None, PNR_FREQ_MHZ, list(settings.pnr_seeds))


def _job(function, *args):
    """A job's result, or its error as {"error": ...} so that one failed job never stops the rest."""
    try:
        return function(*args)
    except Exception as exc:  # reported in the table and the exit status
        return {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}


def _client(scheduler: str | None, workers: int):
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster), cluster


def execute(settings: Settings, scheduler: str | None, workers: int) -> tuple[list, list]:
    """Every job on the dask cluster, with progress; returns (training reports, hardware results)."""
    from distributed import as_completed

    hardware = hardware_points(settings)
    trains = list(dict.fromkeys([*train_points(settings), *(p.train for p in hardware)]))
    client, cluster = _client(scheduler, workers)
    try:
        futures = {}
        for point in trains:  # the networks the hardware needs first
            first = point.seed == 0 and point.dataset == DATASETS[0]
            futures[point] = client.submit(_job, run_training, point, settings, key=f"train-{point.name}",
                                           priority=2 if first else 1, pure=False)
        # The P=16 and fastest point of every precision before the parallelism sweeps.
        hw_futures = {p: client.submit(_hardware_job, p, futures[p.train], settings, key=f"hw-{p.dir_name}",
                                       priority=-1 if p.role.startswith("sweep") else 0, pure=False)
                      for p in hardware}
        total, done, start = len(futures) + len(hw_futures), 0, time.monotonic()
        print(f"[bench] {len(futures)} trainings and {len(hw_futures)} hardware points on {client}", flush=True)
        for future in as_completed([*futures.values(), *hw_futures.values()]):
            done += 1
            value = future.result()
            status = "FAILED: " + value["error"] if isinstance(value, dict) and "error" in value else (
                "no report (not trained)" if value is None else "ok")
            print(f"[bench] {done}/{total} {future.key}: {status} ({time.monotonic() - start:.0f} s)", flush=True)
        return ([futures[p].result() for p in trains], [hw_futures[p].result() for p in hw_futures])
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _hardware_job(point: HardwarePoint, train_report: dict | None, settings: Settings) -> dict | None:
    if point.refused:
        return {"point": asdict(point), "refused": point.role}
    if train_report is None and not settings.execute:
        return None
    if train_report is None or "error" in train_report:
        return {"point": asdict(point), "error": f"training {point.train.name} did not finish"}
    return _job(run_hardware, point, train_report, settings)


ACCURACY_COLUMNS = ("network", "dataset", "precision", "storage", "bits", "seeds", "acc_mean", "acc_std", "accs",
                    "stored_bits", "plain8_bits", "epochs")
HARDWARE_COLUMNS = ("network", "precision", "storage", "core", "parallelism", "role", "acc_mean", "acc_std",
                    "lut", "ff", "dsp48e1", "ramb18", "fits_xc7s15", "planner_lut", "planner_lut_error",
                    "cycles_per_image", "latency_cycles", "images_per_s_100mhz", "fmax_mhz", "ecp5_device",
                    "images_per_s_fmax", "images", "mismatches", "pareto_acc_speed", "pareto_speed_lut", "refused", "error")


def accuracy_rows(reports: list[dict]) -> list[dict]:
    groups: dict[tuple, list[dict]] = {}
    for report in reports:
        if report is None or "error" in report:
            continue
        p = report["bench_point"]
        groups.setdefault((p["network"], p["dataset"], p["precision"], p["storage"]), []).append(report)
    rows = []
    for (network, dataset, precision, storage), runs in sorted(groups.items()):
        accs = [r["quant_acc"] for r in sorted(runs, key=lambda r: r["seed"])]
        rows.append({"network": network, "dataset": dataset, "precision": precision, "storage": storage,
                     "bits": runs[0]["bits"], "seeds": len(runs), "acc_mean": statistics.mean(accs),
                     "acc_std": statistics.stdev(accs) if len(accs) > 1 else 0.0,
                     "accs": " ".join(f"{a:.4f}" for a in accs), "stored_bits": runs[0]["weight_bits_stored"],
                     "plain8_bits": runs[0]["weight_bits_plain"], "epochs": runs[0]["epochs"]})
    return rows


def hardware_row(result: dict, accuracy: dict[tuple, dict]) -> dict:
    point = HardwarePoint(**result["point"])
    acc = accuracy.get((point.network, DATASETS[0], point.precision, point.storage), {})
    row = {"network": point.network, "precision": point.precision, "storage": point.storage, "core": point.core,
           "parallelism": point.parallelism, "role": point.role, "acc_mean": acc.get("acc_mean"),
           "acc_std": acc.get("acc_std"), "error": result.get("error"), "refused": result.get("refused")}
    synth, harness, pnr = result.get("synth"), result.get("harness"), result.get("pnr")
    if synth:
        row |= {"lut": synth["lut"], "ff": synth["ff"], "dsp48e1": synth["dsp48e1"], "ramb18": synth["ramb18e1"]
                + 2 * synth["ramb36e1"], "fits_xc7s15": synth["fits_xc7s15"]}
    if point.core == "dataflow" and not point.refused and "error" not in result:
        cfg = point.train.config(None)
        predicted = estimate(_shape(cfg, point.pixels_per_beat), parse_folding(point.folding, len(cfg.sizes) - 1))
        row["planner_lut"] = round(predicted.total.lut)
        if synth:
            row["planner_lut_error"] = round(predicted.total.lut / synth["lut"] - 1, 4)
    if harness:
        cpi = harness["cycles_per_image"]
        row |= {"cycles_per_image": cpi, "latency_cycles": harness["latency_cycles"], "images": harness["images"],
                "mismatches": harness["mismatches"], "images_per_s_100mhz": CLOCK_HZ / cpi if cpi else None}
    if pnr:
        row |= {"fmax_mhz": pnr["fmax_mhz"], "ecp5_device": pnr["device"]}
        if harness and harness["cycles_per_image"]:
            row["images_per_s_fmax"] = pnr["fmax_mhz"] * 1e6 / harness["cycles_per_image"]
    return row


def pareto(rows: list[dict], better_x: str, better_y: str, x: str, y: str) -> set[int]:
    """Indices of the rows no other row beats on both x and y ("max" or "min" each)."""
    sign = {"max": 1, "min": -1}
    points = [(i, sign[better_x] * r[x], sign[better_y] * r[y]) for i, r in enumerate(rows)
              if r.get(x) is not None and r.get(y) is not None]
    return {i for i, a, b in points
            if not any(c >= a and d >= b and (c > a or d > b) for _, c, d in points)}


def summarise(train_reports: list[dict], hw_results: list[dict], out: Path) -> tuple[list[dict], list[dict]]:
    accuracy = accuracy_rows(train_reports)
    by_key = {(r["network"], r["dataset"], r["precision"], r["storage"]): r for r in accuracy}
    hardware = [hardware_row(result, by_key) for result in hw_results]
    for network in sorted({r["network"] for r in hardware}):
        rows = [r for r in hardware if r["network"] == network and r.get("mismatches") == 0 and r.get("fits_xc7s15")]
        for flag, front in (("pareto_acc_speed", pareto(rows, "max", "max", "images_per_s_100mhz", "acc_mean")),
                            ("pareto_speed_lut", pareto(rows, "max", "min", "images_per_s_100mhz", "lut"))):
            for i, r in enumerate(rows):
                r[flag] = i in front
    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / "bench_accuracy.csv", ACCURACY_COLUMNS, accuracy)
    _write_csv(out / "bench_hardware.csv", HARDWARE_COLUMNS, hardware)
    (out / "bench.md").write_text(markdown(accuracy, hardware))
    plot(hardware, out)
    return accuracy, hardware


def _write_csv(path: Path, columns, rows) -> None:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})


def _fmt(value, spec: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return format(value, spec)


def markdown(accuracy: list[dict], hardware: list[dict]) -> str:
    lines = ["# Precision x parallelism benchmark", "",
             "Generated by `make bench` (scripts/bench.py); accuracy: golden model = torch integer simulation on the "
             "10,000 test images, mean ± std over the seeds; hardware: the seed-0 FashionMNIST network.", "",
             "## Accuracy", "", "| network | dataset | precision | storage | per-layer bits | seeds | test acc | "
             "stored bits (plain 8-bit) |", "|---|---|---|---|---|---|---|---|"]
    for r in accuracy:
        lines.append(f"| {r['network']} | {r['dataset']} | {r['precision']} | {r['storage']} | `{r['bits']}` | "
                     f"{r['seeds']} | {100 * r['acc_mean']:.2f} ± {100 * r['acc_std']:.2f} % | "
                     f"{r['stored_bits']:,} ({r['plain8_bits']:,}) |")
    lines += ["", "## Hardware", "", "`P`: Pareto point (accuracy against images/s, images/s against LUT) among the "
              "points that fit the XC7S15 with 0 mismatches.", "",
              "| network | precision | storage | core | parallelism | LUT (planner) | FF | DSP | RAMB18 | fits | "
              "cycles/image | latency | images/s @100 MHz | ECP5 Fmax | images/s @Fmax | mismatches | P |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in hardware:
        if r.get("error") or r.get("refused"):
            why = f"failed: {r['error']}" if r.get("error") else r["refused"]
            lines.append(f"| {r['network']} | {r['precision']} | {r['storage']} | {r['core']} | {r['parallelism']} | "
                         f"{why[:120]} |" + " |" * 11)
            continue
        planner = f" ({_fmt(r.get('planner_lut'), ',')}, {_fmt(r.get('planner_lut_error'), '+.1%')})" \
            if r.get("planner_lut") else ""
        fmax = f"{_fmt(r.get('fmax_mhz'), '.1f')} ({r.get('ecp5_device') or '-'})" if r.get("fmax_mhz") else "-"
        flags = "".join(c for c, k in (("A", "pareto_acc_speed"), ("L", "pareto_speed_lut")) if r.get(k))
        lines.append(f"| {r['network']} | {r['precision']} | {r['storage']} | {r['core']} | {r['parallelism']} | "
                     f"{_fmt(r.get('lut'), ',')}{planner} | {_fmt(r.get('ff'), ',')} | {_fmt(r.get('dsp48e1'))} | "
                     f"{_fmt(r.get('ramb18'))} | {_fmt(r.get('fits_xc7s15'))} | {_fmt(r.get('cycles_per_image'), ',.0f')} | "
                     f"{_fmt(r.get('latency_cycles'), ',')} | {_fmt(r.get('images_per_s_100mhz'), ',.0f')} | {fmax} | "
                     f"{_fmt(r.get('images_per_s_fmax'), ',.0f')} | {_fmt(r.get('mismatches'))} | {flags} |")
    return "\n".join(lines) + "\n"


def plot(hardware: list[dict], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for name, (x, y, xlabel, ylabel) in {
        "pareto_accuracy_speed.png": ("images_per_s_100mhz", "acc_mean", "images/s at 100 MHz", "test accuracy"),
        "pareto_speed_lut.png": ("lut", "images_per_s_100mhz", "LUT (Yosys, XC7S15)", "images/s at 100 MHz"),
    }.items():
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for (network, core), marker in zip(sorted({(r["network"], r["core"]) for r in hardware}), "osd^v<>"):
            rows = [r for r in hardware if (r["network"], r["core"]) == (network, core)
                    and r.get(x) is not None and r.get(y) is not None]
            if rows:
                ax.scatter([r[x] for r in rows], [r[y] for r in rows], marker=marker, label=f"{network} {core}")
        ax.set_xscale("log")
        if x == "lut":
            ax.set_yscale("log")
            ax.axvline(8000, color="grey", linestyle="--", linewidth=0.8)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
        if ax.collections:
            ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / name, dpi=110)
        plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scheduler", default=os.environ.get("BENCH_SCHEDULER"),
                        help="dask scheduler address (default: a LocalCluster on this machine)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="LocalCluster worker processes")
    parser.add_argument("--no-train", action="store_true", help="only summarise the finished points")
    parser.add_argument("--out", type=Path, default=OUT, help="CSV, Markdown and PNG (default: docs/bench)")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(execute=not args.no_train)
        reports, results = execute(settings, args.scheduler, args.workers)
    except (BenchError, ConfigError, FormatError) as exc:
        print(f"[bench] error: {exc}", file=sys.stderr)
        return 2
    results = [r for r in results if r is not None]
    accuracy, hardware = summarise(reports, results, args.out)
    failed = [r for r in [*reports, *results] if isinstance(r, dict) and "error" in r]
    print(f"[bench] {len(accuracy)} accuracy rows, {len(hardware)} hardware rows -> {args.out}/bench.md")
    for r in failed:
        print(f"[bench] failed: {r.get('bench_point') or r.get('point')}: {r['error']}", file=sys.stderr)
    mismatched = [r for r in hardware if r.get("mismatches")]
    for r in mismatched:
        print(f"[bench] FAIL: {r['network']} {r['precision']} {r['core']} {r['parallelism']}: {r['mismatches']} "
              "mismatches between the RTL and the golden model", file=sys.stderr)
    return 1 if failed or mismatched else 0


if __name__ == "__main__":
    sys.exit(main())
