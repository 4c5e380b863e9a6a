"""Folding planner (model/planner.py): the committed calibration, plan(), budgets and the CLI (no Yosys)."""

import json
import re

import pytest

from model.__main__ import main
from model.folding import FoldingError, LaneKind, LayerFolding, check_folding_for, format_folding
from model.formats import DeltaFormat, Scheme, layer_formats, parse_bits_spec
from model.planner import (CALIBRATION_FILE, MODEL_VERSION, XC7S15, Budget, NetShape, check_budget, estimate,
                           layer_candidates, load_calibration, plan, rom_placement)
from model.random_net import random_network

FR84 = DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, None)
S15 = NetShape.from_spec([784, 80, 16, 10], FR84)


def _w2a2(topology=(784, 64, 64, 64, 10)):
    precisions = parse_bits_spec("w2a2", len(topology) - 1)
    return NetShape.from_spec(topology, layer_formats(precisions, Scheme.FIXED_REFERENCE, 4, None),
                              [p.in_bits for p in precisions[1:]])


@pytest.fixture(scope="module")
def calibration_data():
    return json.loads(CALIBRATION_FILE.read_text())


def test_committed_calibration_predicts_every_point_within_15_percent(calibration_data):
    """The committed coefficients, through today's model code, on every committed Yosys point."""
    assert calibration_data["model_version"] == MODEL_VERSION
    points = calibration_data["points"]
    assert len(points) >= 15
    fitting = [p for p in points if p["fits_xc7s15"]]
    assert len(fitting) >= 12
    worst = 0.0
    for point in points:
        shape = NetShape.from_dict(point["shape"])
        est = estimate(shape, point["folding"])
        assert est.total.as_dict() == point["predicted"], point["name"]  # the file is this code's fit
        error = abs(est.total.lut - point["measured"]["lut"]) / point["measured"]["lut"]
        assert est.total.dsp == point["measured"]["dsp"], point["name"]
        assert abs(est.total.bram18 - point["measured"]["bram18"]) <= 1, point["name"]
        if point["fits_xc7s15"]:
            assert error <= 0.15, f"{point['name']}: LUT {est.total.lut:.0f} vs Yosys {point['measured']['lut']}"
            worst = max(worst, error)
    assert worst == pytest.approx(calibration_data["max_lut_error"], abs=1e-3)
    assert calibration_data["max_lut_error"] <= 0.15


def test_shape_of_a_network_matches_the_spec():
    net = random_network((784, 24, 10), FR84, seed=1, activation="clamp")
    shape = NetShape.of(net)
    assert shape == NetShape.from_spec([784, 24, 10], FR84, 8, "clamp")
    assert shape.acc_bits == net.acc_bits and shape.topology == net.topology
    assert estimate(net, "8x2,4").total == estimate(shape, "8x2,4").total


def test_rom_placement_follows_the_engine_rule():
    assert rom_placement(16, 64) == (16, 0)  # 16 x ceil(64/64) LUT6
    assert rom_placement(64, 128) == (128, 0)  # exactly DIST_MAX_LUTS
    assert rom_placement(320, 784) == (0, 18)  # the s15 layer 0 delta ROM, 9 RAMB36


def test_estimate_rows_sum_to_the_total_and_name_the_resources():
    est = estimate(S15, "16x5:delta,2:delta,1:delta")
    total = est.fixed
    for layer in est.layers:
        total = total + layer.total
    assert total == est.total and est.interval == 784 and est.fits
    assert est.total.dsp == 7 and est.total.bram18 == 18  # Yosys at 0e8fdcf..: 7 DSP48E1, 9 RAMB36
    text = est.table()
    assert "16x5:delta" in text and "XC7S15" in text and "fits the XC7S15" in text


def test_plan_fits_and_beats_the_hand_folding():
    folding = plan(S15)
    assert check_folding_for(S15.topology, S15.formats, [8, 8, 8], folding) == folding
    est = estimate(S15, folding)
    assert est.fits and est.interval <= 784
    hand = estimate(S15, "16x5:delta,2:delta,1:delta")  # the s15-dataflow preset, also II 784
    assert est.total.lut <= hand.total.lut
    slow = estimate(S15, "1,1,1")
    assert slow.interval > est.interval


def test_a_lower_min_interval_buys_throughput_with_resources():
    shape = _w2a2()
    at_input = estimate(shape, plan(shape, min_interval=784))
    faster = estimate(shape, plan(shape, min_interval=196))
    assert at_input.fits and faster.fits
    assert at_input.interval <= 784 and faster.interval < at_input.interval
    assert faster.total.lut > at_input.total.lut


def test_plan_with_a_wider_input_keeps_layer_0_lanes_a_multiple_of_the_beat():
    narrow = NetShape.from_spec([784, 32, 10], FR84)
    shape = NetShape.from_spec([784, 32, 10], FR84, pixels_per_beat=4)  # the input takes 196 cycles per image
    folding = plan(shape)
    est = estimate(shape, folding)
    assert folding[0].lanes % 4 == 0 and est.fits
    assert est.interval < estimate(narrow, plan(narrow)).interval <= 784
    with pytest.raises(FoldingError, match="layer 0: 6 lanes are not a multiple of the 4 pixels per beat"):
        estimate(shape, "6,4")


