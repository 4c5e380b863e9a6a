import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from model.__main__ import main
from model.accounting import stored_bits
from model.export import load_export
from model.inference import predict

REPO = Path(__file__).resolve().parents[2]


def test_export_eval_report(tmp_path, capsys, fashion_test):
    out = tmp_path / "tiny"
    argv = ["export-random", "--out", str(out), "--topology", "784-16-10", "--lanes", "8", "--scheme", "consecutive",
            "--delta-bits", "3", "--weight-bits", "6", "--group", "row", "--seed", "2", "--activation", "clamp"]
    assert main(argv) == 0
    assert "exported random-784-16-10-seed2: consecutive weight_bits=6 delta_bits=3" in capsys.readouterr().out
    net, manifest = load_export(out)
    assert manifest["lanes"] == 8 and net.layers[1].in_signed

    assert main(["eval", "--build", str(out), "--limit", "200"]) == 0
    text = capsys.readouterr().out
    images, labels = fashion_test
    correct = int(np.sum(predict(net, images[:200]) == labels[:200]))
    assert f"accuracy {correct / 200:.4f} ({correct}/200)" in text

    assert main(["report", "--build", str(out)]) == 0
    text = capsys.readouterr().out
    account = stored_bits(net, 8)
    total = re.search(r"^\s*total\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", text, re.M)
    assert [int(g) for g in total.groups()] == [account.total.delta_bits, account.total.reference_bits,
                                                account.total.padding_bits, account.total.stored_bits,
                                                account.total.baseline_bits]
    assert f"{account.compression_ratio:.3f}x" in text and "RAMB18 tiles on the XC7S15" in text


def test_export_random_does_not_overwrite_a_trained_export(tmp_path, capsys):
    argv = ["export-random", "--out", str(tmp_path), "--topology", "20-6-3", "--calibration", "random", "--lanes", "4"]
    assert main(argv) == 0
    assert main(argv + ["--seed", "5"]) == 0  # a random export may be replaced
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    (tmp_path / "manifest.json").write_text(json.dumps(manifest | {"name": "s15-trained"}))
    assert main(argv) == 1
    assert "holds the export 's15-trained', not a random network" in capsys.readouterr().err
    assert main(argv + ["--force"]) == 0
    (tmp_path / "manifest.json").write_text("{broken")
    assert main(argv) == 1
    assert "holds the export 'with an unreadable manifest.json'" in capsys.readouterr().err


def test_same_seed_same_export(tmp_path):
    for name in ("a", "b"):
        assert main(["export-random", "--out", str(tmp_path / name), "--topology", "20-6-3", "--calibration", "random",
                     "--lanes", "4", "--seed", "9"]) == 0
    for rom in ("delta.mem", "ref.mem", "bias.mem", "mult.mem", "deltamac_net_pkg.sv"):
        assert (tmp_path / "a" / rom).read_bytes() == (tmp_path / "b" / rom).read_bytes()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["eval", "--build", "{tmp}/none"], r"manifest\.json: not found"),
        (["export-random", "--out", "{tmp}/x", "--topology", "32-8-4", "--calibration", "random", "--group", "8"],
         "layer 0: group 8 is neither the whole row"),
        (["export-random", "--out", "{tmp}/x", "--scheme", "plain", "--delta-bits", "4"], "delta_bits must equal weight_bits"),
        (["export-random", "--out", "{tmp}/x", "--topology", "100-8-4"], "needs 784 inputs; use --calibration random"),
        (["export-random", "--out", "{tmp}/x", "--weight-bits", "17"], "weight_bits must be in 2..16, got 17"),
    ],
)
def test_runtime_errors_exit_1_with_a_message(tmp_path, capsys, argv, message):
    assert main([a.format(tmp=tmp_path) for a in argv]) == 1
    assert re.search(message, capsys.readouterr().err)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["export-random", "--out", "x", "--topology", "784-x-10"], "topology must look like 784-32-10"),
        (["export-random", "--out", "x", "--scheme", "zigzag"], "unknown delta scheme 'zigzag'"),
        (["export-random", "--out", "x", "--group", "half"], "group must be 'row' or a positive integer"),
        (["eval", "--build", "x", "--limit", "0"], "expected a positive integer, got '0'"),
    ],
)
def test_usage_errors_exit_2(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_python_dash_m_entry_point():
    result = subprocess.run([sys.executable, "-m", "model", "--help"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "export-random" in result.stdout


def test_data_root_option_reaches_the_loader(tmp_path, capsys):
    out = tmp_path / "net"
    assert main(["export-random", "--out", str(out), "--topology", "784-8-10", "--calibration", "random", "--lanes", "4"]) == 0
    missing = tmp_path / "no-dataset-here"
    assert main(["eval", "--build", str(out), "--data-root", str(missing)]) == 1
    err = capsys.readouterr().err
    assert f"{missing}: dataset directory not found" in err and "apt-get install dataset-fashion-mnist" in err
