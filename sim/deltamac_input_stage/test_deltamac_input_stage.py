"""cocotb testbench for deltamac_input_stage: ping-pong input buffers, wrong-length images, resync.

A random stream of frames (correct, short and long, each ending with TLAST, TUSER on the first
beat) goes in through cocotbext-axi with random idles; a consumer coroutine plays the sequencer:
when `img_valid` it reads every word of the slot after a random delay, checks it against the next
correct frame and pulses `img_release`. A second test drives a fixed stream beat by beat with
images without TLAST, cut-off images and idle gaps of chosen lengths. Contract (ARCHITECTURE.md
section 5), written once in `reference` below: which images come out, in order, how many are
dropped (each pulses `frame_error` once and counts in `dropped`) and how many are swallowed while
discarding (`swallowed`), for the SOI_TUSER and RESYNC_IDLE_CYCLES of the build; TREADY is low
only while both slots hold images. With PIXELS_PER_BEAT = k > 1 every beat carries k pixels
(pixel i in TDATA bits [8*i +: 8]) and the rule counts beats: an image is IN_PIXELS / k beats.
Further tests: images back to back at one beat per cycle (no TREADY stall when the consumer keeps
up), a reset in the middle of an image (and while discarding) with another image waiting.
"""

from __future__ import annotations

import logging
import random

import cocotb
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSource

from sim.runner import expect_elaboration_failure, rtl, run_cocotb


def reference(
    events, in_pixels: int, soi_tuser: int, resync_idle: int, ppb: int = 1
) -> tuple[list[bytes], int, int]:
    """The documented rule: the images accepted, the number dropped and the number swallowed.

    `events` are ("beat", data, tlast, tuser) and ("idle", cycles without TVALID); `data` holds
    `ppb` pixels, pixel i in bits [8*i +: 8]. An image is accepted with exactly
    `in_pixels / ppb` beats and TLAST on the last; TLAST earlier drops it; no TLAST on its last
    beat drops it and discards up to and including the next TLAST, every `in_pixels / ppb`-th
    discarded beat being one swallowed image. A resync (TUSER with soi_tuser, an idle run of >=
    resync_idle cycles with resync_idle > 0) ends discarding and drops a partly received image;
    the beat with TUSER is beat 0.
    """
    beats = in_pixels // ppb
    images: list[bytes] = []
    lost = swallowed = 0
    current = bytearray()
    discard, discarded = False, 0
    for event in events:
        resync = (event[0] == "beat" and soi_tuser and event[3]) or (
            event[0] == "idle" and resync_idle and event[1] >= resync_idle
        )
        if resync:
            lost += bool(current) and not discard
            current, discard, discarded = bytearray(), False, 0
        if event[0] != "beat":
            continue
        _, data, last = event[:3]
        if discard:
            discarded += 1
            if discarded == beats:
                swallowed, discarded = swallowed + 1, 0
            if last:
                discard, discarded = False, 0
            continue
        current += data.to_bytes(ppb, "little")  # ppb pixels per beat: len(current) == in_pixels at beat `beats`
        if len(current) == in_pixels or last:
            if len(current) == in_pixels and last:
                images.append(bytes(current))
            else:
                lost += 1
                discard = not last
            current = bytearray()
    return images, lost, swallowed


def frame_events(frame: bytes, last: bool = True, ppb: int = 1, first: bool = True) -> list[tuple]:
    """Beats of one frame, `ppb` pixels each (pixel 0 in the LSBs; len(frame) a multiple of ppb):
    TUSER on the first (unless `first` is False), TLAST on the last (unless `last` is False)."""
    beats = [int.from_bytes(frame[i : i + ppb], "little") for i in range(0, len(frame), ppb)]
    return [("beat", d, last and i == len(beats) - 1, first and i == 0) for i, d in enumerate(beats)]


