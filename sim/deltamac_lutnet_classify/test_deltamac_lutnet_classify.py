"""cocotb testbench for deltamac_lutnet_classify: class scores and argmax against model.lutnet.

Random last-layer codes every cycle (half of the vectors from a narrow range, so ties are
frequent; some all zero and all at the maximum): the scores and class LATENCY = 1 + ceil(log2 K)
+ ceil(log2 NUM_CLASSES) cycles later must be the sum of each class's CLASS_PARTITIONS codes and
np.argmax of them (the lowest index of the maximum, model.lutnet.LutNetwork.predict's rule). A
SCORE_BITS too narrow for CLASS_PARTITIONS * (2^CODE_BITS - 1), and K beyond 1024, stop
elaboration with $fatal.
"""

from __future__ import annotations

import cocotb
import numpy as np
import pytest
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from sim.runner import expect_elaboration_failure, rtl, run_cocotb

TOPLEVEL = "deltamac_lutnet_classify"
SOURCES = ("deltamac_adder_tree.sv", "deltamac_argmax.sv", "deltamac_delay.sv", "deltamac_lutnet_classify.sv")
CYCLES = 300


def latency(classes: int, k: int) -> int:
    """The input register of the sums, ceil(log2 K) adder levels, ceil(log2 classes) compare levels."""
    return 1 + (k - 1).bit_length() + (classes - 1).bit_length()


@cocotb.test()
async def test_scores_and_argmax(dut):
    classes, k = int(dut.NUM_CLASSES.value), int(dut.CLASS_PARTITIONS.value)
    bits, score_bits = int(dut.CODE_BITS.value), int(dut.SCORE_BITS.value)
    top = (1 << bits) - 1
    delay = latency(classes, k)
    rng = np.random.default_rng(classes * 100 + k * 10 + bits)
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    golden = []  # (class, scores) of the codes driven in each cycle
    ties = 0
    for cycle in range(CYCLES + delay):
        await FallingEdge(dut.clk)
        if cycle % 13 == 0:
            codes = np.full(classes * k, top if cycle % 26 else 0)
        elif cycle % 2:
            codes = rng.integers(max(0, top - 1), top + 1, size=classes * k)  # narrow: frequent ties
        else:
            codes = rng.integers(0, top + 1, size=classes * k)
        dut.codes.value = sum(int(c) << (bits * p) for p, c in enumerate(codes))
        scores = codes.reshape(classes, k).sum(axis=1)  # model.lutnet.LutNetwork.scores
        golden.append((int(np.argmax(scores)), [int(s) for s in scores]))
        ties += int(np.sum(scores == scores.max()) > 1)
        await RisingEdge(dut.clk)
        await ReadOnly()
        if cycle + 1 < delay:
            continue
        got_scores = [(int(dut.scores.value) >> (c * score_bits)) & ((1 << score_bits) - 1) for c in range(classes)]
        got_class = int(dut.class_idx.value)
        want = golden[cycle + 1 - delay]
        assert (got_class, got_scores) == want, f"cycle {cycle}: class {got_class} scores {got_scores}, golden {want}"
    assert ties > CYCLES // 10, f"only {ties} vectors with tied maxima"


@pytest.mark.parametrize("classes,k,bits", [(10, 1, 2), (10, 4, 2), (3, 2, 3), (2, 1, 1), (16, 3, 1), (5, 2, 8), (10, 100, 1),
                                           (7, 33, 2)])
def test_deltamac_lutnet_classify(classes, k, bits):
    score_bits = (k * ((1 << bits) - 1)).bit_length()  # model.lutnet.LutNetSpec.score_bits
    run_cocotb(TOPLEVEL, rtl(*SOURCES), test_file=__file__,
               parameters={"NUM_CLASSES": classes, "CLASS_PARTITIONS": k, "CODE_BITS": bits, "SCORE_BITS": score_bits})


def test_score_bits_too_narrow(tmp_path):
    expect_elaboration_failure(TOPLEVEL, rtl(*SOURCES),
                               {"NUM_CLASSES": 4, "CLASS_PARTITIONS": 3, "CODE_BITS": 2, "SCORE_BITS": 3},
                               ["deltamac_lutnet_classify: SCORE_BITS (3) must be in 1..16 and hold CLASS_PARTITIONS*(2^CODE_BITS-1) = 9"],
                               tmp_path)


def test_too_many_class_partitions(tmp_path):
    expect_elaboration_failure(TOPLEVEL, rtl(*SOURCES),
                               {"NUM_CLASSES": 2, "CLASS_PARTITIONS": 1025, "CODE_BITS": 1, "SCORE_BITS": 11},
                               ["deltamac_lutnet_classify: needs NUM_CLASSES >= 2, CLASS_PARTITIONS in 1..1024"], tmp_path)
