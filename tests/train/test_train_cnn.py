"""CNN training (train.net.DeltaCNN): a few steps of the cnn-s15 preset on a small subset export a
network whose torch integer simulation equals the golden model; CNN options are checked."""

import json

import numpy as np
import pytest
import torch

from model.accounting import XC7S15_RAMB18, stored_bits
from model.cnn import MNIST_INPUT, CnnNetwork, format_layers, layer_shapes, parse_layers
from model.datasets import load_dataset
from model.export import export_network, load_export
from model.formats import acc_bits
from model.inference import layer_activations, predict
from train.config import CNN_PRESETS, ConfigError, RunConfig
from train.intsim import IntegerSimulation
from train.net import DeltaCNN, predict_forward
from train.trainer import REPORT, make_optimizer, run, train_epoch

TEST_IMAGES = 300


def check_exported(network, out_dir, images, model) -> None:
    """The export reads back as the network; torch integer simulation == golden model (classes and
    logits); the fake-quantised forward pass agrees up to float rounding."""
    loaded, manifest = load_export(out_dir)
    assert isinstance(loaded, CnnNetwork) and loaded.specs == network.specs
    for ours, theirs in zip(network.layers, loaded.layers):
        assert np.array_equal(ours.weights, theirs.weights) and np.array_equal(ours.bias, theirs.bias)
    golden = predict(loaded, images)
    simulated = IntegerSimulation(network)
    assert np.array_equal(simulated.predict(images), golden)
    assert np.array_equal(simulated.logits(images[:50]).numpy(), layer_activations(loaded, images[:50])[-1])
    assert np.mean(predict_forward(model, torch.from_numpy(images)) == golden) >= 0.97
    assert manifest["cnn"]["text"] == format_layers(network.specs)
    assert not (out_dir / "deltamac_net_pkg.sv").exists()


def test_cnn_s15_trained_a_few_steps_is_bit_exact(tmp_path):
    """The preset, 4 float and 4 QAT steps on 256 images (what run() does, without its 10,000-image
    checks): the exported network's torch integer simulation equals the golden model."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    cfg = RunConfig(config="cnn-s15", limit_train=256, batch_size=64)
    images, labels = load_dataset("fashion-mnist", "train")
    x, y = torch.from_numpy(images[:256]), torch.from_numpy(labels[:256].astype(np.int64))
    model = DeltaCNN(cfg.cnn_specs, MNIST_INPUT, cfg.activation, cfg.layer_formats, float((x.float() / 255).std()))
    shuffle = torch.Generator().manual_seed(0)
    train_epoch(model, None, 0.0, make_optimizer(model, cfg.lr), x, y, 64, shuffle, cfg.lr, 0, 1, "float")
    model.start_quantization(x.float())
    train_epoch(model, None, 0.0, make_optimizer(model, cfg.lr), x, y, 64, shuffle, cfg.lr, 0, 1, "qat")
    network = model.to_quant_network()
    export_network(network, tmp_path, cfg.lanes, "cnn-s15-steps")
    check_exported(network, tmp_path, load_dataset("fashion-mnist", "test")[0][:TEST_IMAGES], model)


def test_cnn_run_trains_exports_and_reports(tmp_path):
    """python -m train's run() on a small custom CNN (hardtanh, consecutive deltas, per-layer
    precision): export checked on the whole test set, report with the block-RAM budget."""
    cfg = RunConfig(cnn="conv3x3:4:valid,maxpool2x2,conv1x1:6,flatten,dense:8,dense:10", activation="hardtanh",
                    scheme="consecutive", delta_bits=3, bits="w8a8,w6a4,w8d3a3,w8a5", limit_train=256, batch_size=64,
                    epochs=2, float_epochs=1, build_root=str(tmp_path))
    result = run(cfg, log=lambda _: None)
    check_exported(result.network, cfg.out_dir, load_dataset("fashion-mnist", "test")[0][:TEST_IMAGES], result.model)
    report = json.loads((cfg.out_dir / REPORT).read_text())
    assert report["quant_acc"] > 0.2 and report["integer_sim_equals_golden"] and report["act_bits"] == [4, 3, 5]
    assert report["topology"] == cfg.topology_name
    budget = report["budget"]
    assert budget["weight_bits"] == report["weight_bits_stored"]
    assert budget["buffer_bits"] == 2 * 26 * 26 * 4 * 4  # the 4-bit conv output, the largest map
    assert budget["total_bits"] == budget["weight_bits"] + budget["bias_mult_bits"] + budget["buffer_bits"]


def test_cnn_s15_fits_the_xc7s15_block_ram():
    """The preset's budget (docs/train.md): the weight store at P=16, fixed_reference 4-bit deltas,
    biases and multipliers, two feature-map buffers (16 x 28x28 8-bit maps are the largest)."""
    cfg = RunConfig(config="cnn-s15")
    assert cfg.cnn_specs == parse_layers(CNN_PRESETS["cnn-s15"])
    largest = max(int(np.prod(out)) for _, out in layer_shapes(MNIST_INPUT, cfg.cnn_specs)[:-1])
    buffers = 2 * largest * 8
    manifest_like = {"delta": {"scheme": "fixed_reference", "weight_bits": 8, "delta_bits": 4, "group": None},
                     "cnn": {}, "layers": [{"n_in": n_in, "n_out": n_out} for n_in, n_out in cfg.rows]}
    weights = stored_bits(manifest_like, cfg.lanes).total.stored_bits
    acc = max(acc_bits(n_in, 8, False) for n_in, _ in cfg.rows)
    bias_mult = sum(n_out for _, n_out in cfg.rows) * (acc + 16)
    assert (weights, bias_mult, buffers) == (119_760, 3_960, 200_704)
    assert weights + bias_mult + buffers <= XC7S15_RAMB18 * 18 * 1024


@pytest.mark.parametrize("options, message", [
    (dict(config="cnn-s15", hidden=(32,)), "--hidden sets an MLP's hidden layers; 'cnn-s15' is a CNN"),
    (dict(cnn="conv4x4:8,flatten,dense:10"), r"--cnn: CNN entry 0 \(conv4x4:8\): kernel 4x4 is not supported"),
    (dict(cnn="conv3x3:8,maxpool2x2,maxpool2x2,maxpool2x2,flatten,dense:10"),
     r"--cnn: CNN entry 3 \(maxpool2x2\): the 7x7x8 map has an odd side"),
    (dict(cnn="conv3x3:8,flatten,dense:10", folding="16,1"), "--folding and --pixels-per-beat export for the dataflow core"),
    (dict(config="cnn-s15", bits="w8a8,w4a4"), "bits spec 'w8a8,w4a4' has 2 entries; the network has 4 layers"),
    (dict(cnn="conv3x3:8,flatten,dense:10", group=16), r"--group: layer 0 of conv3x3:8,flatten,dense:10: group 16 "
                                                       r"does not divide the row length n_in=9"),
])
def test_bad_cnn_options_are_refused_before_training(options, message):
    with pytest.raises(ConfigError, match=message):
        RunConfig(**options)


def test_cnn_runs_have_their_own_directories_and_recipes():
    preset, custom = RunConfig(config="cnn-s15"), RunConfig(cnn="conv3x3:8,flatten,dense:10")
    assert str(preset.out_dir) == "build/cnn-s15"
    assert str(custom.out_dir) == "build/cnn-conv3x3_8-flatten-dense_10"
    assert preset.recipe()["cnn"] == CNN_PRESETS["cnn-s15"] and "hidden" not in preset.recipe()
    assert "cnn" not in RunConfig().recipe() and RunConfig().recipe()["hidden"] == [80, 16]
