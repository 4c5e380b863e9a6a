"""cocotb testbench for deltamac_top: whole-core inference checked bit for bit against model/.

Each parameter set exports a seeded random network with model.export (package + ROM files) into
its own directory, builds deltamac_top against that package and streams images through
cocotbext-axi. Every result (class index, and the logits with OUT_LOGITS=1) is compared with
model.inference.run_network. The tests cover back-to-back streaming (and the cycles-per-image
bound), random source idles and sink backpressure, a stalled sink backing the core up to TREADY
low, reset in the middle of an image and wrong-length images. Illegal parameters are checked to
stop elaboration with $fatal.
"""

from __future__ import annotations

import logging
import os
import random
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import cocotb
import numpy as np
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge, Timer
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource

from model.datasets import load_fashion_mnist
from model.export import export_network, load_export
from model.formats import ACT_BITS, DeltaFormat, Scheme, layer_formats, parse_bits_spec
from model.inference import run_network
from model.network import QuantNetwork
from model.random_net import random_network
from scripts.corefile import require_files, resolve_target, rom_parameters
from sim.runner import REPO, SIM_BUILD, expect_elaboration_failure, run_cocotb, sv_string

UTILISATION_BOUND = 1.05  # steady-state cycles per image <= bound * ideal_cycles(manifest)
STREAM_IMAGES = 5  # images in the back-to-back test (the first two include the pipeline fill)


@dataclass(frozen=True)
class NetConfig:
    """One exported network and the top-level parameters it is simulated with."""

    topology: tuple[int, ...]
    scheme: Scheme
    weight_bits: int
    delta_bits: int
    group: int | None
    lanes: int
    out_logits: int
    activation: tuple[str, ...] = ()
    delta_shift: tuple[int, ...] | int = 0
    seed: int = 1
    bits: str | None = None  # per-layer precision spec (model.formats.parse_bits_spec); None: uniform, 8-bit activations


CONFIGS = {
    # the reference configuration: P = 16, one group per row, logits streamed out
    "fr_784_32_10_p16": NetConfig((784, 32, 10), Scheme.FIXED_REFERENCE, 8, 4, None, 16, 1),
    # 3 layers with a clamp layer (signed activations), non-power-of-two P, delta shift
    "cons_784_24_12_10_p12": NetConfig(
        (784, 24, 12, 10), Scheme.CONSECUTIVE, 8, 4, None, 12, 0, ("clamp", "relu"), (1, 0, 0), seed=2
    ),
    # plain weights at P = 5 (padded last word), logits streamed out
    "plain_784_16_10_p5": NetConfig((784, 16, 10), Scheme.PLAIN, 6, 6, None, 5, 1, seed=3),
    # several reference groups per row (G = 16 = 2 words of P = 8)
    "fr_g16_784_32_10_p8": NetConfig((784, 32, 10), Scheme.FIXED_REFERENCE, 8, 3, 16, 8, 0, seed=4),
    # P = 1 (one MAC lane) on a small input layer, consecutive groups of 16 with a clamp layer
    "cons_g16_64_16_10_p1": NetConfig(
        (64, 16, 10), Scheme.CONSECUTIVE, 6, 3, 16, 1, 1, ("clamp",), seed=5
    ),
    # a single layer: every image's only layer is the last one, so images follow each other
    # through the output stage's two result slots
    "fr_64_10_p3": NetConfig((64, 10), Scheme.FIXED_REFERENCE, 8, 4, None, 3, 1, seed=6),
    # mixed precision: 8-bit, then 3-bit plain weights on 3-bit clamp activations, then 6-bit weights
    # with 3-bit deltas on 5-bit relu activations, in one shared-lane core (P = 7, padded words)
    "mixed_784_32_16_10_p7": NetConfig(
        (784, 32, 16, 10), Scheme.FIXED_REFERENCE, 8, 4, None, 7, 1, ("clamp", "relu"), seed=7, bits="w8a8,w3a3,w6d3a5"
    ),
}

