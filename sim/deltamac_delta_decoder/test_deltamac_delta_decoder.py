"""cocotb testbench for deltamac_delta_decoder: every decoded weight equals model.delta.decode_layer.

Stimulus: small layers whose weights are projected onto the delta format (model.delta.project_layer)
and encoded (model.delta.encode_layer); the rows are packed into ROM words (model.packing.pack_rows)
and streamed through the decoder with their references, group starts and delta shift, one layer
after another (the shift changes between layers), back to back or with random gaps in in_valid
(idle cycles carry random junk on every input). Corner rows: all zero, all most negative/positive
weights, and full-range random rows that drive the deltas to both ends of their range. Groups span
the whole row (with a padded last word) or several words (restarts inside a row). Every output word
is checked lane by lane (real columns only; padded lanes are don't-care) against decode_layer, its
sideband against the input word's, and the latency against the module's LATENCY; between valid
words out_weights must hold.
"""

from __future__ import annotations

import random

import cocotb
import numpy as np
import pytest

from model.delta import decode_layer, encode_layer, project_layer
from model.formats import DeltaFormat, Scheme
from model.packing import chunks, pack_rows, unpack_rows
from sim.pipeline_tb import PipelineTB
from sim.runner import expect_elaboration_failure, rtl, run_cocotb

TOPLEVEL = "deltamac_delta_decoder"
USER_WIDTH = 16  # carries the word index, so misordered or misaligned outputs are caught
MAX_FIXED_REFERENCE_SHIFT = 6  # project_layer tries 2*2**s+1 references per group: keep it quick


