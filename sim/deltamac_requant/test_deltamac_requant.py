"""cocotb testbench for deltamac_requant: every activation equals model.inference.requantize.

Each neuron gets its own acc, bias, M, k, output signedness and output width b (2..8; the RTL
pipelines them all per neuron). Expected: out_act = requantize(acc + bias, M, k, out_signed, b)
from the golden model, as its ACT_BITS bit pattern, and out_logit = acc + bias (the accumulator
sum the contract defines). Corners, for every width: saturation at both ends of both ranges with
the largest |acc| and M, M = 0, k = 1 and k = 62, exact rounding ties (acc * M an odd multiple of
2**(k-1)), results one step either side of each clamp limit, biases at their extremes; plus
random neurons whose k puts most results inside the range. Neurons follow back to back or with random gaps (idle cycles carry junk).
"""

from __future__ import annotations

import random

import cocotb
import numpy as np
import pytest

from model.formats import (ACT_BITS, MAX_ACC_BITS, MAX_ACT_BITS, MAX_REQ_SHIFT, MIN_ACT_BITS, MIN_REQ_SHIFT,
                           MULT_FORMAT, activation_format)
from model.inference import requantize
from sim.pipeline_tb import PipelineTB
from sim.runner import expect_elaboration_failure, rtl, run_cocotb

TOPLEVEL = "deltamac_requant"
USER_WIDTH = 16  # carries the neuron index, so misordered or misaligned outputs are caught
SHIFT_BITS = 6  # holds k in 1..62
RANDOM_NEURONS = 300
WIDTHS = range(MIN_ACT_BITS, MAX_ACT_BITS + 1)


class RequantTB(PipelineTB):
    unit = "neuron"

    def __init__(self, dut):
        self.acc_bits = int(dut.ACC_BITS.value)
        self.bias_bits = int(dut.BIAS_BITS.value)
        # The model asserts |acc + bias| < 2**(MAX_ACC_BITS-1); ACC_BITS = 40 would allow -2**39.
        self.acc_max = (1 << (min(self.acc_bits, MAX_ACC_BITS) - 1)) - 1
        self.bias_max = (1 << (self.bias_bits - 1)) - 1
        self.rng = random.Random(self.acc_bits * 100 + self.bias_bits)  # stimulus, junk and gaps alike
        super().__init__(dut, gaps=self.rng)

    def drive_junk(self):
        dut, rng = self.dut, self.rng
        dut.in_acc.value = rng.getrandbits(self.acc_bits)
        dut.in_bias.value = rng.getrandbits(self.bias_bits)
        dut.in_mult.value = rng.getrandbits(MULT_FORMAT.bits)
        dut.in_shift.value = rng.getrandbits(SHIFT_BITS)
        dut.in_out_signed.value = rng.getrandbits(1)
        dut.in_act_bits.value = rng.getrandbits(len(dut.in_act_bits))
        dut.in_user.value = rng.getrandbits(USER_WIDTH)

    def split(self, total: int) -> tuple[int, int]:
        """acc and bias (each in its range) adding up to total."""
        lo = max(-self.bias_max - 1, total - self.acc_max)
        hi = min(self.bias_max, total + self.acc_max)
        bias = self.rng.randint(lo, hi)
        return total - bias, bias

    def corner_neurons(self) -> list[tuple[int, int, int, bool, int]]:
        """(acc + bias, M, k, out_signed, b) corner cases."""
        rng, m_max = self.rng, MULT_FORMAT.max
        cases = []
        for out_signed in (False, True):
            for bits in WIDTHS:
                fmt = activation_format("clamp" if out_signed else "relu", bits)
                for total in (self.acc_max, -self.acc_max, 0, 1, -1):
                    for mult, shift in ((m_max, 1), (m_max, MAX_REQ_SHIFT), (0, 1), (1, MIN_REQ_SHIFT), (m_max, 20)):
                        cases.append((total, mult, shift, out_signed, bits))
                for shift in range(1, 17, 3):  # exact ties: acc * 2**(k-1) with acc odd
                    for odd in (1, -1, 2 * fmt.max + 1, 2 * fmt.min - 1, 2 * fmt.min + 1):
                        cases.append((odd, 1 << (shift - 1), shift, out_signed, bits))
                for shift in (1, 5, 13):  # one step either side of each limit, with M = 1
                    for target in (fmt.min - 1, fmt.min, fmt.max, fmt.max + 1):
                        for offset in (-(1 << (shift - 1)) - 1, -(1 << (shift - 1)), 0, (1 << (shift - 1)) - 1):
                            total = (target << shift) + offset
                            if abs(total) <= self.acc_max:
                                cases.append((total, 1, shift, out_signed, bits))
        for _ in range(20):  # extreme biases
            bias = rng.choice((self.bias_max, -self.bias_max - 1))
            acc = rng.randint(max(-self.acc_max - bias, -self.acc_max), min(self.acc_max - bias, self.acc_max))
            cases.append((acc + bias, rng.randint(0, m_max), rng.randint(1, 30), rng.random() < 0.5, rng.choice(WIDTHS)))
        return cases

    def random_neuron(self) -> tuple[int, int, int, bool, int]:
        rng = self.rng
        total = rng.randint(-self.acc_max, self.acc_max) >> rng.randint(0, self.acc_bits - 1)
        mult = rng.randint(0, MULT_FORMAT.max)
        bits = rng.choice(WIDTHS)
        # k near the product's size: most results land inside the b-bit range, some saturate.
        size = max(abs(total * mult).bit_length(), 1)
        shift = min(max(size - bits + rng.randint(-2, 3), MIN_REQ_SHIFT), MAX_REQ_SHIFT)
        return total, mult, shift, rng.random() < 0.5, bits

    def beats(self) -> tuple[list[dict], list[tuple[int, int]]]:
        """Inputs per neuron and the expected (activation bit pattern, logit) from the model."""
        neurons = self.corner_neurons() + [self.random_neuron() for _ in range(RANDOM_NEURONS)]
        beats, expected, outcomes = [], [], set()
        for total, mult, shift, out_signed, bits in neurons:
            fmt = activation_format("clamp" if out_signed else "relu", bits)
            acc, bias = self.split(total)
            act = int(requantize(np.array([acc + bias]), np.array([mult]), shift, out_signed, bits)[0])
            beats.append(
                {
                    "in_acc": acc & ((1 << self.acc_bits) - 1),
                    "in_bias": bias & ((1 << self.bias_bits) - 1),
                    "in_mult": mult,
                    "in_shift": shift,
                    "in_out_signed": int(out_signed),
                    "in_act_bits": bits,
                    "in_user": len(beats) % (1 << USER_WIDTH),
                }
            )
            expected.append((act & ((1 << ACT_BITS) - 1), acc + bias))
            outcomes.add((out_signed, bits, "lo" if act == fmt.min else "hi" if act == fmt.max else "in"))
        missing = {(s, b, o) for s in (False, True) for b in WIDTHS for o in ("lo", "hi", "in")} - outcomes
        assert not missing, f"stimulus misses saturation or in-range cases (signed, bits, outcome): {sorted(missing)}"
        return beats, expected

    def describe(self, index: int, beat: dict) -> str:
        """With the neuron's inputs: a failing corner case is then readable from the message."""
        return f"neuron {index} ({beat})"

    def check_output(self, where: str, beat: dict, want: tuple[int, int]) -> None:
        dut, (act, logit) = self.dut, want
        assert int(dut.out_act.value) == act, f"{where}: out_act = {int(dut.out_act.value):#x}, expected {act:#x}"
        assert dut.out_logit.value.to_signed() == logit, f"{where}: out_logit, expected {logit}"