NETS_DIR = SIM_BUILD / "deltamac_top" / "nets"
TRAINED_DIR = SIM_BUILD / "deltamac_top" / "trained"  # build root of the s15 training run


def export_config(name: str, out: Path) -> Path:
    """Export the configuration's network (package and ROMs) into `out`."""
    export_network(config_network(CONFIGS[name]), out, lanes=CONFIGS[name].lanes, name=name)
    return out


def config_network(cfg) -> QuantNetwork:
    """The seeded random network of a configuration (its topology, formats, precision spec,
    shifts, activations, seed), calibrated on FashionMNIST for 784 inputs."""
    delta, act_bits = DeltaFormat(cfg.scheme, cfg.weight_bits, cfg.delta_bits, cfg.group), ACT_BITS
    if cfg.bits is not None:
        precisions = parse_bits_spec(cfg.bits, len(cfg.topology) - 1)
        delta = layer_formats(precisions, cfg.scheme, cfg.delta_bits, cfg.group)
        act_bits = [p.in_bits for p in precisions[1:]]
    calibration = load_fashion_mnist("train")[0][:512] if cfg.topology[0] == 784 else None
    net = random_network(
        topology=cfg.topology,
        delta=delta,
        seed=cfg.seed,
        calibration=calibration,
        delta_shift=cfg.delta_shift,
        activation=list(cfg.activation) or "relu",
        act_bits=act_bits,
    )
    return net


def ideal_cycles(manifest: dict) -> int:
    """Cycles per image at one word per cycle. The shared-lane core runs the layers one after the
    other: sum over layers of ceil(n_in / P) * n_out. The dataflow core pipelines them: the slowest
    layer's words, or the beats of an image (the export's pixels per beat), whichever is more."""
    if manifest.get("architecture") == "dataflow":
        beats = manifest["topology"][0] // manifest.get("pixels_per_beat", 1)
        return max(max(layer["words"] for layer in manifest["layers"]), beats)
    return sum(layer["chunks"] * layer["n_out"] for layer in manifest["layers"])


def backlog_images(manifest: dict) -> int:
    """Images that back a stalled core up to TREADY low, with two more waiting. Shared-lane core:
    2 results + 1 image at its last layer + 2 input slots. Dataflow: 2 results, 2 banks in front of
    every layer."""
    if manifest.get("architecture") == "dataflow":
        return 2 + 2 * len(manifest["layers"]) + 2
    return 5 + 2


# ------------------------------------------------------------------------------------------------
# cocotb side


