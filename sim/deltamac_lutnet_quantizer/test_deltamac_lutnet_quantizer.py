"""cocotb testbench for deltamac_lutnet_quantizer: every feature value against model.lutnet.

For each parameter set (code width 1, 2, 3 and 8 bits; the default uniform thresholds and seeded
random strictly increasing ones) all 256 feature values go through every one of the N lanes
(each lane sees every value, in a different order), then random vectors; each code must be
model.lutnet.quantize_input's (the number of thresholds the feature reaches). Thresholds that
do not increase strictly, or a threshold 0, stop elaboration with $fatal.
"""

from __future__ import annotations

import os

import cocotb
import numpy as np
import pytest
from cocotb.triggers import Timer

from model.lutnet import check_thresholds, quantize_input, uniform_thresholds
from scripts.lutnet_random import random_thresholds
from sim.runner import expect_elaboration_failure, rtl, run_cocotb

TOPLEVEL = "deltamac_lutnet_quantizer"
SOURCES = ("deltamac_lutnet_quantizer.sv",)


def thresholds_literal(thresholds: np.ndarray) -> str:
    """THRESHOLDS as a Verilog literal: T_k at [8*k +: 8]."""
    value = sum(int(t) << (8 * k) for k, t in enumerate(thresholds))
    return f"{8 * len(thresholds)}'h{value:0{2 * len(thresholds)}x}"


@cocotb.test()
async def test_every_value(dut):
    n, bits = int(dut.N.value), int(dut.IN_BITS.value)
    thresholds = np.array([int(v) for v in os.environ["LUT_THRESHOLDS"].split(",")])
    rng = np.random.default_rng(n * 10 + bits)
    values = np.arange(256, dtype=np.uint8)
    vectors = [np.roll(values, 37 * lane) for lane in range(n)]  # lane i sees every value
    features = np.concatenate([np.stack(vectors, axis=1), rng.integers(0, 256, size=(64, n), dtype=np.uint8)])
    want = quantize_input(features, thresholds)
    for row, codes in zip(features, want):
        dut.features.value = int.from_bytes(row.tobytes(), "little")
        await Timer(1, unit="ns")
        got = int(dut.codes.value)
        expected = sum(int(c) << (bits * i) for i, c in enumerate(codes))
        assert got == expected, f"features {row.tolist()}: codes {got:#x}, golden {expected:#x} ({codes.tolist()})"


@pytest.mark.parametrize("n,in_bits,kind", [(4, 2, "uniform"), (3, 2, "random"), (2, 1, "random"), (5, 3, "random"),
                                            (2, 8, "uniform"), (1, 8, "random")])
def test_deltamac_lutnet_quantizer(n, in_bits, kind):
    thresholds = check_thresholds(uniform_thresholds(in_bits) if kind == "uniform" else random_thresholds(in_bits, n),
                                  in_bits)
    parameters = {"N": n, "IN_BITS": in_bits}
    if kind == "random":  # uniform: the module's default
        parameters["THRESHOLDS"] = thresholds_literal(thresholds)
    run_cocotb(TOPLEVEL, rtl(*SOURCES), test_file=__file__, parameters=parameters,
               extra_env={"LUT_THRESHOLDS": ",".join(str(int(t)) for t in thresholds)}, tag=kind)


@pytest.mark.parametrize("thresholds", [(64, 64, 192), (0, 64, 128), (200, 100, 50)])
def test_illegal_thresholds(thresholds, tmp_path):
    expect_elaboration_failure(TOPLEVEL, rtl(*SOURCES),
                               {"N": 1, "IN_BITS": 2, "THRESHOLDS": thresholds_literal(np.array(thresholds))},
                               ["deltamac_lutnet_quantizer: the 3 THRESHOLDS", "must increase strictly within 1..255"],
                               tmp_path)
