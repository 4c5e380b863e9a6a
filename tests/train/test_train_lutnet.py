"""LUT-network training (train/lutnet.py): tables = trained partitions on every entry, table
inference = torch integer simulation on all 10,000 test images, determinism, resume, options."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch

from model.lutnet import input_codes, scale_codes
from model.lutnet_export import load_lutnet_export
from train.__main__ import main as train_main
from train.config import ConfigError
from train.lutnet import LutRunConfig, integer_predict, load_trained, run
from train.trainer import cached_dataset

SMALL = {"layers": ((48, 6, 2), (30, 3, 2)), "class_partitions": 3, "width": 6, "depth": 1, "in_bits": 2,
         "epochs": 1, "limit_train": 4000, "batch_size": 50, "lr": 5e-2}


def small(tmp_path, **overrides) -> LutRunConfig:
    return LutRunConfig.preset("lut-tiny", build_root=str(tmp_path), **(SMALL | overrides))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    cfg = small(tmp_path_factory.mktemp("lut"))
    lines = []
    report = run(cfg, log=lines.append)
    return cfg, report, lines


def test_every_table_entry_is_the_trained_partition(trained):
    cfg, _, _ = trained
    net = load_lutnet_export(cfg.out_dir)
    trained_model = load_trained(cfg).double().eval()
    checked = 0
    for layer, table in zip(trained_model.layers, net.tables):
        shape = layer.shape
        x = torch.from_numpy(scale_codes(input_codes(shape.fan_in, shape.in_bits), shape.in_bits))
        with torch.no_grad():
            y = layer.subnet(x[:, None, :].expand(-1, shape.n_out, -1))
        codes = torch.clamp(torch.floor(y + 0.5), 0, (1 << shape.out_bits) - 1).long().numpy().T
        assert np.array_equal(codes, table), f"layer {shape.index}"
        checked += codes.size
    assert checked == sum(s.n_out * s.entries for s in cfg.spec.shapes)


def test_table_inference_equals_torch_integer_simulation_on_all_test_images(trained):
    cfg, report, lines = trained
    assert report["integer_sim_equals_golden"] and report["tables_equal_partitions"]
    net = load_lutnet_export(cfg.out_dir)
    images, labels = cached_dataset(cfg.dataset, "test", None)
    assert len(images) == 10000
    model = load_trained(cfg)
    scores, classes = integer_predict(model, torch.from_numpy(images))
    assert np.array_equal(net.scores(images), scores)
    assert np.array_equal(net.predict(images), classes)
    assert report["quant_acc"] == pytest.approx(float((classes == labels).mean()))
    assert report["quant_acc"] > 0.4  # one epoch on 4,000 images already learns something
    on_disk = json.loads((cfg.out_dir / "report.json").read_text())
    assert on_disk["table_entries"] == [64 * 64, 64] and on_disk["fan_in"] == [6, 3]
    assert any("epoch 1/1" in line for line in lines)


def test_training_is_deterministic_for_a_seed(trained, tmp_path):
    cfg, _, _ = trained
    again = small(tmp_path)
    run(again, log=lambda _: None)
    a, b = load_lutnet_export(cfg.out_dir), load_lutnet_export(again.out_dir)
    assert all(np.array_equal(x, y) for x, y in zip(a.tables, b.tables))
    other = small(tmp_path, seed=1)
    assert other.out_dir.name.endswith("-seed1")
    run(other, log=lambda _: None)
    assert not np.array_equal(load_lutnet_export(other.out_dir).conns[0], a.conns[0])


class Interrupt(Exception):
    pass


def test_an_interrupted_run_resumes_to_the_same_network(tmp_path):
    straight = small(tmp_path / "a", epochs=2)
    run(straight, log=lambda _: None)

    cut = small(tmp_path / "b", epochs=2)

    def stop_after_first_epoch(line):
        if "epoch 1/2" in line:
            raise Interrupt

    with pytest.raises(Interrupt):
        run(cut, log=stop_after_first_epoch)
    assert not (cut.out_dir / "report.json").exists()
    lines = []
    run(cut, resume=True, log=lines.append)
    assert any("resuming" in line and "epoch 1/2" in line for line in lines)
    a, b = load_lutnet_export(straight.out_dir), load_lutnet_export(cut.out_dir)
    assert all(np.array_equal(x, y) for x, y in zip(a.tables, b.tables))


@pytest.mark.parametrize("argv, message", [
    (["--layers", "48:6:2,31:3:2"], "31 partitions, expected num_classes \\* class_partitions = 10\\*4"),
    (["--layers", "48:6:0,40:3:2"], "out_bits \\(beta\\) must be an integer in 1..8, got 0"),
    (["--layers", "48:6:9,40:3:2"], "out_bits \\(beta\\) must be an integer in 1..8, got 9"),
    (["--layers", "48:6:2,40:49:2"], "LUT layer 1: fan-in F = 49 must be in 1..48"),
    (["--layers", "48:7:2,40:3:2"], "F\\*beta = 7\\*2 = 14 address bits gives tables of 2\\^14 = 16384 entries"),
    (["--layers", "48-6-2"], "--layers must be comma-separated n_out:fan_in:bits"),
    (["--width", "0"], "--width must be at least 1"),
])
def test_bad_options_name_the_layer_and_limit(argv, message, capsys):
    assert train_main(["--config", "lut-tiny", "--in-bits", "2", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("python -m train: error:")
    assert re.search(message, err), err


def test_mlp_options_are_refused_for_a_lut_preset(capsys):
    with pytest.raises(SystemExit):
        train_main(["--config", "lut-tiny", "--scheme", "plain"])
    assert "unrecognized arguments: --scheme plain" in capsys.readouterr().err


def test_unknown_lut_preset():
    with pytest.raises(ConfigError, match="unknown LUT preset 'lut-nope'"):
        LutRunConfig.preset("lut-nope")


def write_blobs(path, n=900, features=8, classes=3, seed=0):
    """A small generated tabular set: Gaussian blobs, one per class, 2/3 train and 1/3 test rows."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(classes, features))
    labels = rng.integers(0, classes, size=n)
    x = centres[labels] + rng.normal(size=(n, features))
    rows = [",".join([*(f"{v:.4f}" for v in x[i]), str(labels[i]), "test" if i % 3 == 0 else "train"]) for i in range(n)]
    path.write_text(",".join([*(f"f{j}" for j in range(features)), "label", "split"]) + "\n" + "\n".join(rows) + "\n")


