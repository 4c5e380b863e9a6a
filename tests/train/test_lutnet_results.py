"""scripts/lutnet_results.py: a missing run or report is an error naming the command that makes it."""

from __future__ import annotations

import pytest

from scripts.lutnet_results import main


def test_a_missing_seed_names_the_training_command(tmp_path):
    with pytest.raises(SystemExit, match=r"build/lut-mnist/seed1/report\.json is missing; run `make train CONFIG=lut-mnist SEED=1`"):
        main(["--presets", "lut-mnist", "--seeds", "1", "0", "--build-root", str(tmp_path / "build"),
              "--out", str(tmp_path / "out")])


def test_seed_zero_is_required(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--presets", "lut-mnist", "--seeds", "1", "2", "--build-root", str(tmp_path)])
    assert "the seeds of lut-mnist must include 0" in capsys.readouterr().err
