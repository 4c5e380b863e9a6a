"""scripts/bench.py: the grid, its options and errors, the Pareto rule, and one small benchmark
run end to end on a dask LocalCluster (training, export, the Verilator harness, reuse)."""

from __future__ import annotations

import json

import pytest

from scripts import bench
from scripts.bench import BenchError, HardwarePoint, Settings, TrainPoint
from scripts.open_flow import ecp5_cell_counts, smallest_ecp5
from sim.harness.run import HarnessError, export_dataset
from train.config import RunConfig


def test_precision_specs_follow_the_documented_rule():
    assert bench.precision_spec("w8a8", "deltas", 3) == ("fixed_reference", "w8d4a8,w8d4a8,w8d4a8", 4)
    assert bench.precision_spec("w3a3", "deltas", 3) == ("fixed_reference", "w3d2a8,w3d2a3,w3d2a3", 2)
    assert bench.precision_spec("w4a4", "plain", 4) == ("plain", "w4a8,w4a4,w4a4,w4a4", 2)
    assert bench.precision_spec("mixed", "deltas", 4) == ("fixed_reference", "w2a8,w4d2a4,w4d2a4,w8d4a4", 4)
    assert bench.duplicate_storage("s15", "w2a2", "deltas") and not bench.duplicate_storage("s15", "w2a2", "plain")
    with pytest.raises(BenchError, match="'w9' is not wWaA or mixed"):
        bench.precision_spec("w9", "plain", 3)


def test_the_uniform_8bit_delta_point_is_the_preset_network():
    cfg = TrainPoint("s15", "fashion-mnist", "w8a8", "deltas", 0).config(None)
    assert cfg.recipe() == RunConfig(config="s15").recipe()
    mnist = TrainPoint("tfc", "mnist", "w2a2", "plain", 1).config(None)
    assert mnist.sizes == (784, 64, 64, 64, 10) and mnist.out_dir.parts[-2] == "tfc-mnist"


def test_settings_from_environment_name_the_bad_option():
    settings = Settings.from_env({"BENCH_NETWORKS": "tfc", "BENCH_SEEDS": "0 1", "BENCH_PNR_SEEDS": ""})
    assert settings.networks == ("tfc",) and settings.seeds == (0, 1) and settings.pnr_seeds == ()
    for env, message in (({"BENCH_NETWORKS": "lenet"}, "BENCH_NETWORKS: unknown \\['lenet'\\]"),
                         ({"BENCH_SEEDS": "zero"}, "BENCH_SEEDS='zero'"),
                         ({"BENCH_EPOCHS": "ten"}, "BENCH_EPOCHS='ten'"),
                         ({"BENCH_MARGIN": "1.5"}, "BENCH_MARGIN must be in"),
                         ({"BENCH_LANES": "0 16"}, "BENCH_LANES"),
                         ({"BENCH_STEPS": "route"}, "BENCH_STEPS")):
        with pytest.raises(BenchError, match=message):
            Settings.from_env(env)


def test_grid_covers_every_point_and_refuses_what_cannot_fit():
    settings = Settings(networks=("s15",), precisions=("w8a8", "w2a2"), storages=("deltas", "plain"))
    assert len(bench.train_points(settings)) == 3 * 2 * 3  # datasets x 3 (w2a2 deltas = plain) x seeds
    points = bench.hardware_points(settings)
    shared = [p for p in points if p.core == "shared"]
    assert sorted(p.lanes for p in shared if (p.precision, p.storage) == ("w8a8", "deltas")) == [1, 2, 4, 8, 16]
    refused = [p for p in points if p.refused]
    assert [(p.precision, p.storage) for p in refused] == [("w8a8", "plain")]  # 502 kbit of weights
    assert "no folding" in refused[0].role
    sweep = [p for p in points if p.core == "dataflow" and (p.precision, p.storage) == ("w2a2", "plain")]
    assert len(sweep) >= 5 and len({p.folding for p in sweep}) == len(sweep)
    assert sweep[0].role == "fastest" and sweep[-1].folding == "1,1,1"


