"""Bad options fail before training with messages that say what is wrong; variants get their own dirs."""

import itertools
from pathlib import Path

import pytest

from train.__main__ import main
from train.config import ConfigError, RunConfig


@pytest.mark.parametrize("options, message", [
    (dict(config="tiny"), "unknown preset 'tiny'"),
    (dict(delta_bits=0), "--delta-bits must be in 2..8, got 0"),
    (dict(delta_bits=9), "--delta-bits must be in 2..8, got 9"),
    (dict(scheme="plain", weight_bits=9), "--weight-bits for scheme plain must be in 2..8, got 9"),
    (dict(scheme="ternary"), "unknown scheme 'ternary'"),
    (dict(config="paper", group=16), "layer 1 of 784-150-16-400-120-84-10: group 16 does not divide the row length n_in=150"),
    (dict(hidden=(64,), group=8), "--group 8 cannot be exported for the RTL at 16 lanes"),
    (dict(weight_bits=3, delta_bits=4), "--weight-bits 3 is smaller than --delta-bits 4"),
    (dict(activation="sigmoid"), "unknown activation 'sigmoid'"),
    (dict(limit_train=100), "--limit-train 100 is smaller than one batch"),
    (dict(distill=1.5), "--distill must be in 0..1, got 1.5"),
    (dict(distill=0.5, float_epochs=0), "--distill needs a trained float teacher"),
    (dict(distill=0.5, scheme="float"), "--distill needs a trained float teacher"),
    (dict(bits="w8a8,w2a2"), "--bits: bits spec 'w8a8,w2a2' has 2 entries; the network has 3 layers"),
    (dict(bits="w8a8,w2a1,w8a8"), "entry 2 (w2a1): activation bits must be an integer in 2..8, got 1"),
    (dict(bits="w8a8,w2a9,w8a8"), "entry 2 (w2a9): activation bits must be an integer in 2..8, got 9"),
    (dict(bits="w2a2", scheme="float"), "--bits sets per-layer integer precisions: it needs a quantised --scheme"),
    (dict(bits="w8a8,w4a4,w8a8", scheme="consecutive"),
     "layer 1 (w4a4) is stored plain, and a consecutive core with 4-bit deltas cannot hold the steps"),
    (dict(folding="16x3,2,1"), "--folding: folding '16x3,2,1', layer 0 (784 inputs, 80 outputs): 3 parallel neurons do not divide n_out 80"),
    (dict(folding="16,2"), "--folding: folding '16,2' has 2 entries; the network has 3 layers"),
    (dict(folding="16:delta,2,1", scheme="consecutive"), "kind delta multiplies fixed_reference deltas"),
    (dict(folding="16,2,1", scheme="float"), "--folding exports for the dataflow core: it needs a quantised --scheme"),
    (dict(config="s15-dataflow", scheme="float"), "--folding exports for the dataflow core"),
    (dict(folding="28x2,2,1", pixels_per_beat=8), "--pixels-per-beat: pixels per beat 8: layer 0's 28 lanes are not a multiple"),
    (dict(pixels_per_beat=4), "--pixels-per-beat is part of a dataflow export: give --folding"),
    (dict(folding="16x10:delta,2,1"), "--folding: folding '16x10:delta,2:delta,1:delta': over the XC7S15 budget: LUT"),
    (dict(budget="zynq"), "unknown --budget 'zynq'"),
])
def test_bad_options_raise_clear_errors(options, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        RunConfig(**options)


@pytest.mark.parametrize("argv, message", [
    (["--config", "tiny"], "unknown preset 'tiny'"),
    (["--delta-bits", "9"], "--delta-bits must be in 2..8, got 9"),
    (["--group", "abc"], "--group must be 'row' or a positive integer, got 'abc'"),
    (["--config", "paper", "--group", "16"], "group 16 does not divide"),
    (["--hidden", "64,x"], "--hidden must be comma-separated layer sizes"),
    (["--bits", "w8a8,w4a4"], "--bits: bits spec 'w8a8,w4a4' has 2 entries; the network has 3 layers"),
    (["--folding", "16x0,2,1"], "--folding: folding '16x0,2,1'"),
])
def test_cli_reports_bad_options(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_cli_reports_a_missing_dataset_dir(tmp_path, capsys):
    missing = tmp_path / "no-such-dir"
    assert main(["--data-root", str(missing), "--build-root", str(tmp_path / "build")]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "not found" in err


def test_resume_refuses_a_checkpoint_of_another_configuration(tmp_path, capsys):
    argv = ["--hidden", "16", "--limit-train", "256", "--epochs", "1", "--build-root", str(tmp_path)]
    assert main(argv) == 0
    assert main(argv[:-4] + ["--epochs", "2", "--resume", "--build-root", str(tmp_path)]) == 2
    assert "written by a different configuration" in capsys.readouterr().err


def test_default_variant_and_every_other_variant_have_distinct_dirs():
    assert RunConfig(config="s15").out_dir == Path("build/s15")
    grid = itertools.product(["float", "plain", "fixed_reference", "consecutive"], [2, 4, 8], [None, 16], [0, 1])
    dirs = [RunConfig(config="s15", hidden=(64,), scheme=s, delta_bits=b, weight_bits=8, group=g, seed=seed).out_dir
            for s, b, g, seed in grid if not (s in ("float", "plain") and (b, g) != (4, None))]
    assert len(set(dirs)) == len(dirs)
    assert RunConfig(config="s15", hidden=(64,)).out_dir == Path("build/mlp-784-64-10")


def test_bits_spec_equal_to_the_default_is_the_default_run():
    """Spelling out the uniform precision changes nothing: same variant, same recipe, same network."""
    spelled = RunConfig(bits="w8a8,w8a8,w8a8")
    assert spelled.bits is None and spelled.variant == "" and spelled.recipe() == RunConfig().recipe()


def test_short_bits_spec_is_expanded_and_names_the_variant():
    cfg = RunConfig(bits="w2a2")
    assert cfg.bits == "w8a8,w2a2,w8a8"
    assert cfg.act_bits == (2, 8)
    assert cfg.variant == "fixed_reference-w8a8_w2a2_w8a8-d4-grow-seed0"
    assert [f.scheme.label for f in cfg.layer_formats] == ["fixed_reference", "plain", "fixed_reference"]


def test_help_describes_and_never_trains(tmp_path, monkeypatch, capsys):
    """--help of the training CLI and of the hours-long sweep prints usage and exits 0 at once."""
    from train.sweep import main as sweep_main

    monkeypatch.chdir(tmp_path)  # the sweep writes into ./build/sweep: nothing may appear there
    for entry in (main, sweep_main):
        with pytest.raises(SystemExit) as stop:
            entry(["--help"])
        assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "usage: python -m train " in out and "(default: fixed_reference)" in out
    assert "usage: python -m train.sweep" in out and "SWEEP_CONFIGS" in out
    assert not (tmp_path / "build").exists()


def test_folding_is_an_export_option_not_a_recipe():
    """s15-dataflow is s15's network exported for the dataflow core: the preset brings its folding,
    and --folding never changes what is trained (the recipe)."""
    preset = RunConfig(config="s15-dataflow")
    assert preset.export_folding is not None and preset.out_dir == Path("build/s15-dataflow")
    assert (preset.delta_bits, preset.export_pixels_per_beat, preset.variant) == (2, 4, "")
    assert RunConfig(config="s15-dataflow", delta_bits=4, folding="8x10:delta,2,1").variant == \
        "fixed_reference-w8-d4-grow-seed0"
    with pytest.raises(ConfigError, match="over the XC7S15 budget: LUT .* RAMB18 25 > 20"):
        RunConfig(config="s15-dataflow", delta_bits=4)  # 4-bit deltas: the preset's folding no longer fits
    assert RunConfig(config="s15-dataflow", folding="16x5,2,1").export_pixels_per_beat == 1
    assert RunConfig(folding="16x10:delta,2,1", budget="none").export_folding == "16x10:delta,2,1"
    assert RunConfig(config="s15").export_folding is None
    folded = RunConfig(folding="16x5:delta,2,1")
    assert folded.export_folding == "16x5:delta,2,1" and folded.variant == ""
    assert folded.recipe() == RunConfig().recipe()