class TB:
    def __init__(self, dut, source: bool = True):
        self.dut = dut
        self.lanes = int(dut.LANES.value)
        self.in_pixels = int(dut.IN_PIXELS.value)
        self.soi_tuser = int(dut.SOI_TUSER.value)
        self.resync_idle = int(dut.RESYNC_IDLE_CYCLES.value)
        self.ppb = int(dut.PIXELS_PER_BEAT.value)
        self.beats = self.in_pixels // self.ppb  # beats per image
        self.words = -(-self.in_pixels // self.lanes)
        self.rng = random.Random(self.lanes * 1000 + self.in_pixels + 100000 * (self.ppb - 1))
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
        if source:
            self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.clk, dut.rst)
            self.source.log.setLevel(logging.WARNING)
        else:  # driven beat by beat (`drive`)
            dut.s_axis_tvalid.value = 0
            dut.s_axis_tdata.value = 0
            dut.s_axis_tlast.value = 0
            dut.s_axis_tuser.value = 0
        dut.img_release.value = 0
        dut.rd_en_next.value = 0
        dut.rd_addr_next.value = 0
        self.images: list[bytes] = []
        self.frame_errors = 0
        self.stalls = 0  # cycles with TVALID high and TREADY low
        self.beat_cycles: list[int] = []  # monitor cycles in which a beat was taken

    def pixels(self, count: int) -> bytes:
        return bytes(self.rng.randrange(256) for _ in range(count))

    def frame(self, pixels: bytes) -> AxiStreamFrame:
        """A frame for the cocotbext source: TUSER on the first beat (the source takes each beat's
        TUSER from its last pixel)."""
        return AxiStreamFrame(pixels, tuser=[1] * self.ppb + [0] * (len(pixels) - self.ppb))

    async def reset(self):
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, 3)
        self.dut.rst.value = 0

    def pauses(self, probability: float):
        """Random pauses, never as many in a row as an idle resync needs."""
        run = 0
        while True:
            pause = self.rng.random() < probability and (not self.resync_idle or run + 1 < self.resync_idle)
            run = run + 1 if pause else 0
            yield pause

    async def monitor(self):
        """Count frame_error pulses; TREADY may only be low while both slots are full."""
        dut = self.dut
        cycle = 0
        while True:
            await RisingEdge(dut.clk)
            cycle += 1
            if int(dut.s_axis_tvalid.value) and int(dut.s_axis_tready.value):
                self.beat_cycles.append(cycle)
            if int(dut.frame_error.value):
                self.frame_errors += 1
            if int(dut.s_axis_tvalid.value) and not int(dut.s_axis_tready.value):
                self.stalls += 1
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
    frames: list[bytes] = []
    n = tb.beats  # lengths in beats
    kinds = ["ok", "ok", "short", "long", "one_short", "one_long"] if n > 1 else ["ok", "ok", "long", "one_long"]
    for _ in range(24):
        kind = tb.rng.choice(kinds)
        length = {
            "ok": n,
            "short": tb.rng.randrange(1, n) if n > 1 else 0,
            "long": tb.rng.randrange(n + 1, 3 * n),
            "one_short": n - 1,
            "one_long": n + 1,
        }[kind]
        frames.append(tb.pixels(length * tb.ppb))
    for frame in frames:
        await tb.source.send(tb.frame(frame))
    await tb.source.wait()
    # Random idles stay shorter than RESYNC_IDLE_CYCLES: no idle resync.
    good, lost, swallowed = reference([e for f in frames for e in frame_events(f, ppb=tb.ppb)], tb.in_pixels,
                                      tb.soi_tuser, 0, tb.ppb)
    assert good == [f for f in frames if len(f) == tb.in_pixels]
    for _ in range(20 * tb.in_pixels):
        await RisingEdge(dut.clk)
        if len(tb.images) == len(good) and not int(dut.busy.value):
            break
    # dropped / swallowed count 1-2 cycles after the beat that decides them, busy may fall before
    await ClockCycles(dut.clk, 2)
    assert tb.images == good, f"{len(tb.images)} images out, {len(good)} expected (or content differs)"
    assert int(dut.dropped.value) == lost
    assert int(dut.swallowed.value) == swallowed
    assert tb.frame_errors == lost
    assert not int(dut.busy.value)


