"""cocotb testbench for deltamac_mac_array: every neuron's sum equals model.inference.accumulate.

Stimulus: small layers (a single-word row, a row with a padded last word, a one-column row) with
corner rows (zero, all most negative, all most positive, alternating extremes) and random rows,
fed with corner images (all 0, all most negative/positive activation) and random ones; unsigned
(relu, zero-extended) and signed (clamp, sign-extended) inputs. Each neuron is streamed as its
ceil(n_in/P) words with first/last tags; padded lanes carry random weights (as a fixed_reference
decoder would) and zero activations (as the caller masks them). Neurons follow back to back or with
random gaps (idle cycles carry random junk on every input). ACC_BITS is the width the model
derives for the layers (model.formats.acc_bits), so the accumulator runs at its tightest size.
The activations fed are ACT_BITS wide: (ACT_BITS-1)-bit activations sign- or zero-extended (9 for
the shared-lane core's 8-bit activations, fewer for narrow layers), with DSP or LUT lanes.
"""

from __future__ import annotations

import random

import cocotb
import numpy as np
import pytest

from model.formats import ACT_BITS, FixedFormat, acc_bits, activation_format
from model.inference import accumulate
from model.network import QuantLayer
from model.packing import chunks, pack_rows
from sim.pipeline_tb import PipelineTB
from sim.runner import expect_elaboration_failure, rtl, run_cocotb

TOPLEVEL = "deltamac_mac_array"
SOURCES = rtl("deltamac_adder_tree.sv", "deltamac_lut_mult.sv", "deltamac_mac_array.sv")
USER_WIDTH = 16  # carries the neuron index, so misordered or misaligned outputs are caught
FED_ACT_BITS = ACT_BITS + 1  # 8-bit activations sign- or zero-extended to 9 bits
IMAGES = 3


def layer_shapes(lanes: int) -> list[tuple[int, bool]]:
    """(n_in, in_signed) per layer: a single full word, a padded last word, one column."""
    shapes = [(lanes, False), (3 * lanes + 1, True)]
    if lanes > 1:
        shapes.append((1, False))
    return shapes


def model_acc_bits(lanes: int, weight_bits: int, in_bits: int = ACT_BITS) -> int:
    return max(acc_bits(n_in, weight_bits, in_signed, in_bits) for n_in, in_signed in layer_shapes(lanes))


class MacArrayTB(PipelineTB):
    unit = "neuron"

    def __init__(self, dut):
        self.lanes = int(dut.LANES.value)
        self.weight_bits = int(dut.WEIGHT_BITS.value)
        self.fed_bits = int(dut.ACT_BITS.value)
        self.in_bits = self.fed_bits - 1  # activations as the caller extends them
        self.wfmt = FixedFormat(self.weight_bits, True)
        seed = self.lanes * 100 + self.weight_bits
        self.rng = np.random.default_rng(seed)  # stimulus
        super().__init__(dut, gaps=random.Random(seed))

    def drive_junk(self):
        """Random values on the data and tag inputs (idle cycles: the array must ignore them)."""
        dut, rng = self.dut, random.Random(int(self.rng.integers(1 << 30)))
        dut.in_weights.value = rng.getrandbits(self.lanes * self.weight_bits)
        dut.in_acts.value = rng.getrandbits(self.lanes * self.fed_bits)
        dut.in_first.value = rng.getrandbits(1)
        dut.in_last.value = rng.getrandbits(1)
        dut.in_user.value = rng.getrandbits(USER_WIDTH)

    def layer(self, n_in: int, in_signed: bool, n_out: int = 6):
        """Weights [n_out, n_in] with corner rows, images [IMAGES, n_in] with corner images."""
        w_lo, w_hi = self.wfmt.min, self.wfmt.max
        alternating = np.where(np.arange(n_in) % 2 == 0, w_lo, w_hi)
        corners = [np.zeros(n_in), np.full(n_in, w_lo), np.full(n_in, w_hi), alternating]
        randoms = [self.rng.integers(w_lo, w_hi + 1, n_in) for _ in range(n_out - len(corners))]
        weights = np.array(corners + randoms, dtype=np.int64)
        afmt = activation_format("clamp" if in_signed else "relu", self.in_bits)
        a_lo, a_hi = afmt.min, afmt.max
        corner_images = [np.full(n_in, a_hi), np.full(n_in, a_lo)]
        images = np.array(corner_images + [self.rng.integers(a_lo, a_hi + 1, n_in)], dtype=np.int64)[:IMAGES]
        return weights, images

    def beats(self) -> tuple[list[dict], list[int]]:
        """Input words of every neuron (all layers, all images) and the expected sums (model)."""
        beats, expected = [], []
        for n_in, in_signed in layer_shapes(self.lanes):
            weights, images = self.layer(n_in, in_signed)
            zeros = np.zeros(len(weights), np.int64)
            layer = QuantLayer(weights, zeros, zeros, 0, 0, "none", in_signed, ACT_BITS, self.in_bits)
            acc = accumulate(layer, images, self.weight_bits)
            n_chunks = chunks(n_in, self.lanes)
            # Padded lanes: random weights (a decoder leaves them arbitrary), activations 0.
            padded = np.concatenate(
                [weights, self.rng.integers(self.wfmt.min, self.wfmt.max + 1, (len(weights), n_chunks * self.lanes - n_in))],
                axis=1,
            )
            weight_words = pack_rows(padded, self.lanes, self.weight_bits)
            for image, acts in enumerate(images):
                act_words = pack_rows(acts[None, :], self.lanes, self.fed_bits)
                for row in range(len(weights)):
                    for chunk in range(n_chunks):
                        beats.append(
                            {
                                "in_weights": weight_words[row * n_chunks + chunk],
                                "in_acts": act_words[chunk],
                                "in_first": int(chunk == 0),
                                "in_last": int(chunk == n_chunks - 1),
                                "in_user": len(expected) % (1 << USER_WIDTH),
                            }
                        )
                    expected.append(int(acc[image, row]))
        return beats, expected

    def closes_output(self, beat: dict) -> bool:
        """A neuron's sum leaves after its in_last word."""
        return bool(beat["in_last"])

    def check_output(self, where: str, beat: dict, want: int) -> None:
        got = self.dut.out_acc.value.to_signed()
        assert got == want, f"{where}: out_acc = {got}, expected {want}"