class DecoderTB(PipelineTB):
    unit = "word"

    def __init__(self, dut):
        self.lanes = int(dut.LANES.value)
        self.weight_bits = int(dut.WEIGHT_BITS.value)
        self.delta_bits = int(dut.DELTA_BITS.value)
        self.scheme = Scheme(int(dut.SCHEME.value))
        seed = self.lanes * 100 + self.delta_bits * 10 + self.scheme
        self.rng = np.random.default_rng(seed)  # stimulus
        self.last_word = None  # out_weights of the latest valid word
        super().__init__(dut, gaps=random.Random(seed))

    def drive_junk(self):
        """Random values on the data inputs (used in idle cycles: the decoder must ignore them)."""
        dut, rng = self.dut, random.Random(int(self.rng.integers(1 << 30)))
        dut.in_deltas.value = rng.getrandbits(self.lanes * self.delta_bits)
        dut.in_ref.value = rng.getrandbits(self.weight_bits)
        dut.in_group_start.value = rng.getrandbits(1)
        dut.in_shift.value = rng.getrandbits(len(dut.in_shift))
        dut.in_user.value = rng.getrandbits(USER_WIDTH)

    def fmt(self, group: int | None) -> DeltaFormat:
        return DeltaFormat(self.scheme, self.weight_bits, self.delta_bits, group)

    def shifts(self) -> list[int]:
        """Delta shifts to cover: 0, a middle one and the largest legal one."""
        if self.scheme == Scheme.PLAIN:
            return [0]
        top = self.weight_bits - 1
        if self.scheme == Scheme.FIXED_REFERENCE:
            top = min(top, MAX_FIXED_REFERENCE_SHIFT)
        return sorted({0, (top + 1) // 2, top})

    def layer_weights(self, n_out: int, n_in: int, fmt: DeltaFormat, shift: int) -> np.ndarray:
        """Representable weights: corner rows first, then random rows projected onto the format."""
        wfmt = fmt.weight_format
        corners = [np.zeros(n_in), np.full(n_in, wfmt.min), np.full(n_in, wfmt.max)]
        rows = corners + [self.rng.uniform(wfmt.min, wfmt.max + 1, n_in) for _ in range(n_out - len(corners))]
        weights, _ = project_layer(np.array(rows[:n_out]), fmt, shift)
        return weights

    def layers(self, n_out: int):
        """(fmt, shift, encoded layer) per layer: whole-row groups with a padded last word, and
        (non-plain) groups of two words, so the consecutive chain restarts inside a row."""
        p = self.lanes
        shapes = [(3 * p + (1 if p > 1 else 0), None)]
        if self.scheme != Scheme.PLAIN:
            shapes.append((4 * p, 2 * p))
        for shift in self.shifts():
            for n_in, group in shapes:
                fmt = self.fmt(group)
                weights = self.layer_weights(n_out, n_in, fmt, shift)
                yield fmt, shift, encode_layer(weights, fmt, shift)

    def beats(self, layers) -> tuple[list[dict], list[np.ndarray]]:
        """Input words and, per word, the expected weights of its real columns (from decode_layer)."""
        beats, expected = [], []
        for fmt, shift, encoded in layers:
            weights = decode_layer(encoded, fmt, shift)
            n_out, n_in = weights.shape
            n_chunks = chunks(n_in, self.lanes)
            group = fmt.group_size(n_in)
            group_words = n_chunks if group == n_in else group // self.lanes
            words = pack_rows(encoded.deltas, self.lanes, self.delta_bits)
            for row in range(n_out):
                for chunk in range(n_chunks):
                    ref = int(encoded.refs[row, chunk // group_words]) if fmt.has_references else 0
                    beats.append(
                        {
                            "in_deltas": words[row * n_chunks + chunk],
                            "in_ref": ref & ((1 << self.weight_bits) - 1),
                            "in_group_start": int(chunk % group_words == 0),
                            "in_shift": shift,
                            "in_user": len(beats) % (1 << USER_WIDTH),
                        }
                    )
                    expected.append(weights[row, chunk * self.lanes : (chunk + 1) * self.lanes])
        return beats, expected

    def out_word(self) -> int | None:
        return int(self.dut.out_weights.value) if self.dut.out_weights.value.is_resolvable else None

    def check_idle(self, received: int) -> None:
        """The module promises that out_weights holds between valid words."""
        word = self.out_word()
        assert received == 0 or word == self.last_word, f"out_weights changed without out_valid after word {received - 1}"

    def check_output(self, where: str, beat: dict, want: np.ndarray) -> None:
        """Real columns only: padded lanes are don't-care."""
        self.last_word = self.out_word()
        got = unpack_rows([self.last_word], 1, self.lanes, self.lanes, self.weight_bits)[0]
        assert np.array_equal(got[: len(want)], want), (
            f"{where}: weights {got[: len(want)].tolist()}, expected {want.tolist()} (input {beat})"
        )


def check_coverage(layers, scheme: Scheme) -> None:
    """The corner stimuli are really there: both delta extremes in every unshifted layer (with a
    larger shift the extremes would leave the weight range, so valid ROMs cannot hold them)."""
    for fmt, shift, encoded in layers:
        stored = fmt.weight_format if scheme == Scheme.PLAIN else fmt.delta_format
        if shift == 0:
            assert encoded.deltas.min() == stored.min and encoded.deltas.max() == stored.max, (
                f"stimulus misses an extreme delta for {fmt.describe()}"
            )


@cocotb.test()
async def back_to_back(dut):
    """Every word of every layer on consecutive cycles."""
    tb = DecoderTB(dut)
    layers = list(tb.layers(n_out=5))
    check_coverage(layers, tb.scheme)
    await tb.reset()
    await tb.drive_and_check(*tb.beats(layers), gap_probability=0.0)


@cocotb.test()
async def random_gaps(dut):
    """The same kind of layers with random idle cycles (junk on the inputs) between words."""
    tb = DecoderTB(dut)
    await tb.reset()
    await tb.drive_and_check(*tb.beats(tb.layers(n_out=4)), gap_probability=0.4)


def decoder_parameters(lanes: int, delta_bits: int, weight_bits: int, scheme: Scheme) -> dict[str, int]:
    return {
        "LANES": lanes,
        "DELTA_BITS": delta_bits,
        "WEIGHT_BITS": weight_bits,
        "SCHEME": int(scheme),
        "USER_WIDTH": USER_WIDTH,
    }


def run_decoder(lanes: int, delta_bits: int, weight_bits: int, scheme: Scheme) -> None:
    parameters = decoder_parameters(lanes, delta_bits, weight_bits, scheme)
    run_cocotb(TOPLEVEL, rtl("deltamac_delta_decoder.sv"), test_file=__file__, parameters=parameters)


@pytest.mark.parametrize(
    "lanes, delta_bits, weight_bits, scheme",
    [
        (16, 4, 8, Scheme.FIXED_REFERENCE),  # the default configuration
        (16, 4, 8, Scheme.CONSECUTIVE),
        (1, 2, 4, Scheme.CONSECUTIVE),  # the chain runs across single-lane words
        (5, 3, 8, Scheme.CONSECUTIVE),  # non-power-of-two prefix sum
        (32, 2, 12, Scheme.CONSECUTIVE),  # widest word, five prefix levels
        (2, 8, 16, Scheme.FIXED_REFERENCE),  # widest deltas and weights
        (12, 1, 3, Scheme.FIXED_REFERENCE),  # one-bit deltas
        (8, 3, 8, Scheme.FIXED_REFERENCE),
        (8, 8, 12, Scheme.CONSECUTIVE),  # widest deltas in a chain
        (4, 8, 8, Scheme.PLAIN),
    ],
)
def test_deltamac_delta_decoder(lanes, delta_bits, weight_bits, scheme):
    run_decoder(lanes, delta_bits, weight_bits, scheme)


@pytest.mark.parametrize(
    "lanes, delta_bits, weight_bits, scheme, message",
    [
        (4, 4, 8, Scheme.PLAIN, "DELTA_BITS (4) must equal WEIGHT_BITS (8)"),
        (0, 4, 8, Scheme.FIXED_REFERENCE, "LANES must be in 1..32, got 0"),
        (33, 4, 8, Scheme.CONSECUTIVE, "LANES must be in 1..32, got 33"),
        (4, 0, 8, Scheme.FIXED_REFERENCE, "DELTA_BITS must be in 1..8, got 0"),
        (4, 9, 16, Scheme.CONSECUTIVE, "DELTA_BITS must be in 1..8, got 9"),
    ],
)
def test_deltamac_delta_decoder_illegal_parameters(lanes, delta_bits, weight_bits, scheme, message, tmp_path):
    parameters = decoder_parameters(lanes, delta_bits, weight_bits, scheme)
    expect_elaboration_failure(TOPLEVEL, rtl("deltamac_delta_decoder.sv"), parameters, [f"{TOPLEVEL}: ", message], tmp_path)