class TB:
    """Clock, reset, AXI-Stream source/sink, golden results and status monitors."""

    def __init__(self, dut):
        self.load_network(dut)
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
        self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.clk, dut.rst)
        self.sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), dut.clk, dut.rst, byte_size=32)
        self.source.log.setLevel(logging.WARNING)
        self.sink.log.setLevel(logging.WARNING)
        self.frame_errors = 0
        self.result_cycles: list[int] = []
        cocotb.start_soon(self._monitor())

    def load_network(self, dut) -> None:
        """The exported network (DELTAMAC_NET), a random generator seeded by the configuration's
        name and the image format; also used by the benches of the tops around deltamac_top."""
        self.dut = dut
        self.net, self.manifest = load_export(os.environ["DELTAMAC_NET"])
        self.rng = random.Random(os.environ["DELTAMAC_CONFIG"])
        self.in_pixels = self.manifest["topology"][0]
        self.fashion = self.in_pixels == 784  # 784-pixel networks get real FashionMNIST test images
        self.out_logits = int(dut.OUT_LOGITS.value)
        self.ppb = int(dut.PIXELS_PER_BEAT.value)  # pixels per s_axis beat: frames are whole beats
        self.image_beats = self.in_pixels // self.ppb

    async def _monitor(self):
        """Count status_frame_error pulses and record status_cycles at each result's last beat."""
        dut = self.dut
        while True:
            await RisingEdge(dut.clk)
            if int(dut.rst.value):
                continue
            if int(dut.status_frame_error.value):
                self.frame_errors += 1
            if int(dut.m_axis_tvalid.value) and int(dut.m_axis_tready.value) and int(dut.m_axis_tlast.value):
                self.result_cycles.append(int(dut.status_cycles.value))

    async def reset(self):
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, 4)
        self.dut.rst.value = 0
        await ClockCycles(self.dut.clk, 2)

    def images(self, count: int) -> np.ndarray:
        """`count` test images: FashionMNIST test images from a random offset, or random pixels; the
        first one all 255 (the largest activation sums: accumulator widths, wide reference terms)."""
        if self.fashion:
            test_images = load_fashion_mnist("test")[0]
            start = self.rng.randrange(len(test_images) - count)
            images = test_images[start : start + count].copy()
        else:
            seed = self.rng.randrange(2**32)
            images = np.random.default_rng(seed).integers(0, 256, (count, self.in_pixels), dtype=np.uint8)
        images[0] = 255
        return images

    def expected(self, images: np.ndarray) -> list[list[int]]:
        """Golden result words per image: [logits (two's complement, 32 bits)...,] class."""
        logits = run_network(self.net, images)
        frames = []
        for row in logits:
            words = [int(v) & 0xFFFFFFFF for v in row] if self.out_logits else []
            frames.append(words + [int(np.argmax(row))])
        return frames

    async def send(self, images: np.ndarray) -> None:
        for image in images:
            await self.source.send(AxiStreamFrame(bytes(image.tobytes())))

    async def check_results(self, images: np.ndarray) -> None:
        for index, want in enumerate(self.expected(images)):
            frame = await self.sink.recv()
            got = [int(v) for v in frame.tdata]
            assert got == want, f"image {index}: result {got}, golden model {want}"

    async def drain(self) -> None:
        """Wait until the core is idle and check nothing else comes out."""
        await self.source.wait()
        for _ in range(200_000):
            await RisingEdge(self.dut.clk)
            if not int(self.dut.status_busy.value):
                break
        assert not int(self.dut.status_busy.value), "status_busy stuck high"
        await ClockCycles(self.dut.clk, 20)
        assert self.sink.empty(), f"unexpected extra result: {self.sink.recv_nowait()}"

    def pause_generator(self, probability: float):
        while True:
            yield self.rng.random() < probability


@cocotb.test()
async def test_handshake_defined_at_power_up(dut):
    """Before any clock edge or reset, TREADY, TVALID and TLAST are 0 or 1 (power-up values, as
    the FPGA's configuration sets them), not X: AXI-Stream models started before reset see no X.
    The first test of a bench (no earlier test has clocked the design)."""
    await Timer(1, unit="ns")
    for name in ("s_axis_tready", "m_axis_tvalid", "m_axis_tlast"):
        value = str(getattr(dut, name).value)
        assert value in ("0", "1"), f"{name} is {value!r} before the first clock edge"


@cocotb.test()
async def test_back_to_back(dut):
    """Images streamed back to back: bit-exact results, busy/images status, cycles per image."""
    tb = TB(dut)
    await tb.reset()
    images = tb.images(STREAM_IMAGES)
    cocotb.start_soon(tb.send(images))
    await tb.check_results(images)
    await tb.drain()
    assert int(dut.status_images.value) == len(images)
    assert int(dut.status_dropped.value) == 0 and tb.frame_errors == 0

    ideal = ideal_cycles(tb.manifest)
    steady = np.diff(tb.result_cycles)[1:]  # the first images include the pipeline fill
    per_image = int(steady.max())
    dut._log.info(
        "cycles per image (steady state) max %d mean %.1f, ideal (one word or pixel per cycle) %d: "
        "ratio %.4f, MAC-lane utilisation %.1f %%",
        per_image, steady.mean(), ideal, per_image / ideal, 100.0 * ideal / per_image,
    )
    assert per_image <= UTILISATION_BOUND * ideal, f"{per_image} cycles per image > {UTILISATION_BOUND} x {ideal}"