@cocotb.test()
async def back_to_back(dut):
    """One neuron per cycle."""
    tb = RequantTB(dut)
    await tb.reset()
    await tb.drive_and_check(*tb.beats(), gap_probability=0.0)


@cocotb.test()
async def random_gaps(dut):
    """Random idle cycles (junk on the inputs) between neurons."""
    tb = RequantTB(dut)
    await tb.reset()
    await tb.drive_and_check(*tb.beats(), gap_probability=0.4)


def requant_parameters(acc: int, bias: int) -> dict[str, int]:
    return {
        "ACC_BITS": acc,
        "BIAS_BITS": bias,
        "MULT_BITS": MULT_FORMAT.bits,
        "ACT_BITS": ACT_BITS,
        "SHIFT_BITS": SHIFT_BITS,
        "USER_WIDTH": USER_WIDTH,
    }


def run_requant(acc: int, bias: int) -> None:
    run_cocotb(TOPLEVEL, rtl("deltamac_requant.sv"), test_file=__file__, parameters=requant_parameters(acc, bias))


@pytest.mark.parametrize(
    "acc, bias",
    [
        (32, 32),  # the default: the product needs two DSP48E1
        (MAX_ACC_BITS, MAX_ACC_BITS),  # the widest accumulator the contract allows
        (18, 18),  # one DSP48E1
        (24, 12),  # a bias narrower than the accumulator is sign-extended
    ],
)
def test_deltamac_requant(acc, bias):
    run_requant(acc, bias)


@pytest.mark.parametrize(
    "acc, bias, message",
    [
        (MAX_ACC_BITS + 1, 32, f"ACC_BITS ({MAX_ACC_BITS + 1}) must be in 2..40"),
        (20, 24, "BIAS_BITS (24) in 1..ACC_BITS"),
    ],
)
def test_deltamac_requant_illegal_parameters(acc, bias, message, tmp_path):
    parameters = requant_parameters(acc, bias)
    expect_elaboration_failure(TOPLEVEL, rtl("deltamac_requant.sv"), parameters, [f"{TOPLEVEL}: ", message], tmp_path)
