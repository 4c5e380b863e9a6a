"""cocotb testbench for deltamac_lutnet_top: the LUT-network core bit for bit against model/lutnet.py.

Each parameter set exports a seeded random LUT network (model.lutnet_export.random_lutnet,
random or uniform thresholds, scripts/lutnet_random.build) into its own directory and builds
deltamac_lutnet_top from deltamac.core's `lutnet` target against it. Every result (class index
on TDATA, class scores on TUSER, TLAST on every result) is compared with
model.lutnet.LutNetwork.scores / predict of the images that should come out. The source and the
sink are driven cycle by cycle (exact idle and stall control); a monitor records every handshake.

Tests: images back to back without backpressure (exact results, one image per BEATS cycles from
the first result to the last, latency LATENCY edges from the last beat to the result, LATENCY as
the RTL's stages count it, TREADY never low); random source idles and sink stalls (TREADY low
only while CAPACITY images are outstanding); a sink that never takes
results (exactly CAPACITY images and the beats before the next image's last one are taken, then
TREADY stays low; everything drains exactly); reset in
the middle of an image with images in the pipeline; wrong-length images (short, long, without
TLAST, cut off by a resync, idle gaps at and below RESYNC_IDLE_CYCLES) against the rule of
sim/deltamac_input_stage (`reference`, in beats) for images out, status_dropped,
status_swallowed and status_frame_error pulses. Illegal parameters and packages stop elaboration.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

import cocotb
import numpy as np
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge

from model.lutnet_export import export_lutnet, load_lutnet_export
from scripts.corefile import require_files, resolve_target
from scripts.lutnet_random import build
from sim.deltamac_input_stage.test_deltamac_input_stage import frame_events, reference
from sim.deltamac_top.test_deltamac_top import expect_illegal_package
from sim.deltamac_top.test_deltamac_top import test_handshake_defined_at_power_up  # noqa: F401  (first test here too)
from sim.runner import SIM_BUILD, expect_elaboration_failure, run_cocotb, sv_string

TOP = "deltamac_lutnet_top"
TIMEOUT_US = 200  # a hung handshake fails the test (each takes at most about 12 us of simulated time)


@dataclass(frozen=True)
class NetConfig:
    """One exported LUT network and the top-level parameters it is simulated with."""

    features: int
    in_bits: int
    layers: tuple[tuple[int, int, int], ...]  # (n_out, fan_in, out_bits) per layer
    classes: int
    class_partitions: int
    pixels_per_beat: int  # the package default and the build's PIXELS_PER_BEAT
    register_layers: int = 1
    soi_tuser: int = 0
    resync_idle: int = 0
    thresholds: str = "random"
    seed: int = 1


CONFIGS = {
    # one image per beat (one per clock), 2-bit codes, K = 2, a register per layer, the idle resync
    "b2_k2_image_per_beat": NetConfig(64, 2, ((24, 3, 2), (20, 2, 2)), 10, 2, 64, resync_idle=4, seed=1),
    # one image per beat, 1-bit input codes, 3-bit hidden codes read 4 at a time (12 address bits),
    # K = 1, layers combinational (latency 2), SOI_TUSER
    "b1_k1_comb_soi": NetConfig(49, 1, ((30, 6, 3), (10, 4, 1)), 10, 1, 49, register_layers=0, soi_tuser=1,
                                thresholds="uniform", seed=2),
    # 6 beats of 8 pixels, 3-bit codes, three layers, 3 classes x 2, SOI_TUSER
    "b3_beats6_soi": NetConfig(48, 3, ((16, 4, 2), (12, 3, 2), (6, 2, 3)), 3, 2, 8, soi_tuser=1, seed=3),
    # 9 beats of 4 pixels, combinational layers, the idle resync
    "b2_beats9_comb_idle": NetConfig(36, 2, ((24, 2, 2), (8, 3, 2)), 4, 2, 4, register_layers=0, resync_idle=6, seed=4),
    # one layer, one pixel per beat (16 beats), uniform thresholds
    "b2_single_layer_ppb1": NetConfig(16, 2, ((10, 4, 2),), 10, 1, 1, thresholds="uniform", seed=5),
}

NETS_DIR = SIM_BUILD / TOP / "nets"


def export_config(name: str, out: Path) -> Path:
    cfg = CONFIGS[name]
    net = build(cfg.features, cfg.in_bits, cfg.layers, cfg.classes, cfg.class_partitions, cfg.seed, cfg.thresholds)
    export_lutnet(net, out, name, pixels_per_beat=cfg.pixels_per_beat)
    return out


# ------------------------------------------------------------------------------------------------
# cocotb side


class TB:
    """Clock, reset, a cycle-exact source and sink, the golden results and a handshake monitor."""

    def __init__(self, dut):
        self.dut = dut
        self.net = load_lutnet_export(os.environ["DELTAMAC_NET"])
        self.rng = random.Random(os.environ["DELTAMAC_CONFIG"])
        self.in_pixels = self.net.spec.in_features
        self.ppb = int(dut.PIXELS_PER_BEAT.value)
        self.beats = self.in_pixels // self.ppb
        self.latency = int(dut.LATENCY.value)
        self.capacity = int(dut.CAPACITY.value)  # images the core holds while m_axis stalls
        self.soi_tuser = int(dut.SOI_TUSER.value)
        self.resync_idle = int(dut.RESYNC_IDLE_CYCLES.value)
        self.classes = self.net.spec.num_classes
        self.score_bits = self.net.spec.score_bits
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
        dut.rst.value = 1
        dut.s_axis_tvalid.value = 0
        dut.s_axis_tdata.value = 0
        dut.s_axis_tlast.value = 0
        dut.s_axis_tuser.value = 0
        dut.m_axis_tready.value = 1
        self.cycle = 0
        self.taken: list[tuple[int, bool]] = []  # (cycle, TLAST) of every s_axis beat taken
        self.results: list[tuple[int, int, tuple[int, ...]]] = []  # (cycle, class, scores) of every result
        self.frame_errors = 0
        self.stalls = 0  # cycles with s_axis TVALID high and TREADY low
        self.sink_task = None
        cocotb.start_soon(self._monitor())

    # --- stimulus

    def images(self, count: int) -> np.ndarray:
        """Random images; the first two all 0 and all 255, then some made of threshold values +-1."""
        rng = np.random.default_rng(self.rng.randrange(2**32))
        images = rng.integers(0, 256, size=(count, self.in_pixels), dtype=np.uint8)
        edges = np.clip(np.concatenate([self.net.thresholds - 1, self.net.thresholds, self.net.thresholds + 1]), 0, 255)
        for i in range(min(count, 6)):
            images[i] = 0 if i == 0 else 255 if i == 1 else rng.choice(edges, size=self.in_pixels)
        return images

    def frame(self, image: np.ndarray, **kwargs) -> list[tuple]:
        return frame_events(bytes(image.tobytes()), ppb=self.ppb, **kwargs)

    def expected(self, images) -> list[tuple[int, tuple[int, ...]]]:
        """Golden (class, scores) per image: model.lutnet (ties to the lowest index)."""
        if len(images) == 0:
            return []
        features = np.frombuffer(b"".join(bytes(i) for i in images), dtype=np.uint8).reshape(len(images), -1)
        scores = self.net.scores(features)
        classes = self.net.predict(features)
        return [(int(c), tuple(int(v) for v in s)) for c, s in zip(classes, scores)]

    def got(self) -> list[tuple[int, tuple[int, ...]]]:
        return [(c, s) for _, c, s in self.results]

    async def reset(self, cycles: int = 3) -> None:
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, cycles)
        await FallingEdge(self.dut.clk)
        self.dut.rst.value = 0

    def pauses(self, probability: float):
        """Random idle cycles, never as many in a row as an idle resync needs."""
        run = 0
        while True:
            pause = self.rng.random() < probability and (not self.resync_idle or run + 1 < self.resync_idle)
            run = run + 1 if pause else 0
            yield pause

    async def drive(self, events, idle: float = 0.0) -> None:
        """Drive ("beat", data, tlast, tuser) events (each held until TREADY) and ("idle", n) runs
        of exactly n cycles without TVALID; `idle` adds random idle cycles before beats."""
        dut = self.dut
        pauses = self.pauses(idle)
        for event in events:
            await FallingEdge(dut.clk)
            if event[0] == "idle":
                dut.s_axis_tvalid.value = 0
                for _ in range(event[1] - 1):
                    await FallingEdge(dut.clk)
                continue
            while idle and next(pauses):
                dut.s_axis_tvalid.value = 0
                await FallingEdge(dut.clk)
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

    def sink(self, stall: float) -> None:
        """m_axis_tready low with probability `stall` each cycle (1.0: never ready)."""
        if self.sink_task is not None:
            self.sink_task.cancel()

        async def run():
            while True:
                await FallingEdge(self.dut.clk)
                self.dut.m_axis_tready.value = int(self.rng.random() >= stall)

        self.sink_task = cocotb.start_soon(run())

    async def _monitor(self) -> None:
        """Record the handshakes; check TLAST on every result and TREADY low only when it must be."""
        dut = self.dut
        while True:
            await RisingEdge(dut.clk)
            self.cycle += 1
            if int(dut.rst.value):
                continue
            s_valid, s_ready = int(dut.s_axis_tvalid.value), int(dut.s_axis_tready.value)
            m_valid, m_ready = int(dut.m_axis_tvalid.value), int(dut.m_axis_tready.value)
            if s_valid and s_ready:
                self.taken.append((self.cycle, bool(int(dut.s_axis_tlast.value))))
            if s_valid and not s_ready:
                self.stalls += 1
                outstanding = int(dut.outstanding_q.value)
                assert outstanding == self.capacity, (
                    f"cycle {self.cycle}: TREADY low with {outstanding} of {self.capacity} images outstanding")
            if m_valid:
                assert int(dut.m_axis_tlast.value) == 1, f"cycle {self.cycle}: a result beat without TLAST"
            if m_valid and m_ready:
                tuser = int(dut.m_axis_tuser.value)
                mask = (1 << self.score_bits) - 1
                scores = tuple((tuser >> (c * self.score_bits)) & mask for c in range(self.classes))
                self.results.append((self.cycle, int(dut.m_axis_tdata.value), scores))
            if int(dut.status_frame_error.value):
                self.frame_errors += 1

    async def drain(self, count: int) -> None:
        """Wait for `count` results and status_busy low; nothing more may come out."""
        for _ in range(200 * (count + 1) * (self.beats + self.latency)):
            await RisingEdge(self.dut.clk)
            if len(self.results) >= count and not int(self.dut.status_busy.value):
                break
        await ClockCycles(self.dut.clk, 3 * self.latency + 5)  # the counters settle 1-2 cycles later
        assert len(self.results) == count, f"{len(self.results)} results, {count} expected"
        assert not int(self.dut.status_busy.value), "status_busy stuck high"


def image_cycles(tb: TB) -> list[int]:
    """Cycles at which the last beat of an image was taken."""
    return [cycle for cycle, last in tb.taken if last]


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_back_to_back(dut):
    """Images back to back, no idle, no backpressure: exact results, one image per BEATS cycles,
    result LATENCY edges after the last beat, TREADY never low."""
    tb = TB(dut)
    await tb.reset()
    images = tb.images(48 if tb.beats == 1 else 16)
    await tb.drive([e for image in images for e in tb.frame(image)])
    await tb.drain(len(images))
    assert tb.got() == tb.expected(images)
    assert int(dut.status_images.value) == len(images)
    assert int(dut.status_dropped.value) == 0 and int(dut.status_swallowed.value) == 0 and tb.frame_errors == 0
    assert tb.stalls == 0, f"{tb.stalls} TREADY stall cycles without backpressure"
    ends = image_cycles(tb)
    results = [cycle for cycle, _, _ in tb.results]
    latencies = {r - e for r, e in zip(results, ends)}
    intervals = set(np.diff(results).tolist())
    dut._log.info("%d images of %d beats: latency %s edges (LATENCY = %d), result intervals %s cycles",
                  len(images), tb.beats, sorted(latencies), tb.latency, sorted(intervals))
    assert latencies == {tb.latency}, f"latencies {sorted(latencies)}, expected LATENCY = {tb.latency}"
    assert intervals == {tb.beats}, f"result intervals {sorted(intervals)}, expected one image per {tb.beats} cycles"
    spec = tb.net.spec  # image register, layers, sums (input register + adder levels), compare levels, FIFO
    stages = 1 + int(dut.REGISTER_LAYERS.value) * len(spec.layers) + 1 + (spec.class_partitions - 1).bit_length() \
        + (spec.num_classes - 1).bit_length()
    assert tb.latency == stages + 1, f"LATENCY {tb.latency}, {stages} register stages + the FIFO"
    assert tb.capacity >= tb.latency + 2 and tb.capacity == int(dut.FIFO_DEPTH.value)


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_idle_and_backpressure(dut):
    """Random source idles and sink stalls: results exact and in order (the monitor checks that
    TREADY is low only while CAPACITY images are outstanding; the RTL checks that
    a stalled beat is held and that no more than CAPACITY are outstanding)."""
    tb = TB(dut)
    await tb.reset()
    tb.sink(0.5)
    images = tb.images(40 if tb.beats == 1 else 12)
    await tb.drive([e for image in images for e in tb.frame(image)], idle=0.3)
    tb.sink(0.0)
    await tb.drain(len(images))
    assert tb.got() == tb.expected(images)
    assert int(dut.status_images.value) == len(images)
    dut._log.info("%d TREADY stall cycles", tb.stalls)
    assert tb.stalls > 0 or tb.beats > 1, "the backpressure never reached s_axis"


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_stalled_output(dut):
    """A sink that takes nothing: the core takes exactly CAPACITY images plus the beats before
    the next one's last beat, then TREADY stays low; released, everything drains exactly."""
    tb = TB(dut)
    await tb.reset()
    tb.sink(1.0)
    images = tb.images(tb.capacity + 2)
    source = cocotb.start_soon(tb.drive([e for image in images for e in tb.frame(image)]))
    await ClockCycles(dut.clk, (tb.capacity + 2) * tb.beats + tb.latency + 20)
    assert not int(dut.s_axis_tready.value), "TREADY high with the result FIFO's every slot taken and m_axis stalled"
    assert len(image_cycles(tb)) == tb.capacity, f"{len(image_cycles(tb))} images taken, CAPACITY = {tb.capacity}"
    assert len(tb.taken) == tb.capacity * tb.beats + tb.beats - 1, f"{len(tb.taken)} beats taken"
    assert int(dut.m_axis_tvalid.value) and int(dut.status_busy.value) and int(dut.status_images.value) == 0
    tb.sink(0.0)
    await source
    await tb.drain(len(images))
    assert tb.got() == tb.expected(images)
    assert int(dut.status_images.value) == len(images)


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_reset_mid_image(dut):
    """status_busy while an image is partly received (multi-beat) or discarded (one beat without
    TLAST) with the pipeline empty; a reset with images in the pipeline and (multi-beat) one half
    received: nothing comes out, the counters restart at 0; the images after it are exact."""
    tb = TB(dut)
    await tb.reset()
    first = tb.images(1)[0]
    await tb.drive(tb.frame(first, last=False)[: max(1, tb.beats // 2)])
    for _ in range(tb.resync_idle - 1 if tb.resync_idle else 3 * tb.latency):  # (before an idle resync)
        await RisingEdge(dut.clk)
        assert int(dut.status_busy.value), "status_busy low while an image is received or discarded"
    assert not int(dut.m_axis_tvalid.value) and not tb.results
    if tb.resync_idle:  # the idle resync ends it: busy falls, the image is one dropped
        await ClockCycles(dut.clk, 4)
        assert not int(dut.status_busy.value) and int(dut.status_dropped.value) == 1
    await tb.reset()
    tb.sink(1.0)
    lost = tb.images(tb.latency)
    events = [e for image in lost for e in tb.frame(image)]
    if tb.beats > 1:
        events += tb.frame(lost[0], last=False)[: tb.beats // 2]
    await tb.drive(events)
    await ClockCycles(dut.clk, 2)
    assert int(dut.status_busy.value) and int(dut.m_axis_tvalid.value)
    await tb.reset()
    tb.sink(0.0)
    await ClockCycles(dut.clk, 2 * tb.latency + 2)
    assert not tb.results, "a result came out of the reset images"
    assert not int(dut.status_busy.value) and not int(dut.m_axis_tvalid.value) and int(dut.s_axis_tready.value)
    assert int(dut.status_images.value) == 0 and int(dut.status_dropped.value) == 0
    images = tb.images(5)
    # the first beat after the reset is beat 0 of an image: no TUSER needed
    await tb.drive([e for image in images for e in tb.frame(image, first=False)])
    await tb.drain(len(images))
    assert tb.got() == tb.expected(images)
    assert int(dut.status_images.value) == len(images) and int(dut.status_dropped.value) == 0


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_wrong_length(dut):
    """Short, long, TLAST-less and cut-off images, idle gaps at and one below the resync length,
    with sink stalls: the images out, drops, swallowed images and frame_error pulses are those of
    the input stage's rule (`reference`, in beats)."""
    tb = TB(dut)
    await tb.reset()
    tb.sink(0.2)
    n, k, beats = tb.in_pixels, tb.ppb, tb.beats
    gap = tb.resync_idle if tb.resync_idle else 5
    image = [bytes(i.tobytes()) for i in tb.images(10)]
    cut = max(1, beats // 2) * k  # pixels of whole beats
    events = [
        *frame_events(image[0], ppb=k),
        *frame_events(image[1], last=False, ppb=k),  # no TLAST: without resync it swallows image 2
        ("idle", gap),
        *frame_events(image[2], ppb=k),
        *frame_events(image[3][:cut], last=False, ppb=k),  # cut off without TLAST
        ("idle", gap),
        *frame_events(image[4], ppb=k),
        *(frame_events(image[5][: n - k], ppb=k) if beats > 1 else []),  # one beat short, with TLAST
        *frame_events(image[5] + image[5][: 3 * k], ppb=k),  # three beats long, with TLAST
        *frame_events(image[6][:cut], last=False, ppb=k),  # an idle gap inside an image
        ("idle", max(1, gap - 1)),  # one cycle below the resync length: nothing happens
        *frame_events(image[6][cut:], ppb=k, first=False),
        *frame_events(image[7], ppb=k),
        *frame_events(image[8][:cut], last=False, ppb=k),  # cut off at the end of the stream
        ("idle", gap),
        *frame_events(image[9], ppb=k),
    ]
    good, lost, swallowed = reference(events, n, tb.soi_tuser, tb.resync_idle, k)
    await tb.drive(events)
    tb.sink(0.0)
    await tb.drain(len(good))
    dut._log.info("SOI_TUSER %d RESYNC_IDLE_CYCLES %d: %d images out, %d dropped, %d swallowed",
                  tb.soi_tuser, tb.resync_idle, len(good), lost, swallowed)
    assert tb.got() == tb.expected(good)
    assert int(dut.status_dropped.value) == lost, f"dropped {int(dut.status_dropped.value)}, {lost} expected"
    assert int(dut.status_swallowed.value) == swallowed, f"swallowed {int(dut.status_swallowed.value)}, {swallowed} expected"
    assert tb.frame_errors == lost
    assert int(dut.status_images.value) == len(good)


# ------------------------------------------------------------------------------------------------
# pytest side


def sources(net_dir: Path) -> list[Path]:
    """The LUT-network core's files in dependency order, from deltamac.core's lutnet target."""
    target = resolve_target("lutnet", net_dir)
    require_files(target)
    return list(target.sources)


def parameters(name: str, net_dir: Path) -> dict:
    cfg = CONFIGS[name]
    return {"PIXELS_PER_BEAT": cfg.pixels_per_beat, "SOI_TUSER": cfg.soi_tuser, "RESYNC_IDLE_CYCLES": cfg.resync_idle,
            "REGISTER_LAYERS": cfg.register_layers, "ROM_DIR": sv_string(net_dir.resolve())}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_deltamac_lutnet_top(name):
    net_dir = export_config(name, NETS_DIR / name)
    run_cocotb(TOP, sources(net_dir), test_file=__file__, parameters=parameters(name, net_dir),
               extra_env={"DELTAMAC_NET": str(net_dir), "DELTAMAC_CONFIG": name}, tag=name)


@pytest.mark.parametrize(
    "override,message",
    [({"PIXELS_PER_BEAT": 5}, "PIXELS_PER_BEAT (5) must divide IN_PIXELS (64)"),
     ({"REGISTER_LAYERS": 2}, "REGISTER_LAYERS must be 0 (combinational layers) or 1 (a register per layer), got 2"),
     ({"SOI_TUSER": 2}, "deltamac_lutnet_top: SOI_TUSER must be 0 (TUSER ignored) or 1"),
     ({"RESYNC_IDLE_CYCLES": 65536}, "deltamac_lutnet_top: RESYNC_IDLE_CYCLES must be 0 (off) or 1..65535, got 65536")],
)
def test_illegal_parameters(override, message, tmp_path):
    name = "b2_k2_image_per_beat"
    net_dir = export_config(name, tmp_path / "net")
    expect_elaboration_failure(TOP, sources(net_dir), {**parameters(name, net_dir), **override}, [message], tmp_path)


ILLEGAL = {
    # package constant to change -> (pattern, replacement, message that must appear); each breaks
    # one rule only (the first $fatal stops the simulation)
    "architecture": (r"(ARCHITECTURE\s*=\s*)\d+", r"\g<1>1", "is not a LUT-network export (ARCHITECTURE 1, expected 2)"),
    "in_bits": (r"(LAYER_IN_BITS\s*=\s*\{32'd2, 32'd)2", r"\g<1>1",
                "layer 0 must read the IN_PIXELS (64) codes of IN_BITS (2) bits, got 64 inputs of 1 bits"),
    "chain": (r"(LAYER_IN_BITS\s*=\s*\{32'd)2", r"\g<1>3", "layer 1: its 24 inputs of 3 bits are not the previous layer's outputs"),
    "classes": (r"(CLASS_PARTITIONS\s*=\s*)2", r"\g<1>1",
                "the last layer has 20 partitions, expected NUM_CLASSES * CLASS_PARTITIONS = 10 * 1"),
}


@pytest.mark.parametrize("case", list(ILLEGAL))
def test_illegal_package(case, tmp_path):
    """An illegal LUT-network package (one constant changed) stops elaboration with its $fatal message."""
    name = "b2_k2_image_per_beat"
    net_dir = export_config(name, tmp_path / "net")
    expect_illegal_package(TOP, net_dir, sources, parameters(name, net_dir), ILLEGAL[case], tmp_path)