def test_margin_holds_resources_back():
    shape = _w2a2()
    full = estimate(shape, plan(shape, min_interval=196))
    held = estimate(shape, plan(shape, min_interval=196, margin=0.1))
    assert held.total.lut <= 0.9 * XC7S15.lut < full.total.lut and held.interval >= full.interval
    with pytest.raises(FoldingError, match="margin must be in"):
        plan(shape, margin=1.5)


def test_min_resources_objective():
    fast = estimate(S15, plan(S15))
    cheap = estimate(S15, plan(S15, objective=("min_resources", 20_000)))  # 100 MHz: II <= 5,000
    assert cheap.fits and cheap.interval <= 5000
    assert cheap.total.lut < fast.total.lut
    with pytest.raises(FoldingError, match=r"needs II <= 500 cycles, below the input's 784 cycles"):
        plan(S15, objective=("min_resources", 200_000))
    with pytest.raises(FoldingError, match="objective must be"):
        plan(S15, objective="cheapest")


def test_over_budget_refusal_names_the_layer_and_the_resource():
    with pytest.raises(FoldingError) as info:
        check_budget(S15, "16x10:delta,2,1")
    message = str(info.value)
    assert message.startswith("folding '16x10:delta,2:delta,1:delta': over the XC7S15 budget: LUT ")
    assert "> 8,000 (layer 0: " in message and "LUT, 16x10:delta)" in message and "FF" not in message
    with pytest.raises(FoldingError, match=r"DSP48E1 29 > 20 \(layer 0: 18 DSP48E1, 16:dsp\)"):
        check_budget(S15, "16:dsp,8:dsp,1")  # 16 + 8 lanes, 2 + 2 in the requantisers, 1 for r * A
    with pytest.raises(FoldingError, match="layer 1 .*3 parallel neurons do not divide n_out 16"):
        check_budget(S15, "16,2x3,1")  # the folding rules first


def test_plan_refuses_when_nothing_fits():
    tiny = Budget("tiny", lut=500, ff=1000, dsp=2, bram18=2)
    with pytest.raises(FoldingError, match="no folding of 784-80-16-10 .* fits the tiny budget"):
        plan(S15, budget=tiny)
    assert estimate(S15, "16x5:delta,2,1", budget=tiny).over()


def test_candidates_follow_the_folding_rules():
    shape = NetShape.from_spec([784, 32, 10], [DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, 112), FR84])  # groups of 112
    for index in range(2):
        cands = layer_candidates(shape, index, max_lanes=8)
        assert cands and all(c.lanes <= 8 for c in cands)
        for cand in cands:  # each one passes the folding rules
            folding = [LayerFolding(1, 1, LaneKind.DSP)] * 2
            folding[index] = cand
            assert check_folding_for(shape.topology, shape.formats, [8, 8], folding)[index] == cand
        if index == 0:
            assert {c.lanes for c in cands} == {1, 2, 4, 7, 8}  # 112 % P == 0
    narrow = _w2a2()
    assert all(c.kind != LaneKind.DSP for c in layer_candidates(narrow, 1))  # 2-bit x 3-bit products


def test_cli_plan_prints_the_folding_and_the_table(capsys):
    assert main(["plan", "--topology", "784-80-16-10"]) == 0
    out = capsys.readouterr().out
    folding = format_folding(plan(S15))
    assert f"folding {folding}" in out and "II " in out and "fits the XC7S15" in out
    assert main(["plan", "--topology", "784-64-64-64-10", "--bits", "w2a2", "--min-interval", "196"]) == 0
    out = capsys.readouterr().out
    assert format_folding(plan(_w2a2(), min_interval=196)) in out and "min interval 196" in out
    assert main(["plan", "--topology", "784-80-16-10", "--images-per-second", "20000"]) == 0
    assert "fewest resources at 20,000 images/s" in capsys.readouterr().out


def test_cli_check_mode(capsys):
    assert main(["plan", "--topology", "784-80-16-10", "--check", "16x5:delta,2,1"]) == 0
    out = capsys.readouterr().out
    assert "folding 16x5:delta,2:delta,1:delta of 784-80-16-10" in out and "valid, fits the XC7S15" in out
    assert re.search(r"^total +784 +\d+ +\d+ +7 +18$", out, re.MULTILINE)
    assert main(["plan", "--topology", "784-80-16-10", "--check", "16x10:delta,2,1"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "over the XC7S15 budget: LUT" in err
    assert main(["plan", "--topology", "784-80-16-10", "--check", "16x3,2,1"]) == 1
    assert "3 parallel neurons do not divide n_out 80" in capsys.readouterr().err


def test_calibration_file_records_the_fit(calibration_data):
    cal = load_calibration()
    assert cal.engine_lut == calibration_data["coefficients"]["engine_lut"]
    assert calibration_data["yosys"].startswith("Yosys") and calibration_data["rtl_revision"]
    assert 0 < cal.max_lut_error <= 0.15 and cal.max_ff_error is not None
