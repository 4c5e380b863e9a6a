"""cocotb testbench for deltamac_delta_mac_array: the delta-domain sum equals the decoded weights' sum.

Random fixed_reference layers (model.random_net draws them in the delta domain, model.delta
encodes them exactly as the export does) with row groups or groups of several words, delta shifts
0..2, unsigned and signed activations at the width fed, padded last words (zero activations,
random deltas as the ROM could hold anything there). Each neuron's out_acc must equal
model.inference.accumulate of the decoded weights (no bias): sum_i w_i * a_i.
"""

from __future__ import annotations

import random

import cocotb
import numpy as np
import pytest

from model.delta import encode_layer
from model.formats import ACT_BITS, DeltaFormat, Scheme, acc_bits, activation_format
from model.inference import accumulate
from model.network import QuantLayer
from model.packing import chunks, pack_rows
from model.random_net import random_network
from sim.pipeline_tb import PipelineTB
from sim.runner import expect_elaboration_failure, rtl, run_cocotb

TOPLEVEL = "deltamac_delta_mac_array"
SOURCES = rtl("deltamac_adder_tree.sv", "deltamac_lut_mult.sv", "deltamac_mac_array.sv", "deltamac_delta_mac_array.sv")
USER_WIDTH = 12
SHIFT_BITS = 4
N_OUT, IMAGES = 5, 3


def layer_shapes(lanes: int) -> list[tuple[int, int | None, int, bool]]:
    """(n_in, group, delta shift, in_signed): a whole-row group with a padded word, several groups of two words."""
    return [(3 * lanes + 1, None, 1, False), (4 * lanes, 2 * lanes, 0, True), (2 * lanes, None, 2, True)]


def acc_width(lanes: int, weight_bits: int, in_bits: int) -> int:
    tree = max(lanes - 1, 1).bit_length() if lanes > 1 else 0
    widest = max(acc_bits(n_in, weight_bits, signed, in_bits) for n_in, _, _, signed in layer_shapes(lanes))
    return max(widest, weight_bits + in_bits + 1 + tree)


