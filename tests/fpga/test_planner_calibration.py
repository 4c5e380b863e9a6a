"""The folding planner's resource model against a fresh Yosys run (keeps the model honest against today's RTL)."""

from __future__ import annotations

import os
import shutil

import pytest

from model.export import export_dataflow
from model.formats import Scheme, layer_formats, parse_bits_spec
from model.planner import estimate, load_calibration
from model.random_net import random_network
from scripts.corefile import REPO
from scripts.open_flow import synth_xc7

pytestmark = pytest.mark.slow

# Not a calibration grid point: three layers, a plain 4-bit LUT layer between delta layers.
TOPOLOGY = (784, 48, 24, 10)
BITS = "w8a8,w4a4,w8a4"
FOLDING = "14x4:delta,4:lut,3:delta"


def test_planner_predicts_a_fresh_network_within_15_percent() -> None:
    precisions = parse_bits_spec(BITS, len(TOPOLOGY) - 1)
    formats = layer_formats(precisions, Scheme.FIXED_REFERENCE, 4, None)
    net = random_network(TOPOLOGY, formats, seed=11, act_bits=[p.in_bits for p in precisions[1:]])
    out = REPO / "build" / f"ci-fpga-planner-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    shutil.rmtree(out, ignore_errors=True)
    export_dataflow(net, out, FOLDING, name="fpga_planner")
    report = synth_xc7(out, out / "synth_xc7.json")  # the flattened netlist of `make synth`
    est = estimate(net, FOLDING)
    error = (est.total.lut - report["lut"]) / report["lut"]
    assert abs(error) <= 0.15, (f"planner LUT {est.total.lut:.0f} vs Yosys {report['lut']} ({100 * error:+.1f} %); "
                                "the RTL moved: rerun python -m scripts.calibrate_planner")
    assert est.total.dsp == report["dsp48e1"]
    assert abs(est.total.bram18 - 2 * report["ramb36_equiv"]) <= 1
    assert abs(est.total.ff - report["ff"]) / report["ff"] <= 0.15
    assert load_calibration().max_lut_error <= 0.15