async def drive(tb: TB, events) -> None:
    """Drive the events beat by beat (each beat held until TREADY) and idle runs exactly as long."""
    dut = tb.dut
    for event in events:
        await FallingEdge(dut.clk)
        if event[0] == "idle":
            dut.s_axis_tvalid.value = 0
            for _ in range(event[1] - 1):
                await FallingEdge(dut.clk)
            continue
        _, data, last, user = event
        dut.s_axis_tvalid.value = 1
        dut.s_axis_tdata.value = data
        dut.s_axis_tlast.value = int(last)
        dut.s_axis_tuser.value = int(user)
        await RisingEdge(dut.clk)
        while not int(dut.s_axis_tready.value):
            await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.s_axis_tvalid.value = 0


@cocotb.test()
async def test_lost_and_resync(dut):
    """An image without TLAST, one cut off, short and long ones, idle gaps just below and at the
    resync length: exactly the images of `reference` come out and exactly its drops and swallowed
    images count."""
    tb = TB(dut, source=False)
    await tb.reset()
    cocotb.start_soon(tb.monitor())
    cocotb.start_soon(tb.consumer(max_delay=tb.in_pixels))
    n, k = tb.in_pixels, tb.ppb  # pixels per image, pixels per beat
    gap = tb.resync_idle if tb.resync_idle else 5
    image = [tb.pixels(n) for _ in range(9)]
    cut = max(1, tb.beats // 2) * k  # pixels of whole beats
    events = [
        *frame_events(image[0], ppb=k),
        *frame_events(image[1], last=False, ppb=k),  # no TLAST: without resync it swallows image 2
        ("idle", gap),
        *frame_events(image[2], ppb=k),
        *frame_events(image[3][:cut], last=False, ppb=k),  # cut off without TLAST
        ("idle", gap),
        *frame_events(image[4], ppb=k),
        *frame_events(image[5][: n - k], ppb=k),  # one beat short, with TLAST
        *frame_events(image[5] + image[5][: 3 * k], ppb=k),  # three beats long, with TLAST
        *frame_events(image[6][:cut], last=False, ppb=k),  # an idle gap inside an image
        ("idle", max(1, gap - 1)),  # one cycle below the resync length: nothing happens
        *frame_events(image[6][cut:], ppb=k, first=False),
        *frame_events(image[7][:cut], last=False, ppb=k),  # cut off at the end of the stream
        ("idle", gap),
        *frame_events(image[8], ppb=k),
    ]
    good, lost, swallowed = reference(events, n, tb.soi_tuser, tb.resync_idle, k)
    await drive(tb, events)
    for _ in range(20 * n):
        await RisingEdge(dut.clk)
        if len(tb.images) == len(good) and not int(dut.busy.value):
            break
    # dropped / swallowed count 1-2 cycles after the beat that decides them, busy may fall before
    await ClockCycles(dut.clk, 2)
    dut._log.info("SOI_TUSER %d RESYNC_IDLE_CYCLES %d: %d images out, %d dropped, %d swallowed",
                  tb.soi_tuser, tb.resync_idle, len(good), lost, swallowed)
    assert tb.images == good, f"{len(tb.images)} images out, {len(good)} expected (or content differs)"
    assert int(dut.dropped.value) == lost, f"dropped {int(dut.dropped.value)}, {lost} expected"
    assert int(dut.swallowed.value) == swallowed, f"swallowed {int(dut.swallowed.value)}, {swallowed} expected"
    assert tb.frame_errors == lost
    assert not int(dut.busy.value)


@cocotb.test()
async def test_backpressure_both_slots(dut):
    """With no consumer, two images fill both slots, then TREADY stays low."""
    tb = TB(dut)
    await tb.reset()
    cocotb.start_soon(tb.monitor())
    for _ in range(3):
        await tb.source.send(AxiStreamFrame(tb.pixels(tb.in_pixels)))
    await ClockCycles(dut.clk, 4 * tb.in_pixels)
    assert not int(dut.s_axis_tready.value), "TREADY must be low with both slots full"
    assert int(dut.img_valid.value) and int(dut.busy.value)
    assert not tb.source.idle(), "the third image must wait"
    cocotb.start_soon(tb.consumer(max_delay=0))
    await tb.source.wait()
    await ClockCycles(dut.clk, 4 * tb.in_pixels)
    assert len(tb.images) == 3 and int(dut.dropped.value) == 0


@cocotb.test()
async def test_back_to_back(dut):
    """Good images back to back with no idle beat: all come out in order, nothing is lost, and
    when the consumer keeps up (an image of `beats` beats is longer than its read-out plus the
    buffer's latency) TREADY never stalls: one image per IN_PIXELS / PIXELS_PER_BEAT cycles."""
    tb = TB(dut)
    await tb.reset()
    cocotb.start_soon(tb.monitor())
    cocotb.start_soon(tb.consumer(max_delay=0))
    frames = [tb.pixels(tb.in_pixels) for _ in range(8)]
    for frame in frames:
        await tb.source.send(tb.frame(frame))
    await tb.source.wait()
    assert len(tb.beat_cycles) == len(frames) * tb.beats
    cycles = tb.beat_cycles[-1] - tb.beat_cycles[0] + 1  # first beat to last beat
    for _ in range(20 * tb.in_pixels):
        await RisingEdge(dut.clk)
        if len(tb.images) == len(frames) and not int(dut.busy.value):
            break
    await ClockCycles(dut.clk, 2)
    assert tb.images == frames
    assert int(dut.dropped.value) == 0 and int(dut.swallowed.value) == 0 and tb.frame_errors == 0
    dut._log.info("%d images of %d beats in %d cycles, %d stall cycles", len(frames), tb.beats, cycles, tb.stalls)
    # consumer: img_valid 4 cycles after TLAST, seen at the next falling edge, words + 1 cycles of
    # reads, the slot free the cycle after img_release: it keeps up when an image has at least
    # words + 6 beats (the slot is free before the image after the next one starts)
    if tb.beats >= tb.words + 6:
        assert tb.stalls == 0, f"{tb.stalls} TREADY stall cycles with a consumer that keeps up"
        assert cycles == len(frames) * tb.beats, f"{cycles} cycles for {len(frames)} x {tb.beats} beats"


@cocotb.test()
async def test_reset_mid_image(dut):
    """A reset in the middle of an image (another one complete in a slot), and one while
    discarding: neither image comes out, the counters restart at 0, and the images after the
    reset come out intact."""
    tb = TB(dut, source=False)
    await tb.reset()
    cocotb.start_soon(tb.monitor())
    k, n = tb.ppb, tb.in_pixels
    half = max(1, tb.beats // 2) * k
    lost = [tb.pixels(n) for _ in range(3)]
    await drive(tb, [*frame_events(lost[0], ppb=k), *frame_events(lost[1][:half], last=False, ppb=k)])
    await ClockCycles(dut.clk, 6)
    assert int(dut.img_valid.value) and int(dut.busy.value)
    await tb.reset()
    await FallingEdge(dut.clk)
    assert not int(dut.img_valid.value) and not int(dut.busy.value) and int(dut.s_axis_tready.value)
    # an image without TLAST (dropped), some discarded beats, then a reset while discarding
    await drive(tb, [*frame_events(lost[2], last=False, ppb=k), *frame_events(lost[2][: 2 * k], last=False, ppb=k, first=False)])
    await ClockCycles(dut.clk, 3)
    assert int(dut.dropped.value) == 1 and int(dut.busy.value)
    await tb.reset()
    await FallingEdge(dut.clk)
    assert int(dut.dropped.value) == 0 and int(dut.swallowed.value) == 0 and not int(dut.busy.value)
    cocotb.start_soon(tb.consumer(max_delay=2))
    good = [tb.pixels(n) for _ in range(3)]
    # the first beat after the reset is beat 0 of an image: no TUSER needed
    await drive(tb, [e for f in good for e in frame_events(f, ppb=k, first=False)])
    for _ in range(20 * n):
        await RisingEdge(dut.clk)
        if len(tb.images) == len(good) and not int(dut.busy.value):
            break
    # dropped / swallowed count 1-2 cycles after the beat that decides them, busy may fall before
    await ClockCycles(dut.clk, 2)
    assert tb.images == good
    assert int(dut.dropped.value) == 0 and int(dut.swallowed.value) == 0


SOURCES = ("deltamac_axis_check.sv", "deltamac_delay.sv", "deltamac_act_buffer.sv", "deltamac_framer.sv", "deltamac_input_stage.sv")


@pytest.mark.parametrize(
    "lanes,in_pixels,soi_tuser,resync_idle",
    [(1, 7, 0, 0), (4, 16, 0, 0), (5, 23, 0, 0), (16, 50, 0, 0), (4, 16, 1, 0), (1, 7, 0, 6), (5, 23, 1, 9), (1, 2, 1, 2)],
)
def test_deltamac_input_stage(lanes, in_pixels, soi_tuser, resync_idle):
    run_cocotb(
        "deltamac_input_stage",
        rtl(*SOURCES),
        test_file=__file__,
        parameters={"LANES": lanes, "IN_PIXELS": in_pixels, "SOI_TUSER": soi_tuser, "RESYNC_IDLE_CYCLES": resync_idle},
    )


@pytest.mark.parametrize(
    "parameter,value,message",
    [("SOI_TUSER", 2, "SOI_TUSER must be 0 (TUSER ignored) or 1"), ("RESYNC_IDLE_CYCLES", -1, "RESYNC_IDLE_CYCLES must be 0 (off)")],
)
def test_illegal_parameters(parameter, value, message, tmp_path):
    expect_elaboration_failure("deltamac_input_stage", rtl(*SOURCES), {parameter: value}, [message], tmp_path)


# PIXELS_PER_BEAT > 1 (LANES a multiple of it): padded last words (26/6, 40/12, 80/24), LANES not
# a power of two, a one-beat image (8 pixels at 8 per beat), the 784-pixel image, TUSER and the
# idle timeout.
@pytest.mark.parametrize(
    "lanes,in_pixels,ppb,soi_tuser,resync_idle",
    [(2, 14, 2, 0, 0), (6, 26, 2, 1, 0), (4, 24, 4, 0, 6), (12, 40, 4, 1, 9), (8, 8, 8, 1, 2), (8, 48, 8, 0, 0),
     (24, 80, 8, 1, 5), (16, 784, 8, 1, 0), (28, 784, 4, 0, 0)],
)
def test_deltamac_input_stage_ppb(lanes, in_pixels, ppb, soi_tuser, resync_idle):
    run_cocotb(
        "deltamac_input_stage",
        rtl(*SOURCES),
        test_file=__file__,
        parameters={"LANES": lanes, "IN_PIXELS": in_pixels, "PIXELS_PER_BEAT": ppb, "SOI_TUSER": soi_tuser,
                    "RESYNC_IDLE_CYCLES": resync_idle},
    )


@pytest.mark.parametrize(
    "parameters,message",
    [({"PIXELS_PER_BEAT": 3, "LANES": 3, "IN_PIXELS": 9}, "PIXELS_PER_BEAT must be 1, 2, 4 or 8, got 3"),
     ({"PIXELS_PER_BEAT": 16, "LANES": 16, "IN_PIXELS": 32}, "PIXELS_PER_BEAT must be 1, 2, 4 or 8, got 16"),
     ({"PIXELS_PER_BEAT": 4, "LANES": 4, "IN_PIXELS": 10}, "IN_PIXELS (10) must be a multiple of PIXELS_PER_BEAT (4)"),
     ({"PIXELS_PER_BEAT": 2, "LANES": 5, "IN_PIXELS": 10}, "LANES (5) must be a multiple of PIXELS_PER_BEAT (2)"),
     ({"PIXELS_PER_BEAT": 8, "LANES": 28, "IN_PIXELS": 784}, "LANES (28) must be a multiple of PIXELS_PER_BEAT (8)"),
     ({"PIXELS_PER_BEAT": 8, "LANES": 4, "IN_PIXELS": 16}, "LANES (4) must be a multiple of PIXELS_PER_BEAT (8)")],
)
def test_illegal_pixels_per_beat(parameters, message, tmp_path):
    expect_elaboration_failure("deltamac_input_stage", rtl(*SOURCES), parameters, [message], tmp_path)