class DeltaMacTB(PipelineTB):
    unit = "neuron"

    def __init__(self, dut):
        self.lanes, self.delta_bits = int(dut.LANES.value), int(dut.DELTA_BITS.value)
        self.weight_bits, self.fed_bits = int(dut.WEIGHT_BITS.value), int(dut.ACT_BITS.value)
        self.in_bits = self.fed_bits - 1
        seed = self.lanes * 1000 + self.delta_bits * 10 + self.fed_bits
        self.rng = np.random.default_rng(seed)
        super().__init__(dut, gaps=random.Random(seed))

    def drive_junk(self):
        dut, rng = self.dut, random.Random(int(self.rng.integers(1 << 30)))
        for name, bits in (("in_deltas", self.lanes * self.delta_bits), ("in_ref", self.weight_bits),
                           ("in_shift", SHIFT_BITS), ("in_acts", self.lanes * self.fed_bits), ("in_first", 1),
                           ("in_last", 1), ("in_user", USER_WIDTH)):
            getattr(dut, name).value = rng.getrandbits(bits)

    def beats(self):
        beats, expected = [], []
        for n_in, group, shift, in_signed in layer_shapes(self.lanes):
            fmt = DeltaFormat(Scheme.FIXED_REFERENCE, self.weight_bits, self.delta_bits, group)
            net = random_network((n_in, N_OUT), fmt, seed=int(self.rng.integers(1 << 16)), delta_shift=shift)
            weights = net.layers[0].weights
            encoded = encode_layer(weights, fmt, shift)
            afmt = activation_format("clamp" if in_signed else "relu", self.in_bits)
            images = self.rng.integers(afmt.min, afmt.max + 1, size=(IMAGES, n_in))
            images[0] = afmt.min if in_signed else afmt.max  # an extreme image
            zeros = np.zeros(N_OUT, np.int64)
            probe = QuantLayer(weights, zeros, zeros, 0, shift, "none", in_signed, ACT_BITS, self.in_bits)
            sums = accumulate(probe, images, self.weight_bits)
            n_chunks = chunks(n_in, self.lanes)
            pad = n_chunks * self.lanes - n_in
            dfmt = fmt.delta_format
            padded = np.concatenate([encoded.deltas, self.rng.integers(dfmt.min, dfmt.max + 1, (N_OUT, pad))], axis=1)
            delta_words = pack_rows(padded, self.lanes, self.delta_bits)
            group_words = n_chunks if group is None else group // self.lanes
            for image, acts in enumerate(images):
                act_words = pack_rows(acts[None, :], self.lanes, self.fed_bits)
                for row in range(N_OUT):
                    for chunk in range(n_chunks):
                        ref = int(encoded.refs[row, chunk // group_words])
                        beats.append({
                            "in_deltas": delta_words[row * n_chunks + chunk], "in_acts": act_words[chunk],
                            "in_ref": ref & ((1 << self.weight_bits) - 1), "in_shift": shift,
                            "in_first": int(chunk == 0), "in_last": int(chunk == n_chunks - 1),
                            "in_user": len(expected) % (1 << USER_WIDTH),
                        })
                    expected.append(int(sums[image, row]))
        return beats, expected

    def closes_output(self, beat: dict) -> bool:
        return bool(beat["in_last"])

    def check_output(self, where: str, beat: dict, want: int) -> None:
        got = self.dut.out_acc.value.to_signed()
        assert got == want, f"{where}: out_acc = {got}, expected {want}"


@cocotb.test()
async def back_to_back(dut):
    tb = DeltaMacTB(dut)
    await tb.reset()
    await tb.drive_and_check(*tb.beats(), gap_probability=0.0)


@cocotb.test()
async def random_gaps(dut):
    tb = DeltaMacTB(dut)
    await tb.reset()
    await tb.drive_and_check(*tb.beats(), gap_probability=0.4)


def parameters(lanes: int, delta_bits: int, weight_bits: int, fed_bits: int, lut_lanes: int, acc: int | None = None) -> dict:
    return {"LANES": lanes, "DELTA_BITS": delta_bits, "WEIGHT_BITS": weight_bits, "ACT_BITS": fed_bits,
            "SHIFT_BITS": SHIFT_BITS, "ACC_BITS": acc or acc_width(lanes, weight_bits, fed_bits - 1),
            "USER_WIDTH": USER_WIDTH, "LUT_LANES": lut_lanes}


@pytest.mark.parametrize("lanes, delta_bits, weight_bits, fed_bits, lut_lanes", [
    (16, 4, 8, 9, 1),  # the shared-lane core's shape: 4-bit deltas on 8-bit activations
    (16, 2, 8, 9, 0),  # delta products in multiplier blocks
    (5, 2, 6, 3, 1),   # 2-bit deltas on 2-bit activations, padded words
    (1, 3, 8, 5, 1),   # one lane
])
def test_deltamac_delta_mac_array(lanes, delta_bits, weight_bits, fed_bits, lut_lanes):
    run_cocotb(TOPLEVEL, SOURCES, test_file=__file__,
               parameters=parameters(lanes, delta_bits, weight_bits, fed_bits, lut_lanes))


@pytest.mark.parametrize("change, message", [
    (dict(acc=12), "ACC_BITS (12) must be >= WEIGHT_BITS + ACT_BITS + log2(LANES)"),
    (dict(delta_bits=1), "DELTA_BITS (1) and WEIGHT_BITS (8) in 2..18"),
])
def test_deltamac_delta_mac_array_illegal_parameters(change, message, tmp_path):
    args = dict(lanes=8, delta_bits=4, weight_bits=8, fed_bits=9, lut_lanes=1) | change
    expect_elaboration_failure(TOPLEVEL, SOURCES, parameters(**args), [f"{TOPLEVEL}: ", message], tmp_path)
