"""The lane benchmark synthesises real arrays: DSP lanes land in DSP48E1 blocks, LUT lanes in fabric."""

import pytest

from scripts.bench_lanes import main, measure


def test_lut_lanes_use_no_dsp_and_cost_luts(tmp_path):
    point = measure(lanes=2, weight_bits=8, act_bits=4, work=tmp_path)
    assert point["dsp_lanes"]["dsp48e1"] == 2 and point["dsp_lanes_use_dsp"]
    assert point["lut_lanes"]["dsp48e1"] == 0
    assert point["lut_per_lut_lane"] > 0 and point["ff_per_lut_lane"] > 0


@pytest.mark.parametrize("argv, message", [
    (["--weights", "1"], "--weights must be in 2..18, --acts in 2..24 and --lanes in 1..32"),
    (["--acts", "25"], "--weights must be in 2..18, --acts in 2..24 and --lanes in 1..32"),
    (["--lanes", "0"], "--weights must be in 2..18, --acts in 2..24 and --lanes in 1..32"),
    (["--delta-points", "8:2"], "--delta-points takes W:D:A triples such as 8:2:8"),
])
def test_bad_options_are_refused_before_synthesis(argv, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main([*argv, "--out", str(tmp_path)])
    assert stop.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "lanes_xc7.json").exists()


def test_delta_domain_lanes_need_one_multiplier_block(tmp_path):
    """Decoded weights take a DSP48E1 per lane; multiplying the deltas needs one, for the reference."""
    from scripts.bench_lanes import measure_delta_domain

    point = measure_delta_domain(lanes=2, weight_bits=8, delta_bits=2, act_bits=8, work=tmp_path)
    assert point["decoded_dsp_lanes"]["dsp48e1"] == 2
    assert point["decoded_lut_lanes"]["dsp48e1"] == 0
    assert point["delta_lut_lanes"]["dsp48e1"] == 1
