"""Open synthesis flow: resource counting, and a real Yosys synth_xilinx run on a small network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.open_flow import XC7S15, pnr_ecp5, synth_xc7, xc7_counts


def test_xc7_counts_judges_the_xc7s15() -> None:
    cells = {"LUT6": 7200, "LUT2": 500, "RAM32M": 100, "SRLC32E": 10, "FDRE": 900, "FDSE": 100,
             "DSP48E1": 20, "RAMB36E1": 9, "RAMB18E1": 2, "CARRY4": 42, "MUXF7": 3}
    counts = xc7_counts(cells)
    assert counts["lut"] == 7200 + 500 + 4 * 100 + 10 and counts["lut_memory"] == 410
    assert counts["ff"] == 1000 and counts["dsp48e1"] == 20 and counts["carry4"] == 42
    assert counts["ramb36_equiv"] == 10.0 and counts["fits_xc7s15"] is False  # 8,110 LUTs
    cells["LUT6"] = 6000
    assert xc7_counts(cells)["fits_xc7s15"] is True
    cells["RAMB18E1"] = 3  # 9 + 1.5 RAMB36
    assert xc7_counts(cells)["fits_xc7s15"] is False


@pytest.mark.slow
def test_yosys_synth_xilinx_small_network(small_export: Path) -> None:
    """The whole core of a small export maps multipliers to DSP48E1 and ROMs to block RAM."""
    out = small_export / "synth_xc7.json"
    report = synth_xc7(small_export, out)
    assert json.loads(out.read_text()) == report
    for key in ("lut", "ff", "dsp48e1", "ramb18e1", "ramb36e1", "carry4", "fits_xc7s15", "network"):
        assert key in report
    assert report["top"] == "deltamac_top"
    assert report["dsp48e1"] > 0, "no multiplier mapped to a DSP48E1"
    assert report["ramb18e1"] + report["ramb36e1"] > 0, "no ROM mapped to block RAM"
    assert report["lut"] > 0 and report["ff"] > 0
    assert report["fits_xc7s15"] is True and report["xc7s15_limits"] == XC7S15


@pytest.mark.slow
def test_ecp5_place_and_route_small_network(small_export: Path, capsys) -> None:
    """Yosys synth_ecp5, register packing and nextpnr-ecp5 on a small export: the lane multipliers'
    registers and the delta ROM's output register are packed, and nextpnr reports an Fmax; run
    again on the same netlist and options, the seed is not placed again."""
    out = small_export / "pnr_ecp5.json"
    report = pnr_ecp5(small_export, out, "25k", "CABGA256", 150.0, [1])
    assert json.loads(out.read_text()) == report
    capsys.readouterr()
    again = pnr_ecp5(small_export, out, "25k", "CABGA256", 150.0, [1])
    printed = capsys.readouterr().out
    assert "seed 1: " in printed and "not run again" in printed and again["fmax_mhz"] == report["fmax_mhz"]
    packing = report["register_packing"]
    lanes = report["network"]["lanes"]
    assert packing["mult18x18d_input_regs"] >= lanes, "lane multiplier operand registers not packed"
    assert packing["mult18x18d_pipeline_regs"] >= lanes and packing["mult18x18d_output_regs"] >= lanes
    assert packing["dp16kd_outreg_ports"] >= 1, "delta ROM output register not packed"
    assert report["fmax_mhz"] > 0 and report["fmax_mhz_per_seed"] == {"1": report["fmax_mhz"]}
    assert report["timing_met"] == (report["fmax_mhz"] >= 150.0)
    assert report["utilization"]["MULT18X18D"]["used"] == lanes + 2
