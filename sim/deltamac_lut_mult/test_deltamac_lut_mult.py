"""cocotb testbench for deltamac_lut_mult: the LUT lane's product equals Python's exact w * a.

Every (weight, activation) pair of the operand widths when there are at most 2**12 of them
(exhaustive, so the most negative values of both operands are included), else every corner pair
(the extremes, 0, +-1) and random pairs. One pair per cycle; the product is checked the cycle
after (the multiplier's one register).
"""

from __future__ import annotations

import itertools
import random

import cocotb
import pytest
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

from sim.runner import expect_elaboration_failure, rtl, run_cocotb

TOPLEVEL = "deltamac_lut_mult"
EXHAUSTIVE_LIMIT = 1 << 12
RANDOM_PAIRS = 3000


def signed_range(bits: int) -> range:
    return range(-(1 << (bits - 1)), 1 << (bits - 1))


def operand_pairs(weight_bits: int, act_bits: int, rng: random.Random) -> list[tuple[int, int]]:
    weights, acts = signed_range(weight_bits), signed_range(act_bits)
    if len(weights) * len(acts) <= EXHAUSTIVE_LIMIT:
        return list(itertools.product(weights, acts))
    corners = lambda r: [r[0], r[-1], 0, 1, -1, r[0] + 1, r[-1] - 1]  # noqa: E731
    pairs = list(itertools.product(corners(weights), corners(acts)))
    return pairs + [(rng.choice(weights), rng.choice(acts)) for _ in range(RANDOM_PAIRS)]


@cocotb.test()
async def every_product_is_exact(dut):
    weight_bits, act_bits = int(dut.WEIGHT_BITS.value), int(dut.ACT_BITS.value)
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    pairs = operand_pairs(weight_bits, act_bits, random.Random(weight_bits * 64 + act_bits))
    previous = None
    for pair in pairs + [None]:
        await FallingEdge(dut.clk)
        if previous is not None:
            got, (w, a) = dut.product_q.value.to_signed(), previous
            assert got == w * a, f"{w} * {a}: product {got}, expected {w * a}"
        if pair is not None:
            dut.in_weight.value = pair[0] & ((1 << weight_bits) - 1)
            dut.in_act.value = pair[1] & ((1 << act_bits) - 1)
            await RisingEdge(dut.clk)
        previous = pair


@pytest.mark.parametrize("weight_bits, act_bits", [(2, 2), (2, 3), (3, 3), (4, 5), (4, 9), (8, 9), (6, 3), (18, 25)])
def test_deltamac_lut_mult(weight_bits, act_bits):
    run_cocotb(TOPLEVEL, rtl("deltamac_lut_mult.sv"), test_file=__file__,
               parameters={"WEIGHT_BITS": weight_bits, "ACT_BITS": act_bits})


@pytest.mark.parametrize("weight_bits, act_bits, message", [
    (1, 4, "WEIGHT_BITS (1) must be in 2..18 and ACT_BITS (4) in 2..25"),
    (4, 26, "WEIGHT_BITS (4) must be in 2..18 and ACT_BITS (26) in 2..25"),
])
def test_deltamac_lut_mult_illegal_parameters(weight_bits, act_bits, message, tmp_path):
    expect_elaboration_failure(TOPLEVEL, rtl("deltamac_lut_mult.sv"), {"WEIGHT_BITS": weight_bits, "ACT_BITS": act_bits},
                               [f"{TOPLEVEL}: ", message], tmp_path)
