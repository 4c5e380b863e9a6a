"""Synthesised netlists against the golden model (sim/netlist/run.py) on the small export.

The xc7 netlist (synth_xilinx, Xilinx cell models plus our block RAM models) and the ECP5 netlist
(synth_ecp5 + scripts/ecp5_regpack.py, ECP5 cell models plus our DP16KD and MULT18X18D models)
each run 300 real test images and must match the golden model in every class and logit and take
exactly the RTL's cycles; the ECP5 run must have packed registers into the blocks, so that the
packing is what is checked. Then the check must be able to fail: the same netlist against a copy of the export whose
last bias word differs (the netlist carries its ROM contents, the golden model reads the copy's)
must report mismatches and exit 1. Missing tools fail with their install hint (require_tool).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from scripts.corefile import REPO
from sim.netlist.run import main, run_netlist

pytestmark = pytest.mark.slow

IMAGES = 300


@pytest.fixture(scope="module")
def xc7_report(small_export: Path) -> dict:
    return run_netlist(small_export, "xc7", IMAGES)


def test_xc7_netlist_matches_golden_model(small_export: Path, xc7_report: dict) -> None:
    report = xc7_report
    assert json.loads((small_export / "netlist_xc7.json").read_text()) == report
    assert report["images"] == IMAGES and report["mismatches"] == 0, report["first_mismatches"]
    assert report["netlist_acc"] == report["golden_acc"] == report["rtl_acc"]
    assert report["cycles_match_rtl"], report["cycles_differ"]
    assert report["cycles_per_image"] == report["rtl_cycles_per_image"] > 0
    cells = Path(report["netlist_file"]).read_text()
    assert "RAMB18E1" in cells or "RAMB36E1" in cells, "no block RAM in the netlist: the RAM models went untested"
    assert "DSP48E1" in cells


def test_ecp5_packed_netlist_matches_golden_model(small_export: Path) -> None:
    report = run_netlist(small_export, "ecp5", IMAGES)
    assert report["images"] == IMAGES and report["mismatches"] == 0, report["first_mismatches"]
    assert report["netlist_acc"] == report["golden_acc"] == report["rtl_acc"]
    assert report["cycles_match_rtl"], report["cycles_differ"]
    packing = report["register_packing"]
    assert packing["mult18x18d_input_regs"] > 0 and packing["mult18x18d_output_regs"] > 0
    assert packing["dp16kd_outreg_ports"] > 0 and packing["flip_flops_removed"] > 0


def flip_last_bias(export: Path) -> None:
    """Flip the lowest bit of the last layer's last bias (logit 9 of every image moves by 1), in
    bias.mem and in weights.npz alike, so that the export stays valid."""
    path = export / "bias.mem"
    lines = path.read_text().splitlines()
    lines[-1] = lines[-1][:-1] + format(int(lines[-1][-1], 16) ^ 1, "x")
    path.write_text("\n".join(lines) + "\n")
    weights = dict(np.load(export / "weights.npz"))
    last = max((key for key in weights if key[0] == "b" and key[1:].isdigit()), key=lambda key: int(key[1:]))
    weights[last][-1] ^= 1
    np.savez(export / "weights.npz", **weights)


def test_netlist_check_fails_against_other_weights(small_export: Path, xc7_report: dict) -> None:
    other = REPO / "build" / f"ci-netlist-other-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    shutil.rmtree(other, ignore_errors=True)
    shutil.copytree(small_export, other)  # with its harness builds, which stay up to date
    flip_last_bias(other)
    netlist = other / "netlist-xc7" / Path(xc7_report["netlist_file"]).name
    assert main(["--export", str(other), "--netlist", "xc7", "--netlist-file", str(netlist), "--limit", "50"]) == 1
    report = json.loads((other / "netlist_xc7.json").read_text())
    assert report["images"] == 50 and report["mismatches"] == 51  # every image, and the latency image
    first = report["first_mismatches"][0]
    assert first["expected_logits"][:9] == first["actual_logits"][:9]
    assert abs(first["expected_logits"][9] - first["actual_logits"][9]) == 1


@pytest.mark.parametrize("netlist", ["xc7", "ecp5"])
def test_lutnet_netlist_matches_golden_model(small_lutnet_export: Path, netlist: str) -> None:
    """A LUT-network export through the chunked synthesis (scripts/lutnet_synth.py): the netlist
    of the stitched chunks gives the golden model's class and scores on every image, at the
    RTL's cycles; the chunks are cached for the next run of the same flow."""
    report = run_netlist(small_lutnet_export, netlist, IMAGES)
    assert report["architecture"] == "lutnet"
    assert report["images"] == IMAGES and report["mismatches"] == 0, report["first_mismatches"]
    assert report["netlist_acc"] == report["golden_acc"] == report["rtl_acc"]
    assert report["cycles_match_rtl"], report["cycles_differ"]
    cells = Path(report["netlist_file"]).read_text()
    assert "module lutnet_l0_p0" not in cells and "u_lutnet_l0_p0" in cells, "the chunks are flattened into the top"
    assert (small_lutnet_export / "lutnet_chunks" / netlist / "lutnet_l1_p0.key").is_file()