@cocotb.test()
async def back_to_back(dut):
    """All neurons on consecutive cycles, including single-word neurons (first and last together)."""
    tb = MacArrayTB(dut)
    await tb.reset()
    await tb.drive_and_check(*tb.beats(), gap_probability=0.0)


@cocotb.test()
async def random_gaps(dut):
    """The same neurons with random idle cycles (junk on the inputs) between words."""
    tb = MacArrayTB(dut)
    await tb.reset()
    await tb.drive_and_check(*tb.beats(), gap_probability=0.4)


def mac_array_parameters(lanes: int, weight_bits: int, acc: int, fed_bits: int = FED_ACT_BITS,
                         lut_lanes: int = 0) -> dict[str, int]:
    return {
        "LANES": lanes,
        "WEIGHT_BITS": weight_bits,
        "ACT_BITS": fed_bits,
        "ACC_BITS": acc,
        "USER_WIDTH": USER_WIDTH,
        "LUT_LANES": lut_lanes,
    }


@pytest.mark.parametrize(
    "lanes, weight_bits, fed_bits, lut_lanes",
    [(16, 8, 9, 0), (1, 8, 9, 0), (2, 4, 9, 0), (4, 16, 9, 0), (5, 8, 9, 0), (12, 2, 9, 0), (8, 8, 9, 0), (32, 6, 9, 0),
     # LUT lanes: the 8-bit shape, and narrow weights on 2- and 4-bit activations (3 and 5 bits as fed)
     (16, 8, 9, 1), (7, 2, 3, 1), (32, 3, 5, 1), (3, 4, 3, 1), (6, 2, 3, 0)],
)
def test_deltamac_mac_array(lanes, weight_bits, fed_bits, lut_lanes):
    parameters = mac_array_parameters(lanes, weight_bits, model_acc_bits(lanes, weight_bits, fed_bits - 1), fed_bits,
                                      lut_lanes)
    run_cocotb(TOPLEVEL, SOURCES, test_file=__file__, parameters=parameters)


@pytest.mark.parametrize(
    "lanes, weight_bits, acc, message",
    [
        (0, 8, 32, "LANES must be in 1..32, got 0"),
        (33, 8, 32, "LANES must be in 1..32, got 33"),
        (4, 8, 16, "ACC_BITS (16) must be >= WEIGHT_BITS + ACT_BITS (17)"),
    ],
)
def test_deltamac_mac_array_illegal_parameters(lanes, weight_bits, acc, message, tmp_path):
    parameters = mac_array_parameters(lanes, weight_bits, acc)
    expect_elaboration_failure(TOPLEVEL, SOURCES, parameters, [f"{TOPLEVEL}: ", message], tmp_path)


def test_deltamac_mac_array_illegal_lane_kind(tmp_path):
    parameters = mac_array_parameters(4, 8, 32, lut_lanes=2)
    expect_elaboration_failure(TOPLEVEL, SOURCES, parameters,
                               [f"{TOPLEVEL}: LUT_LANES must be 0 (DSP lanes) or 1 (LUT lanes), got 2"], tmp_path)

