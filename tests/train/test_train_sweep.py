"""The sweep summarises real run reports over seeds into the CSV rows, table and plot."""

from dataclasses import replace

import pytest

from train import sweep
from train.config import RunConfig
from train.trainer import run


def test_sweep_summarises_seeds(tmp_path):
    reports = [
        run(RunConfig(config="s15", hidden=(16,), limit_train=640, batch_size=64, epochs=1, float_epochs=0,
                      seed=seed, build_root=str(tmp_path)), log=lambda _: None).report
        for seed in (0, 1)
    ]
    rows = [sweep.row(report) for report in reports]
    (summary,) = sweep.summarise(rows)
    accs = [report["quant_acc"] for report in reports]
    assert summary["seeds"] == 2 and summary["bits"] == 4
    assert summary["acc_mean"] == pytest.approx(sum(accs) / 2)
    assert summary["acc_std"] == pytest.approx(abs(accs[0] - accs[1]) / 2)
    assert summary["bram18"] == reports[0]["bram18"]["total"]
    sweep.write_markdown([summary], tmp_path / "sweep.md")
    line = f"| {reports[0]['config']} | fixed_reference | 4 | 2 | {100 * summary['acc_mean']:.2f} ±"
    assert line in (tmp_path / "sweep.md").read_text()
    sweep.write_plot([summary], tmp_path / "sweep.png")
    assert (tmp_path / "sweep.png").read_bytes().startswith(b"\x89PNG")


def test_sweep_rejects_unknown_schemes(monkeypatch):
    monkeypatch.setenv("SWEEP_SCHEMES", "fixed_reference ternary")
    with pytest.raises(ValueError, match="unknown \\['ternary'\\]"):
        sweep.sweep_configs()


def test_sweep_subset_from_environment(monkeypatch):
    monkeypatch.setenv("SWEEP_CONFIGS", "paper")
    monkeypatch.setenv("SWEEP_SEEDS", "1 2")
    monkeypatch.setenv("SWEEP_BITS", "3")
    monkeypatch.setenv("SWEEP_SCHEMES", "consecutive float")
    configs = sweep.sweep_configs()
    assert [(c.config, c.scheme, c.delta_bits, c.seed) for c in configs if c.scheme != "float"] == [
        ("paper", "consecutive", 3, 1), ("paper", "consecutive", 3, 2)]
    assert len(configs) == 4


def test_sweep_table_covers_the_full_grid(monkeypatch):
    """A subset run still summarises every finished run of the grid: the selection variables do
    not narrow the grid, SWEEP_EPOCHS (part of a run's identity) does apply."""
    monkeypatch.setenv("SWEEP_CONFIGS", "paper")
    monkeypatch.setenv("SWEEP_BITS", "3")
    monkeypatch.setenv("SWEEP_EPOCHS", "7")
    grid = sweep.sweep_configs(selection=False)
    assert len(grid) == 2 * 3 * (7 * 2 + 2)  # configs x seeds x (bits x delta schemes + plain + float)
    assert {c.config for c in grid} == {"paper", "s15"} and {c.epochs for c in grid} == {7}
    assert len(sweep.sweep_configs()) == 3 * 4


def test_sweep_reuses_a_report_only_for_the_same_recipe(tmp_path, capsys):
    cfg = RunConfig(config="s15", hidden=(16,), limit_train=640, batch_size=64, epochs=1, float_epochs=0,
                    build_root=str(tmp_path))
    report = run(cfg, log=lambda _: None).report
    assert sweep.run_or_load(replace(cfg, threads=2), train=False) == report  # where it ran is not the recipe
    assert sweep.run_or_load(replace(cfg, lr=1e-3), train=False) is None
    assert "was trained with another recipe: left out" in capsys.readouterr().out