@cocotb.test()
async def test_idle_and_backpressure(dut):
    """Random idle cycles on the input and random backpressure on the output."""
    tb = TB(dut)
    tb.source.set_pause_generator(tb.pause_generator(0.3))
    tb.sink.set_pause_generator(tb.pause_generator(0.6))
    await tb.reset()
    images = tb.images(4)
    cocotb.start_soon(tb.send(images))
    await tb.check_results(images)
    await tb.drain()
    assert int(dut.status_images.value) == len(images)


@cocotb.test()
async def test_stalled_output(dut):
    """A sink that never takes results backs everything up to TREADY low; then all drain correctly."""
    tb = TB(dut)
    await tb.reset()
    tb.sink.pause = True
    images = tb.images(backlog_images(tb.manifest))
    cocotb.start_soon(tb.send(images))
    stalled = 0
    for _ in range(len(images) * (ideal_cycles(tb.manifest) + 4 * tb.image_beats)):
        await RisingEdge(dut.clk)
        stalled = stalled + 1 if not int(dut.s_axis_tready.value) else 0
        if stalled > 2 * ideal_cycles(tb.manifest):
            break
    assert stalled > 2 * ideal_cycles(tb.manifest), "TREADY never stayed low behind a stalled output"
    assert int(dut.m_axis_tvalid.value) and int(dut.status_busy.value) and not tb.source.idle()
    assert int(dut.status_images.value) == 0
    tb.sink.pause = False
    await tb.check_results(images)
    await tb.drain()
    assert int(dut.status_images.value) == len(images)


