"""Smoke trainings on a few hundred real images through export: the torch integer simulation,
the golden model and the export read back agree; runs are deterministic and resumable."""

import json

import numpy as np
import pytest
import torch

from model.accounting import stored_bits
from model.datasets import load_dataset
from model.export import load_export
from model.inference import predict
from model.network import describe_precision
from train.config import RunConfig
from train.intsim import IntegerSimulation
from train.net import predict_forward
from train.trainer import REPORT, run

TEST_IMAGES = 300


def smoke_config(tmp_path, **options) -> RunConfig:
    base = dict(config="s15", hidden=(32, 16), limit_train=640, batch_size=64, epochs=2, float_epochs=1,
                build_root=str(tmp_path))
    return RunConfig(**(base | options))


@pytest.fixture(scope="module")
def test_images():
    images, labels = load_dataset("fashion-mnist", "test")
    return images[:TEST_IMAGES], labels


def same_network(a, b) -> bool:
    return all(
        np.array_equal(getattr(x, name), getattr(y, name))
        for x, y in zip(a.layers, b.layers)
        for name in ("weights", "bias", "mult", "req_shift", "delta_shift", "activation", "in_signed", "act_bits",
                     "in_bits")
    ) and a.formats == b.formats


@pytest.mark.parametrize("options", [
    dict(scheme="fixed_reference", delta_bits=4),
    dict(scheme="consecutive", delta_bits=3, activation="hardtanh"),
    dict(scheme="fixed_reference", delta_bits=2, group=16, hidden=(64, 32)),
    dict(scheme="plain", weight_bits=6),
    dict(scheme="fixed_reference", delta_bits=3, distill=0.5),
    dict(scheme="fixed_reference", delta_bits=3, bits="w8a8,w2a2,w6d2a4"),
    dict(scheme="plain", activation="hardtanh", bits="w8a8,w4a3,w3a5"),
], ids=["fixed_reference", "consecutive-hardtanh", "fixed_reference-group16", "plain6", "distill", "mixed-w2a2",
        "mixed-plain-hardtanh"])
def test_smoke_training_exports_the_trained_network(tmp_path, test_images, options):
    cfg = smoke_config(tmp_path, **options)
    result = run(cfg, log=lambda _: None)
    images, labels = test_images
    loaded, manifest = load_export(cfg.out_dir)
    assert same_network(loaded, result.network)
    golden = predict(loaded, images)
    assert np.array_equal(IntegerSimulation(result.network).predict(images), golden)
    # The fake-quantised forward pass is the integer network up to float rounding.
    assert np.mean(predict_forward(result.model, torch.from_numpy(images)) == golden) >= 0.97
    report = json.loads((cfg.out_dir / REPORT).read_text())
    full_golden = predict(loaded, load_dataset("fashion-mnist", "test")[0])
    assert report["quant_acc"] == pytest.approx(np.mean(full_golden == labels))
    assert report["quant_acc"] > 0.3  # chance is 0.1: 640 images and 2 epochs learn something
    bits = stored_bits(loaded, cfg.lanes)
    assert (report["weight_bits_stored"], report["weight_bits_plain"]) == (bits.total.stored_bits, bits.total.baseline_bits)
    assert report["topology"] == list(cfg.sizes) == manifest["topology"]
    assert report["bits"] == describe_precision(loaded) == describe_precision(result.network)
    assert [entry["act_bits"] for entry in manifest["layers"][:-1]] == report["act_bits"] == list(cfg.act_bits)
    assert {name: rom["bram18"] for name, rom in manifest["roms"].items()} == {
        name: tiles for name, tiles in report["bram18"].items() if name != "total"}
    for key in ("dataset", "scheme", "delta_bits", "group", "float_acc", "compression_ratio", "epochs",
                "seed", "train_seconds", "lanes", "val_acc", "bram18"):
        assert report[key] is not None, key


def test_smoke_training_exports_for_the_dataflow_core(tmp_path, test_images):
    """--folding: the trained network is exported per layer in its own format (ARCHITECTURE.md
    section 6) and reads back equal to it; the report names the architecture and folding."""
    cfg = smoke_config(tmp_path, scheme="fixed_reference", delta_bits=3, bits="w8a8,w3a3,w6d2a4",
                       folding="16x2:delta,8x2:lut,4", pixels_per_beat=8)
    result = run(cfg, log=lambda _: None)
    loaded, manifest = load_export(cfg.out_dir)
    assert same_network(loaded, result.network)
    assert manifest["architecture"] == "dataflow" and manifest["folding"]["text"] == "16x2:delta,8x2:lut,4:delta"
    images, _ = test_images
    assert np.array_equal(IntegerSimulation(result.network).predict(images), predict(loaded, images))
    report = json.loads((cfg.out_dir / REPORT).read_text())
    assert (report["architecture"], report["folding"], report["lanes"]) == ("dataflow", "16x2:delta,8x2:lut,4:delta", None)
    assert report["pixels_per_beat"] == manifest["pixels_per_beat"] == 8
    assert report["bram18"]["total"] == sum(rom["bram18"] for rom in manifest["roms"].values())


def test_float_scheme_reports_float_accuracy_without_export(tmp_path):
    cfg = smoke_config(tmp_path, scheme="float", epochs=1, float_epochs=None)
    result = run(cfg, log=lambda _: None)
    assert result.network is None and not (cfg.out_dir / "manifest.json").exists()
    assert result.report["float_acc"] > 0.3 and result.report["quant_acc"] is None


class Interrupted(Exception):
    pass


@pytest.mark.parametrize("stop_after", [1, 2], ids=["in-float-phase", "in-qat-distilling"])
def test_runs_are_deterministic_and_resume_where_they_stopped(tmp_path, stop_after):
    """Epoch 1 is float, epochs 2-3 are QAT distilling from the float network, which a resumed
    run must restore from the checkpoint."""
    options = dict(epochs=3, distill=0.5)
    first = run(smoke_config(tmp_path / "a", **options), log=lambda _: None)
    again = run(smoke_config(tmp_path / "b", **options), log=lambda _: None)
    assert same_network(first.network, again.network)

    def stop(line):
        if line.startswith(f"[train] epoch {stop_after}/"):
            raise Interrupted

    resumed_cfg = smoke_config(tmp_path / "c", **options)
    with pytest.raises(Interrupted):
        run(resumed_cfg, log=stop)
    assert not (resumed_cfg.out_dir / REPORT).exists()
    resumed = run(resumed_cfg, resume=True, log=lambda _: None)
    assert same_network(first.network, resumed.network)
    other_seed = run(smoke_config(tmp_path / "d", seed=1, **options), log=lambda _: None)
    assert not same_network(first.network, other_seed.network)