def test_tabular_data_trains_exports_and_checks(tmp_path, capsys):
    csv = tmp_path / "blobs.csv"
    write_blobs(csv)
    argv = ["--config", "lut-tiny", "--dataset", "tabular", "--data-root", str(csv), "--in-bits", "2",
            "--layers", "24:3:2,12:3:2", "--class-partitions", "4", "--epochs", "3", "--batch-size", "32",
            "--lr", "0.05", "--build-root", str(tmp_path / "build")]
    assert train_main(argv) == 0
    out = next((tmp_path / "build" / "lut-tiny").glob("v*-seed0"))
    report = json.loads((out / "report.json").read_text())
    assert report["dataset"] == "tabular" and report["integer_sim_equals_golden"]
    assert report["quant_acc"] > 0.8  # well-separated blobs
    net = load_lutnet_export(out)
    assert net.spec.in_features == 8 and net.spec.num_classes == 3


def test_tabular_network_must_match_the_file(tmp_path, capsys):
    csv = tmp_path / "blobs.csv"
    write_blobs(csv)
    argv = ["--config", "lut-tiny", "--dataset", "tabular", "--data-root", str(csv), "--layers", "24:3:2,40:3:2",
            "--build-root", str(tmp_path / "build")]
    assert train_main(argv) == 2  # the last layer must be the file's 3 classes x 4 partitions
    assert "40 partitions, expected num_classes * class_partitions = 3*4" in capsys.readouterr().err
