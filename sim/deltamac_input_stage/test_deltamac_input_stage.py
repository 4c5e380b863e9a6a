"""cocotb testbench for deltamac_input_stage: ping-pong input buffers and wrong-length images.

A random stream of frames (correct, short and long, each ending with TLAST) goes in through
cocotbext-axi with random idles; a consumer coroutine plays the sequencer: when `img_valid` it
reads every word of the slot after a random delay, checks it against the next correct frame
and pulses `img_release`. Contract (ARCHITECTURE.md section 5): exactly the frames of IN_PIXELS
beats come out, in order; every other frame pulses `frame_error` once and counts in `dropped`;
TREADY is low only while both slots hold images.
"""

from __future__ import annotations

import logging
import random

import cocotb
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSource

from sim.runner import rtl, run_cocotb


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.lanes = int(dut.LANES.value)
        self.in_pixels = int(dut.IN_PIXELS.value)
        self.words = -(-self.in_pixels // self.lanes)
        self.rng = random.Random(self.lanes * 1000 + self.in_pixels)
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
        self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.clk, dut.rst)
        self.source.log.setLevel(logging.WARNING)
        dut.img_release.value = 0
        dut.rd_en_next.value = 0
        dut.rd_addr_next.value = 0
        self.images: list[bytes] = []
        self.frame_errors = 0

    async def reset(self):
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, 3)
        self.dut.rst.value = 0

    def pauses(self, probability: float):
        while True:
            yield self.rng.random() < probability

    async def monitor(self):
        """Count frame_error pulses; TREADY may only be low while both slots are full."""
        dut = self.dut
        while True:
            await RisingEdge(dut.clk)
            if int(dut.frame_error.value):
                self.frame_errors += 1
            full = [int(v) for v in dut.full_q.value]
            if not int(dut.s_axis_tready.value):
                assert all(full), f"TREADY low with a free slot (full={full})"

    async def consumer(self, max_delay: int):
        """Read each complete image word by word, as the sequencer does, then release the slot."""
        dut = self.dut
        while True:
            await FallingEdge(dut.clk)
            if not int(dut.img_valid.value):
                continue
            delay = self.rng.randrange(max_delay + 1)
            if delay:
                await ClockCycles(dut.clk, delay, rising=False)
            pixels = bytearray()
            # Pipelined like the sequencer: word w is requested in cycle w, read in cycle w + 1
            # (img_release with the last read) and its data is there in cycle w + 2.
            for cycle in range(self.words + 1):
                dut.rd_en_next.value = int(cycle < self.words)
                dut.rd_addr_next.value = min(cycle, self.words - 1)
                dut.img_release.value = int(cycle == self.words)
                await FallingEdge(dut.clk)
                if cycle >= 1:
                    pixels += int(dut.rd_data.value).to_bytes(self.lanes, "little")
            dut.img_release.value = 0
            self.images.append(bytes(pixels[: self.in_pixels]))


@cocotb.test()
async def test_wrong_length_stream(dut):
    """Random correct, short and long frames with idles and a slow consumer."""
    tb = TB(dut)
    await tb.reset()
    tb.source.set_pause_generator(tb.pauses(0.25))
    cocotb.start_soon(tb.monitor())
    cocotb.start_soon(tb.consumer(max_delay=3 * tb.in_pixels))
    frames = []
    for _ in range(24):
        kind = tb.rng.choice(["ok", "ok", "short", "long", "one_short", "one_long"])
        length = {
            "ok": tb.in_pixels,
            "short": tb.rng.randrange(1, tb.in_pixels),
            "long": tb.rng.randrange(tb.in_pixels + 1, 3 * tb.in_pixels),
            "one_short": tb.in_pixels - 1,
            "one_long": tb.in_pixels + 1,
        }[kind]
        frames.append(bytes(tb.rng.randrange(256) for _ in range(length)))
    for frame in frames:
        await tb.source.send(AxiStreamFrame(frame))
    await tb.source.wait()
    good = [f for f in frames if len(f) == tb.in_pixels]
    for _ in range(20 * tb.in_pixels):
        await RisingEdge(dut.clk)
        if len(tb.images) == len(good) and not int(dut.busy.value):
            break
    assert tb.images == good, f"{len(tb.images)} images out, {len(good)} expected (or content differs)"
    dropped = len(frames) - len(good)
    assert int(dut.dropped.value) == dropped
    assert tb.frame_errors == dropped
    assert not int(dut.busy.value)


@cocotb.test()
async def test_backpressure_both_slots(dut):
    """With no consumer, two images fill both slots, then TREADY stays low."""
    tb = TB(dut)
    await tb.reset()
    cocotb.start_soon(tb.monitor())
    for _ in range(3):
        await tb.source.send(AxiStreamFrame(bytes(tb.rng.randrange(256) for _ in range(tb.in_pixels))))
    await ClockCycles(dut.clk, 4 * tb.in_pixels)
    assert not int(dut.s_axis_tready.value), "TREADY must be low with both slots full"
    assert int(dut.img_valid.value) and int(dut.busy.value)
    assert not tb.source.idle(), "the third image must wait"
    cocotb.start_soon(tb.consumer(max_delay=0))
    await tb.source.wait()
    await ClockCycles(dut.clk, 4 * tb.in_pixels)
    assert len(tb.images) == 3 and int(dut.dropped.value) == 0


@pytest.mark.parametrize("lanes,in_pixels", [(1, 7), (4, 16), (5, 23), (16, 50)])
def test_deltamac_input_stage(lanes, in_pixels):
    run_cocotb(
        "deltamac_input_stage",
        rtl("deltamac_act_buffer.sv", "deltamac_input_stage.sv"),
        test_file=__file__,
        parameters={"LANES": lanes, "IN_PIXELS": in_pixels},
    )
