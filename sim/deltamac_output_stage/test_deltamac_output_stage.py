"""cocotb testbench for deltamac_output_stage: argmax (ties to the lowest index) and result stream.

Logits drawn from a narrow range (so ties are frequent) plus the extremes of ACC_BITS are fed
as the requant stage does, after a claim; the sink applies random backpressure. The expected
class is numpy's argmax (first maximum, the tie rule of ARCHITECTURE.md section 1, as in
model.inference.predict); with OUT_LOGITS=1 the logits must come first, sign-extended to 32 bits.
`ready` must be low exactly while two results are claimed and not yet sent (one collecting, one
sending), and `busy` high while any is; the producer feeds logits as early as the claim allows.
"""

from __future__ import annotations

import logging
import random

import cocotb
import numpy as np
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge
from cocotbext.axi import AxiStreamBus, AxiStreamSink

from sim.runner import rtl, run_cocotb


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.classes = int(dut.NUM_CLASSES.value)
        self.acc_bits = int(dut.ACC_BITS.value)
        self.out_logits = int(dut.OUT_LOGITS.value)
        self.rng = random.Random(self.classes * 100 + self.acc_bits)
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
        self.sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), dut.clk, dut.rst, byte_size=32)
        self.sink.log.setLevel(logging.WARNING)
        dut.claim.value = 0
        dut.in_valid.value = 0
        dut.in_logit.value = 0
        dut.in_first.value = 0
        dut.in_last.value = 0

    async def reset(self):
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, 3)
        self.dut.rst.value = 0

    def random_logits(self) -> list[int]:
        lo, hi = -(2 ** (self.acc_bits - 1)), 2 ** (self.acc_bits - 1) - 1
        pool = [lo, hi, lo + 1, hi - 1, 0, -1] + [self.rng.randint(-3, 3) for _ in range(4)]
        return [self.rng.choice(pool) for _ in range(self.classes)]

    def expected(self, logits: list[int]) -> list[int]:
        words = [v & 0xFFFFFFFF for v in logits] if self.out_logits else []
        return words + [int(np.argmax(np.array(logits, dtype=np.int64)))]

    async def produce(self, results: list[list[int]]):
        """Claim, then feed the logits with random gaps, as the sequencer and requant do."""
        dut = self.dut
        for logits in results:
            await FallingEdge(dut.clk)
            while not int(dut.ready.value):
                await FallingEdge(dut.clk)
            dut.claim.value = 1
            await FallingEdge(dut.clk)
            dut.claim.value = 0
            for index, value in enumerate(logits):
                for _ in range(self.rng.choice([0, 0, 0, 1, 5])):
                    await FallingEdge(dut.clk)
                dut.in_valid.value = 1
                dut.in_logit.value = value & ((1 << self.acc_bits) - 1)
                dut.in_first.value = int(index == 0)
                dut.in_last.value = int(index == len(logits) - 1)
                await FallingEdge(dut.clk)
                dut.in_valid.value = 0

    async def check_slots(self):
        """ready == (fewer than 2 results pending), busy == (any pending), at every clock edge."""
        dut = self.dut
        pending = 0
        while True:
            await RisingEdge(dut.clk)  # signals read here hold the values of the cycle just ended
            assert int(dut.ready.value) == int(pending < 2), f"ready wrong with {pending} results pending"
            assert int(dut.busy.value) == int(pending > 0), f"busy wrong with {pending} results pending"
            sent = int(dut.m_axis_tvalid.value) and int(dut.m_axis_tready.value) and int(dut.m_axis_tlast.value)
            pending += int(dut.claim.value) - int(sent)


@cocotb.test()
async def test_argmax_stream(dut):
    tb = TB(dut)
    tb.sink.set_pause_generator(iter(lambda: tb.rng.random() < 0.5, None))
    await tb.reset()
    results = [tb.random_logits() for _ in range(40)]
    cocotb.start_soon(tb.check_slots())
    cocotb.start_soon(tb.produce(results))
    for number, logits in enumerate(results):
        frame = await tb.sink.recv()
        got = [int(v) for v in frame.tdata]
        assert got == tb.expected(logits), f"result {number}: logits {logits}: got {got}"
        await FallingEdge(dut.clk)  # the count updates with the last beat's clock edge
        assert int(dut.images.value) == number + 1
    await ClockCycles(dut.clk, 2)
    assert int(dut.ready.value) and not int(dut.busy.value)


@pytest.mark.parametrize("classes,acc_bits,out_logits", [(10, 27, 1), (10, 40, 0), (3, 32, 1), (2, 12, 0)])
def test_deltamac_output_stage(classes, acc_bits, out_logits):
    run_cocotb(
        "deltamac_output_stage",
        rtl("deltamac_axis_check.sv", "deltamac_output_stage.sv"),
        test_file=__file__,
        parameters={"NUM_CLASSES": classes, "ACC_BITS": acc_bits, "OUT_LOGITS": out_logits},
    )