@cocotb.test()
async def test_reset_mid_image(dut):
    """Reset while an image is half received and another computes; later images are correct."""
    tb = TB(dut)
    await tb.reset()
    first = tb.images(2)
    await tb.send(first[:1])
    await tb.source.send(AxiStreamFrame(bytes(first[1].tobytes())))
    while int(dut.status_busy.value) == 0 or tb.source.idle():
        await RisingEdge(dut.clk)
    await ClockCycles(dut.clk, tb.image_beats + tb.image_beats // 2)  # inside the second image
    await tb.reset()
    assert int(dut.status_images.value) == 0 and not int(dut.status_busy.value)
    assert tb.sink.empty(), "no result may come out of the reset images"
    images = tb.images(2)
    cocotb.start_soon(tb.send(images))
    await tb.check_results(images)
    await tb.drain()
    assert int(dut.status_images.value) == len(images)


@cocotb.test()
async def test_wrong_length(dut):
    """Short (early TLAST) and long (no TLAST on the last pixel) images are dropped."""
    tb = TB(dut)
    tb.sink.set_pause_generator(tb.pause_generator(0.2))
    await tb.reset()
    images = tb.images(4)
    short = bytes(images[0].tobytes())[: tb.image_beats // 3 * tb.ppb]
    one_short = bytes(images[0].tobytes())[: -tb.ppb]  # one beat short
    long = bytes(images[1].tobytes()) + bytes(range(37 * tb.ppb % 256))
    stream = [
        (short, None),
        (images[0], 0),
        (long, None),
        (images[1], 1),
        (one_short, None),
        (images[2], 2),
        (images[3], 3),
    ]
    for data, _ in stream:
        await tb.source.send(AxiStreamFrame(bytes(data.tobytes()) if isinstance(data, np.ndarray) else data))
    kept = images[[index for _, index in stream if index is not None]]
    await tb.check_results(kept)
    await tb.drain()
    assert int(dut.status_images.value) == len(kept)
    assert int(dut.status_dropped.value) == 3
    assert tb.frame_errors == 3


# ------------------------------------------------------------------------------------------------
# pytest side


def sources(net_dir: Path) -> list[Path]:
    """The core's files in dependency order, from deltamac.core (the single file list)."""
    target = resolve_target("default", net_dir)
    require_files(target)
    return list(target.sources)


def parameters(out_logits: int, net_dir: Path) -> dict:
    roms = rom_parameters(resolve_target("default", net_dir))
    return {"OUT_LOGITS": out_logits, **{key: sv_string(path) for key, path in roms.items()}}


def run_top(name: str, net_dir: Path, out_logits: int) -> None:
    run_cocotb(
        "deltamac_top",
        sources(net_dir),
        test_file=__file__,
        parameters=parameters(out_logits, net_dir),
        extra_env={"DELTAMAC_NET": str(net_dir), "DELTAMAC_CONFIG": name},
        tag=name,
    )


@pytest.mark.parametrize("name", list(CONFIGS))
def test_deltamac_top(name):
    run_top(name, export_config(name, NETS_DIR / name), CONFIGS[name].out_logits)


def test_deltamac_top_trained_s15():
    """The trained s15 network (784-80-16-10, P = 16), trained here into sim_build/ unless already done."""
    train = subprocess.run(
        [sys.executable, "-m", "train", "--config", "s15", "--resume", "--build-root", str(TRAINED_DIR)],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    assert train.returncode == 0, f"training s15 failed:\n{train.stdout[-2000:]}{train.stderr[-4000:]}"
    run_top("s15", TRAINED_DIR / "s15", out_logits=1)


ILLEGAL = {
    # package constant to change -> (new value, message that must appear)
    "lanes": (r"(LANES\s*=\s*)\d+", r"\g<1>33", "LANES must be in 1..32"),
    "plain_delta_bits": (r"(SCHEME\s*=\s*)\d+", r"\g<1>0", "plain (SCHEME 0) needs DELTA_BITS"),
    "acc_bits": (r"(ACC_BITS\s*=\s*)\d+", r"\g<1>41", "ACC_BITS must be in 2..40"),
    "group": (r"(LAYER_GROUP_WORDS\s*=\s*\{32'd2, 32'd)49", r"\g<1>5", "a reference group must be the whole row"),
    "in_pixels": (r"(IN_PIXELS\s*=\s*)\d+", r"\g<1>100", "layer 0 has 784 inputs but IN_PIXELS is 100"),
    "act_bits": (r"(LAYER_ACT_BITS\s*=\s*\{32'd8, 32'd)8", r"\g<1>9", "layer 0: activation width (LAYER_ACT_BITS) must be in 2..8"),
}


def expect_illegal_package(top: str, net_dir: Path, sources_of, parameters_of: dict, change: tuple, tmp_path: Path) -> None:
    """Change one constant of the export's package (change: pattern, replacement, message) and
    check that `top` then stops elaboration with the message ($fatal)."""
    pattern, replacement, message = change
    text, count = re.subn(pattern, replacement, (net_dir / "deltamac_net_pkg.sv").read_text(), count=1)
    assert count == 1, f"pattern {pattern} not found in the generated package"
    pkg = tmp_path / "deltamac_net_pkg.sv"
    pkg.write_text(text)
    illegal_sources = [pkg if path.name == pkg.name else path for path in sources_of(net_dir)]
    log = expect_elaboration_failure(top, illegal_sources, parameters_of, [message], tmp_path)
    assert "FATAL" in log.upper(), log


@pytest.mark.parametrize("case", list(ILLEGAL))
def test_illegal_parameters(case, tmp_path):
    """An illegal package (one constant changed) stops elaboration with a clear $fatal message."""
    name = "fr_784_32_10_p16"
    net_dir = export_config(name, tmp_path / "net")
    expect_illegal_package("deltamac_top", net_dir, sources, parameters(CONFIGS[name].out_logits, net_dir),
                           ILLEGAL[case], tmp_path)