def test_pareto_keeps_the_points_nothing_beats():
    rows = [{"s": 10, "a": 0.9}, {"s": 20, "a": 0.8}, {"s": 5, "a": 0.85}, {"s": 20, "a": 0.7}, {"s": None, "a": 1}]
    assert bench.pareto(rows, "max", "max", "s", "a") == {0, 1}
    assert bench.pareto([{"s": 1, "l": 5}, {"s": 2, "l": 4}, {"s": 2, "l": 9}], "max", "min", "s", "l") == {1}


def test_smallest_ecp5_takes_the_first_device_that_holds_the_netlist():
    design = {"modules": {"top": {"cells": {f"c{i}": {"type": t} for i, t in
                                            enumerate(["LUT4", "CCU2C", "DP16KD", "MULT18X18D"])}}}}
    assert ecp5_cell_counts(design, "top") == {"lut4": 3, "dp16kd": 1, "mult18x18d": 1}
    assert smallest_ecp5({"lut4": 1000, "dp16kd": 56, "mult18x18d": 4}) == "25k"
    assert smallest_ecp5({"lut4": 1000, "dp16kd": 120, "mult18x18d": 4}) == "85k"
    assert smallest_ecp5({"lut4": 30000, "dp16kd": 0, "mult18x18d": 0}) == "45k"
    with pytest.raises(RuntimeError, match="no LFE5U holds"):
        smallest_ecp5({"lut4": 1, "dp16kd": 300, "mult18x18d": 0})


def test_harness_dataset_comes_from_the_export(tmp_path):
    assert export_dataset(tmp_path) == "fashion-mnist"
    (tmp_path / "report.json").write_text(json.dumps({"dataset": "mnist"}))
    assert export_dataset(tmp_path) == "mnist"
    (tmp_path / "report.json").write_text("{")
    with pytest.raises(HarnessError, match="report.json: not valid JSON"):
        export_dataset(tmp_path)


@pytest.mark.slow
def test_small_benchmark_runs_end_to_end_and_resumes(tmp_path, capsys):
    settings = Settings(networks=("s15",), datasets=("fashion-mnist",), precisions=("w4a4",), storages=("deltas",),
                        seeds=(0,), epochs=1, limit_train=1024, sweep=(), pnr_seeds=(), steps=("harness",),
                        work=tmp_path / "work")
    reports, results = bench.execute(settings, None, 2)
    assert [r["quant_acc"] for r in reports] and all("error" not in r for r in [*reports, *results])
    accuracy, hardware = bench.summarise(reports, results, tmp_path / "out")
    assert {r["core"] for r in hardware} == {"shared", "dataflow"}
    for row in hardware:  # all 10,000 test images, the RTL equal to the golden model
        assert row["images"] == 10000 and row["mismatches"] == 0 and row["cycles_per_image"] > 0
    dataflow = next(r for r in hardware if r["core"] == "dataflow")
    assert dataflow["cycles_per_image"] < next(r for r in hardware if r["core"] == "shared")["cycles_per_image"]
    assert (tmp_path / "out" / "bench.md").read_text().count("| s15 | w4a4 | deltas |") == 2
    harness_file = settings.work / "hw" / HardwarePoint(**results[0]["point"]).dir_name / "harness.json"
    stamp = harness_file.stat().st_mtime_ns
    capsys.readouterr()
    again, _ = bench.execute(settings, None, 1)  # the same recipe: nothing trained or simulated again
    assert again[0]["recipe"] == reports[0]["recipe"] and harness_file.stat().st_mtime_ns == stamp
    summary, _ = bench.execute(Settings(**{**settings.__dict__, "execute": False, "epochs": 2}), None, 1)
    assert summary == [None]  # another recipe is not reused, and not run when not executing
