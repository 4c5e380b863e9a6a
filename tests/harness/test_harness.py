"""The Verilator whole-test-set harness (sim/harness/) on a small exported random network.

One shared export and three builds of about 20 s each (Verilator + g++): OUT_LOGITS=1; OUT_LOGITS=0
with seeded random X values; and one with tests/harness/broken_deltamac_top.sv, which misbehaves
on request to prove the protocol checks fire. The network is a 3-layer `consecutive` one with
clamp activations, groups of 8 and 8 lanes, so it differs from the RTL engineers' 784-32-10
fixed_reference P=16 cocotb case. 500 real FashionMNIST test images run with random idle cycles
and backpressure; the other tests prove the comparison can fail and that bad input is refused
before any simulation.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess

from pathlib import Path

import numpy as np
import pytest

from model.datasets import load_fashion_mnist
from model.export import export_network, load_export
from model.formats import DeltaFormat, Scheme
from model.random_net import random_network
from sim.harness import run as harness_run
from sim.harness.build import HarnessBuildError, Variant, build_harness
from sim.harness.run import HarnessError, compare, describe, run, simulate

pytestmark = pytest.mark.slow

TOPOLOGY = (784, 24, 16, 10)
LANES = 8
FORMAT = DeltaFormat(Scheme.CONSECUTIVE, 8, 4, 8)
IMAGES = 500
BROKEN_TOP = Path(__file__).with_name("broken_deltamac_top.sv")
CLASS_ONLY_X_RANDOM = Variant(out_logits=0, x_random=True)


@pytest.fixture(scope="module")
def test_set():
    images, labels = load_fashion_mnist("test")
    return images[:IMAGES], labels[:IMAGES]


@pytest.fixture(scope="module")
def export(tmp_path_factory, worker_id):
    """A calibrated random export with its harnesses built: (export dir, network).

    <export>/harness, <export>/harness-class-xrand and <export>/../broken-harness.

    Built once per session: pytest-xdist workers share it through a lock in their common temp dir.
    Tests must not write into it (each uses its own tmp_path for work files and reports).
    """
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        shared = shared.parent
    out = shared / "ci-harness"
    with open(shared / "ci-harness.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "ready").is_file():
            train_images, _ = load_fashion_mnist("train")
            net = random_network(TOPOLOGY, FORMAT, seed=3, calibration=train_images[:512], activation="clamp")
            export_network(net, out, LANES, "ci-harness")
            build_harness(out)
            build_harness(out, variant=CLASS_ONLY_X_RANDOM)
            build_harness(out, shared / "broken-harness", rtl=[BROKEN_TOP])
            (out / "ready").touch()
    return out, load_export(out)[0]


def copy_export(export_dir, destination):
    """The export files without the harness build (the binary stays with the original)."""
    shutil.copytree(export_dir, destination, ignore=shutil.ignore_patterns("harness", "rtl_report.json"))
    return destination


def test_500_images_with_backpressure_match_golden(export, test_set, tmp_path):
    export_dir, net = export
    images, labels = test_set
    report_path = tmp_path / "report.json"
    report = run(export_dir, limit=IMAGES, backpressure=True, seed=11, report_path=report_path,
                 images=images, labels=labels, work_dir=tmp_path / "work")
    assert report["mismatches"] == 0, report["first_mismatches"]
    assert json.loads(report_path.read_text()) == report
    assert report["images"] == IMAGES and report["lanes"] == LANES and report["backpressure"]
    assert report["rtl_acc"] == report["golden_acc"]
    assert report["macs_per_image"] == 784 * 24 + 24 * 16 + 16 * 10
    assert report["padded_word_cycles_per_image"] == 98 * 24 + 3 * 16 + 2 * 10
    # One image per padded-word pass at best; a sane pipeline keeps most of that.
    assert 0.5 < report["padded_utilisation"] <= 1.0
    assert report["mac_utilisation"] <= report["padded_utilisation"]
    assert report["cycles_per_image"] < report["latency_cycles"]
    assert report["latency_cycles"] > 784 + report["padded_word_cycles_per_image"]
    assert report["images_per_second"] == pytest.approx(100e6 / report["cycles_per_image"])
    assert report["macs_per_second"] == pytest.approx(report["images_per_second"] * report["macs_per_image"])
    assert report["baseline_macs_per_second"] == 7.992e6
    assert report["sim_seconds"] > 0 and report["sim_images_per_second"] > 0


def test_class_only_random_x_harness_matches_golden_and_can_fail(export, test_set, tmp_path):
    export_dir, net = export
    images, labels = test_set
    for seed in (12, 13):  # two different sets of random initial values
        report = run(export_dir, limit=100, backpressure=True, seed=seed, report_path=tmp_path / "report.json",
                     images=images, labels=labels, work_dir=tmp_path / "work", variant=CLASS_ONLY_X_RANDOM)
        assert report["mismatches"] == 0, report["first_mismatches"]
        assert report["out_logits"] == 0 and report["x_random"] and report["images"] == 100
    results, _ = simulate(export_dir / "harness-class-xrand" / "harness", export_dir, images[:8], tmp_path / "again",
                          n_logits=0, backpressure=False, seed=1)
    logits = harness_run.run_network(net, images[:8])
    wrong_classes = (np.argmax(logits, axis=1) + 1) % net.n_classes
    mismatches = compare(logits, wrong_classes, results)
    assert len(mismatches) == len(results.image) and mismatches[0]["actual_logits"] is None
    assert "not sent (harness built with OUT_LOGITS=0)" in harness_run.format_mismatch(mismatches[0])


def test_describe_reports_the_compiled_package(export):
    export_dir, net = export
    constants = describe(export_dir / "harness" / "harness")
    assert constants["OUT_LOGITS"] == 1 and constants["X_RANDOM"] == 0 and constants["LANES"] == LANES and constants["SCHEME"] == int(Scheme.CONSECUTIVE)
    assert constants["LAYER_N_IN"] == [784, 24, 16] and constants["LAYER_N_OUT"] == [24, 16, 10]
    assert constants["LAYER_CHUNKS"] == [98, 3, 2]


def test_corrupted_expectation_fails_the_run(export, test_set, tmp_path, monkeypatch, capsys):
    export_dir, _ = export
    golden = harness_run.run_network

    def off_by_one(net, images):
        logits = golden(net, images)
        logits[3, 7] += 1
        return logits

    monkeypatch.setattr(harness_run, "run_network", off_by_one)
    monkeypatch.setattr(harness_run, "load_dataset", lambda name, split: test_set)
    code = harness_run.main(["--export", str(export_dir), "--limit", "20", "--report", str(tmp_path / "report.json"),
                             "--work", str(tmp_path / "work")])
    assert code == 1
    err = capsys.readouterr().err
    assert "1 results differ" in err and "image 3 (stream)" in err and "expected logits" in err


def test_corrupted_rom_makes_results_differ(export, test_set, tmp_path):
    export_dir, net = export
    images = test_set[0][:8]
    corrupted = copy_export(export_dir, tmp_path / "corrupted")
    bias = (corrupted / "bias.mem").read_text().splitlines()
    last = len(bias) - 10  # the last layer's first neuron: logit 0 of every image
    bias[last] = format(int(bias[last], 16) ^ (1 << 4), f"0{len(bias[last])}x")
    (corrupted / "bias.mem").write_text("\n".join(bias) + "\n")
    results, _ = simulate(export_dir / "harness" / "harness", corrupted, images, tmp_path / "work",
                          n_logits=net.n_classes, backpressure=False, seed=1)
    logits = harness_run.run_network(net, images)
    mismatches = compare(logits, np.argmax(logits, axis=1), results)
    assert len(mismatches) == len(results.image)  # every result's logit 0 is off by 16
    assert all(m["expected_logits"][1:] == m["actual_logits"][1:] for m in mismatches)
    # The driver itself refuses the corrupted export before simulating: the ROMs disagree with weights.npz.
    with pytest.raises(HarnessError, match="invalid export .*b2 differs"):
        run(corrupted, harness_dir=export_dir / "harness", limit=1, work_dir=tmp_path / "work")


def test_missing_build_directory_is_an_error(tmp_path, capsys):
    assert harness_run.main(["--export", str(tmp_path / "no-such-config")]) == 2
    assert "no-such-config does not exist: export a network into it first" in capsys.readouterr().err
    with pytest.raises(HarnessBuildError, match="does not exist"):
        build_harness(tmp_path / "no-such-config")


def test_missing_rom_file_is_an_error(export, tmp_path):
    export_dir, _ = export
    broken = copy_export(export_dir, tmp_path / "broken")
    (broken / "mult.mem").unlink()
    with pytest.raises(HarnessError, match=r"invalid export .*mult\.mem: file not found"):
        run(broken, harness_dir=export_dir / "harness", work_dir=tmp_path / "work")


def test_binary_refuses_to_run_without_rom_files(export, tmp_path):
    export_dir, _ = export
    (tmp_path / "images.bin").write_bytes(bytes(784))
    result = subprocess.run([str(export_dir / "harness" / "harness"), "--images", "images.bin", "--results", "r.txt"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "ROM file delta.mem not found in the working directory" in result.stderr


def test_stale_harness_for_another_export_is_an_error(export, tmp_path):
    export_dir, _ = export
    other = tmp_path / "other"
    export_network(random_network((784, 32, 10), FORMAT, seed=4), other, LANES, "other")
    with pytest.raises(HarnessError, match=r"compiled for a different network .*LAYER_N_OUT: harness \[24, 16, 10\], export \[32, 10\]"):
        run(other, harness_dir=export_dir / "harness", limit=1, work_dir=tmp_path / "work")


def test_harness_built_from_other_rtl_is_out_of_date(export, tmp_path):
    export_dir, _ = export
    with pytest.raises(HarnessError, match="broken-harness/harness is out of date: the RTL"):
        run(export_dir, harness_dir=export_dir.parent / "broken-harness", limit=1, work_dir=tmp_path / "work")


def test_missing_harness_binary_is_an_error(export, tmp_path):
    export_dir, _ = export
    with pytest.raises(HarnessError, match="harness binary .* not found: build it"):
        run(export_dir, harness_dir=tmp_path / "empty", limit=1, work_dir=tmp_path / "work")


def test_bad_limit_is_an_error(export, tmp_path):
    export_dir, _ = export
    with pytest.raises(HarnessError, match="LIMIT must be a positive number"):
        run(export_dir, limit=0, work_dir=tmp_path / "work")


def test_build_needs_the_exported_package(tmp_path):
    with pytest.raises(HarnessBuildError, match="deltamac_net_pkg.sv .*export a network into"):
        build_harness(tmp_path)


def test_build_needs_verilator(export, monkeypatch):
    export_dir, _ = export
    monkeypatch.setenv("PATH", "")
    with pytest.raises(RuntimeError, match="required tool 'verilator' is not on PATH; install it with: apt-get install verilator"):
        build_harness(export_dir)


@pytest.mark.parametrize(
    "mode, backpressure, message",
    [
        (1, False, "awaiting the result of image 0: no beat accepted or produced for 7[0-9]+ cycles \\(DUT hung; 1 images sent\\)"),
        (2, True, "m_axis changed TVALID/TDATA/TLAST while stalled by TREADY=0"),
        (3, False, "TLAST on logit beat 0"),
        (4, False, "status_frame_error pulsed for a well-formed image"),
        (5, False, "unexpected extra m_axis beat"),
        (6, False, "status_images = 0, but 2 results were received"),
    ],
)
def test_protocol_violations_stop_the_run(export, tmp_path, mode, backpressure, message):
    export_dir, net = export
    binary = export_dir.parent / "broken-harness" / "harness"
    image = np.zeros((1, 784), dtype=np.uint8)
    image[0, 0] = mode
    with pytest.raises(HarnessError, match=message):
        simulate(binary, export_dir, image, tmp_path, n_logits=net.n_classes, backpressure=backpressure, seed=1)


def test_well_behaved_stand_in_passes_the_protocol_checks(export, tmp_path):
    export_dir, net = export
    binary = export_dir.parent / "broken-harness" / "harness"
    images = np.zeros((4, 784), dtype=np.uint8)
    results, summary = simulate(binary, export_dir, images, tmp_path, n_logits=net.n_classes, backpressure=True, seed=1)
    assert summary["results"] == 1 + 4 + 4  # latency, stream and burst phases
    assert not results.logits.any() and not results.classes.any()


def test_mixed_precision_export_matches_golden(test_set, tmp_path):
    """Per-layer widths through the whole core: 3-bit clamp activations on 3-bit plain weights, then
    5-bit relu activations, in one fixed_reference core (ARCHITECTURE.md section 2)."""
    from model.formats import layer_formats, parse_bits_spec

    precisions = parse_bits_spec("w8a8,w3a3,w6d3a5", 3)
    formats = layer_formats(precisions, Scheme.FIXED_REFERENCE, 4, None)
    net = random_network(TOPOLOGY, formats, seed=5, calibration=load_fashion_mnist("train")[0][:512],
                         activation=["clamp", "relu"], act_bits=[p.in_bits for p in precisions[1:]])
    out = tmp_path / "mixed"
    export_network(net, out, 5, "ci-mixed")
    build_harness(out)
    images, labels = test_set
    report = run(out, limit=300, images=images, labels=labels, work_dir=tmp_path / "work")
    assert report["mismatches"] == 0, report["first_mismatches"]
    assert report["bits"] == "w8d4a8,w3a3,w6d3a5" and report["images"] == 300


@pytest.fixture(scope="module")
def dataflow_export(tmp_path_factory):
    """A dataflow export (ARCHITECTURE.md section 6, every lane kind, parallel neurons, per-layer
    widths) with its harness built: (export dir, network)."""
    from model.export import export_dataflow
    from model.formats import layer_formats, parse_bits_spec

    precisions = parse_bits_spec("w8a8,w3a3,w6d3a5", 3)
    formats = layer_formats(precisions, Scheme.FIXED_REFERENCE, 2, None)
    net = random_network(TOPOLOGY, formats, seed=6, calibration=load_fashion_mnist("train")[0][:512],
                         activation=["clamp", "relu"], act_bits=[p.in_bits for p in precisions[1:]])
    out = tmp_path_factory.mktemp("dataflow") / "export"
    export_dataflow(net, out, "28x4:delta,8x2:lut,3:dsp", "ci-dataflow", pixels_per_beat=4)
    build_harness(out)
    return out, net


def test_dataflow_export_matches_golden_with_backpressure(dataflow_export, test_set, tmp_path):
    """The dataflow core in the harness: bit-exact under idle and backpressure, the report names the
    architecture and folding, and the clean burst runs at the slowest engine's rate (168 words in
    layer 0, with 4 pixels per beat the 196 input beats of an image)."""
    out, _ = dataflow_export
    images, labels = test_set
    report = run(out, backpressure=True, images=images, labels=labels, work_dir=tmp_path / "work",
                 report_path=tmp_path / "report.json")
    assert report["mismatches"] == 0, report["first_mismatches"]
    assert report["architecture"] == "dataflow" and report["folding"] == "28x4:delta,8x2:lut,3:dsp"
    assert report["padded_word_cycles_per_image"] == max(28 * 24 // 4, 3 * 16 // 2, 6 * 10)
    assert 196 <= report["cycles_per_image"] <= 200, "196 beats of 4 pixels bound this dataflow core"
    assert report["pixels_per_beat"] == 4
    constants = describe(out / "harness" / "harness")
    assert constants["ARCHITECTURE"] == 1 and constants["LAYER_LANES"] == [28, 8, 3] and constants["PIXELS_PER_BEAT"] == 4
    assert constants["LAYER_NEURONS"] == [4, 2, 1] and constants["LAYER_LANE_KIND"] == [2, 1, 0]


def test_dataflow_harness_refuses_another_folding(dataflow_export, tmp_path):
    """A harness compiled for one folding refuses an export of another (the package constants differ)."""
    from model.export import export_dataflow

    out, net = dataflow_export
    other = tmp_path / "other"
    export_dataflow(net, other, "28x2:delta,8x2:lut,3:dsp", "other", pixels_per_beat=4)
    with pytest.raises(HarnessError, match=r"compiled for a different network \(dataflow.*LAYER_NEURONS: harness \[4, 2, 1\], export \[2, 2, 1\]"):
        run(other, harness_dir=out / "harness", limit=1, work_dir=tmp_path / "work")


def test_dataflow_binary_names_the_missing_layer_rom(dataflow_export, tmp_path):
    out, _ = dataflow_export
    (tmp_path / "images.bin").write_bytes(bytes(784))
    result = subprocess.run([str(out / "harness" / "harness"), "--images", "images.bin", "--results", "r.txt"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "ROM file l0_delta.mem not found in the working directory" in result.stderr


@pytest.fixture(scope="module")
def lutnet_export(tmp_path_factory):
    """A LUT-network export (ARCHITECTURE.md section 7): 784 pixels at 2 bits, one image per beat,
    layers 64xF3b2 and 40xF4b2 (8 address bits), 10 classes x 4, random thresholds."""
    from scripts.lutnet_random import main as lutnet_random

    out = tmp_path_factory.mktemp("lutnet") / "export"
    assert lutnet_random(["--out", str(out), "--features", "784", "--in-bits", "2", "--layers", "64xF3b2,40xF4b2",
                          "--classes", "10", "--class-partitions", "4", "--thresholds", "random", "--seed", "7"]) == 0
    build_harness(out)
    return out


def test_lutnet_export_matches_golden_on_the_test_set(lutnet_export, tmp_path):
    """The LUT-network core in the harness on all 10,000 FashionMNIST test images: class and
    scores bit-exact, one image per clock sustained, the latency the RTL states."""
    report = run(lutnet_export, work_dir=tmp_path / "work", report_path=tmp_path / "report.json",
                 dataset="fashion-mnist")
    assert report["mismatches"] == 0, report["first_mismatches"]
    assert report["architecture"] == "lutnet" and report["images"] == 10000
    assert report["rtl_acc"] == report["golden_acc"]
    assert report["cycles_per_image"] == 1.0
    # image register, 2 layers, sums (input register + 2 adder levels), 4 compare levels, FIFO
    assert report["latency_cycles"] == 1 + 2 + 1 + 2 + 4 + 1


def test_lutnet_export_with_backpressure_and_a_corrupted_table(lutnet_export, test_set, tmp_path):
    """Idle cycles and sink stalls keep the results exact; the RTL reading a copy of the export
    whose last layer's partition 0 has every entry inverted differs from the golden model exactly
    where class 0's score changes."""
    from model.lutnet_export import load_lutnet_export

    images, labels = test_set
    report = run(lutnet_export, backpressure=True, seed=5, images=images, labels=labels,
                 work_dir=tmp_path / "work", report_path=tmp_path / "report.json")
    assert report["mismatches"] == 0 and report["backpressure"], report["first_mismatches"]
    net = load_lutnet_export(lutnet_export)
    corrupted = copy_export(lutnet_export, tmp_path / "corrupted")
    table = corrupted / "lut_l1.mem"
    lines = table.read_text().splitlines()
    lines[0] = format(int(lines[0], 16) ^ ((1 << 4 * len(lines[0])) - 1), f"0{len(lines[0])}x")
    table.write_text("\n".join(lines) + "\n")
    results, _ = simulate(lutnet_export / "harness" / "harness", corrupted, images, tmp_path / "work2",
                          n_logits=net.spec.num_classes, backpressure=False, seed=1)
    scores = net.scores(images)
    mismatches = compare(scores, np.argmax(scores, axis=1), results)
    assert len(mismatches) > len(images) // 2
    assert all(m["expected_logits"][1:] == m["actual_logits"][1:] for m in mismatches)  # only class 0 changed
