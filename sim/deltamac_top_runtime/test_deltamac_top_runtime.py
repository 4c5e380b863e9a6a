"""cocotb testbench for deltamac_top with RUNTIME_WEIGHTS = 1: weights loaded at run time.

Per configuration three networks are exported from deltamac_top's bench configurations: A (the
configuration itself; its .mem files initialise the RAMs), B (the same shape, another seed and other
delta shifts, so other weights, references, biases, multipliers and shifts) and a network of another
shape (its first hidden layer 8 neurons narrower). Load images are the exporter's `load.bin`
(model/loadimage.py), sent on s_axis_load with cocotbext-axi. Results are compared bit for bit with
model.inference.run_network of the network that must have computed them, through deltamac_top's TB
helpers. The tests: A from power-up, then B, then A again after loads; a load offered while images
are in flight waits for the core to be idle (no pixel taken and the core idle during the load, every
image of the stream computed with A, the images after it with B); a load and an image offered in
the same idle cycle (the load first); a wrong-shape image and a wrong magic word are refused
(nothing written, A still computed); a truncated and an overlong image leave the weights invalid
(no pixel taken) until a complete image is loaded.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import cocotb
import numpy as np
import pytest
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSource

from model.export import export_network, load_export
from model.loadimage import LOAD_FILE, MAGIC
from sim.deltamac_top import test_deltamac_top as top
from sim.runner import SIM_BUILD, run_cocotb

LOAD_TIMEOUT = 100_000  # cycles


class RuntimeTB(top.TB):
    """deltamac_top's TB plus the load stream, the networks A and B and a monitor of the load rule:
    pixel beats taken and busy cycles while a load image is received."""

    def __init__(self, dut):
        super().__init__(dut)
        self.load_source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis_load"), dut.clk, dut.rst)
        self.load_source.log.setLevel("WARNING")
        self.net_a = self.net
        self.net_b, manifest_b = load_export(os.environ["DELTAMAC_NET_B"])
        assert manifest_b["load_image"]["shape"] == self.manifest["load_image"]["shape"], "B must have A's shape"
        self.images_bin = {key: (Path(os.environ[env]) / LOAD_FILE).read_bytes()
                           for key, env in (("a", "DELTAMAC_NET"), ("b", "DELTAMAC_NET_B"),
                                            ("wrong", "DELTAMAC_NET_WRONG"))}
        self.load_beats = 0  # load beats taken
        self.load_busy = 0  # cycles of a load in progress with the core busy
        self.pixels_in_load = 0  # pixel beats taken while a load image is in progress
        self.load_waited = 0  # cycles a load beat was offered and not taken
        cocotb.start_soon(self._load_monitor())

    async def _load_monitor(self):
        dut = self.dut
        in_image = False
        while True:
            await RisingEdge(dut.clk)
            if int(dut.rst.value):
                in_image = False
                continue
            load_valid, load_ready = int(dut.s_axis_load_tvalid.value), int(dut.s_axis_load_tready.value)
            if load_valid and not load_ready:
                self.load_waited += 1
            if load_valid and load_ready:
                self.load_beats += 1
                in_image = not int(dut.s_axis_load_tlast.value)
            if in_image and int(dut.status_busy.value):
                self.load_busy += 1
            if (in_image or (load_valid and load_ready)) and int(dut.s_axis_tvalid.value) and int(
                    dut.s_axis_tready.value):
                self.pixels_in_load += 1

    async def load(self, data: bytes, loads: int | None = None, errors: int | None = None) -> None:
        """Send one load image and wait until the loader counted it (a load or an error)."""
        before = int(self.dut.status_loads.value) + int(self.dut.status_load_errors.value)
        await self.load_source.send(AxiStreamFrame(data))
        await self.load_source.wait()
        for _ in range(LOAD_TIMEOUT):
            await RisingEdge(self.dut.clk)
            if int(self.dut.status_loads.value) + int(self.dut.status_load_errors.value) > before:
                break
        else:
            raise AssertionError("the load image was never counted (status_loads / status_load_errors)")
        await ClockCycles(self.dut.clk, 2)
        if loads is not None:
            assert int(self.dut.status_loads.value) == loads, f"status_loads {int(self.dut.status_loads.value)}"
        if errors is not None:
            assert int(self.dut.status_load_errors.value) == errors, \
                f"status_load_errors {int(self.dut.status_load_errors.value)}"

    async def run_images(self, count: int, net) -> np.ndarray:
        """`count` images through the core, checked against `net`'s golden results."""
        self.net = net
        images = self.images(count)
        cocotb.start_soon(self.send(images))
        await self.check_results(images)
        await self.drain()
        return images

    def assert_networks_differ(self, images: np.ndarray) -> None:
        """The test can fail: A's and B's results differ on these images."""
        current = self.net
        results = []
        for self.net in (self.net_a, self.net_b):
            results.append(self.expected(images))
        self.net = current
        assert results[0] != results[1], "A and B give the same results: a load would be invisible"


@cocotb.test()
async def test_load_networks(dut):
    """A from the configuration, then B loaded, then A loaded again: every result bit-exact with the
    network loaded last; no pixel is taken and the core stays idle while an image is loaded."""
    tb = RuntimeTB(dut)
    dut.s_axis_load_tvalid.value = 0
    await tb.reset()
    assert int(dut.status_weights_valid.value) == 1 and int(dut.status_loads.value) == 0
    images = await tb.run_images(3, tb.net_a)
    tb.assert_networks_differ(images)
    await tb.load(tb.images_bin["b"], loads=1, errors=0)
    assert tb.load_beats == tb.manifest["load_image"]["words"]
    await tb.run_images(3, tb.net_b)
    await tb.load(tb.images_bin["a"], loads=2, errors=0)
    await tb.run_images(2, tb.net_a)
    await tb.reset()  # the weights are kept over a reset
    await tb.run_images(1, tb.net_a)
    assert tb.pixels_in_load == 0 and tb.load_busy == 0
    assert int(dut.status_weights_valid.value) == 1


@cocotb.test()
async def test_load_while_busy(dut):
    """A load offered while a stream of images is in flight waits (TREADY low) until the core is
    idle: every image of the stream is computed with A; images sent after the load with B. A load
    and an image offered in the same idle cycle: the load goes first, the image gets B."""
    tb = RuntimeTB(dut)
    dut.s_axis_load_tvalid.value = 0
    tb.sink.set_pause_generator(tb.pause_generator(0.3))
    await tb.reset()
    await tb.load(tb.images_bin["a"], loads=1, errors=0)  # A, whatever an earlier test left loaded
    stream = tb.images(4)
    tb.assert_networks_differ(stream)
    cocotb.start_soon(tb.send(stream))
    while not int(dut.status_busy.value):
        await RisingEdge(dut.clk)
    await ClockCycles(dut.clk, tb.image_beats // 2)  # the first image half received
    load = cocotb.start_soon(tb.load(tb.images_bin["b"], loads=2, errors=0))
    await tb.check_results(stream)
    await load
    assert tb.load_waited > tb.image_beats, f"the load waited only {tb.load_waited} cycles for the busy core"
    assert tb.pixels_in_load == 0 and tb.load_busy == 0
    assert int(dut.status_images.value) == len(stream)
    await tb.run_images(2, tb.net_b)
    # Both offered in one idle cycle: the load (A) first, the image after it with A.
    together = tb.images(1)
    tb.assert_networks_differ(together)
    tb.net = tb.net_a
    await RisingEdge(dut.clk)
    load = cocotb.start_soon(tb.load(tb.images_bin["a"], loads=3, errors=0))
    cocotb.start_soon(tb.send(together))
    await tb.check_results(together)
    await load
    await tb.drain()
    assert tb.pixels_in_load == 0 and tb.load_busy == 0


@cocotb.test()
async def test_refused_and_broken_images(dut):
    """A wrong-shape image and a wrong magic word are refused (status_load_errors, nothing written,
    A still computed, the weights stay valid); a truncated and an overlong image of B leave the
    weights invalid (s_axis_tready low) until B is loaded completely."""
    tb = RuntimeTB(dut)
    dut.s_axis_load_tvalid.value = 0
    await tb.reset()
    await tb.load(tb.images_bin["a"], loads=1, errors=0)  # A, whatever an earlier test left loaded
    good = tb.images_bin["b"]
    assert tb.images_bin["wrong"][4:8] != good[4:8], "the wrong-shape export has the same SHAPE word"
    await tb.load(tb.images_bin["wrong"], loads=1, errors=1)
    bad_magic = (MAGIC ^ 1).to_bytes(4, "little") + good[4:]
    await tb.load(bad_magic, loads=1, errors=2)
    assert int(dut.status_weights_valid.value) == 1
    images = await tb.run_images(2, tb.net_a)
    tb.assert_networks_differ(images)
    waiting = tb.images(1)  # sent after the first broken image: it waits until B is loaded
    for errors, broken in ((3, good[: len(good) // 2]), (4, good + good[:8])):
        await tb.load(broken, loads=1, errors=errors)
        assert int(dut.status_weights_valid.value) == 0, "a broken image left the weights valid"
        if errors == 3:
            cocotb.start_soon(tb.send(waiting))
        await ClockCycles(dut.clk, 3 * tb.image_beats)
        assert int(dut.status_images.value) == 2 and not int(dut.status_busy.value), \
            "an image was taken with invalid weights"
    await tb.load(good, loads=2, errors=4)
    assert int(dut.status_weights_valid.value) == 1
    tb.net = tb.net_b
    await tb.check_results(waiting)
    await tb.drain()
    await tb.run_images(1, tb.net_b)
    assert tb.pixels_in_load == 0 and tb.load_busy == 0


# ------------------------------------------------------------------------------------------------
# pytest side

NETS_DIR = SIM_BUILD / "deltamac_top_runtime" / "nets"
CONFIGS = {  # deltamac_top configuration -> network B's (seed, delta shift)
    "fr_784_32_10_p16": (11, 1),  # 64-bit delta words (2 beats), logits out
    "cons_784_24_12_10_p12": (12, (0, 1, 1)),  # 3 layers with clamp, 48-bit delta words (a padded beat)
    "plain_64_16_10_p4": (13, 0),  # plain: no reference memory, 24-bit delta words
}
EXTRA = {"plain_64_16_10_p4": top.NetConfig((64, 16, 10), top.Scheme.PLAIN, 6, 6, None, 4, 1, seed=3)}


def export_variant(name: str, cfg, out) -> str:
    export_network(top.config_network(cfg), out, lanes=cfg.lanes, name=name)
    return str(out)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_deltamac_top_runtime(name):
    cfg = EXTRA.get(name) or top.CONFIGS[name]
    seed, delta_shift = CONFIGS[name]
    net_a = NETS_DIR / name / "a"
    export_variant(name, cfg, net_a)
    net_b = export_variant(name, dataclasses.replace(cfg, seed=seed, delta_shift=delta_shift), NETS_DIR / name / "b")
    wrong_topology = (cfg.topology[0], cfg.topology[1] - 8, *cfg.topology[2:])
    net_wrong = export_variant(name, dataclasses.replace(cfg, topology=wrong_topology), NETS_DIR / name / "wrong")
    run_cocotb(
        "deltamac_top",
        top.sources(net_a),
        test_file=__file__,
        parameters={**top.parameters(cfg.out_logits, net_a), "RUNTIME_WEIGHTS": 1},
        extra_env={"DELTAMAC_NET": str(net_a), "DELTAMAC_NET_B": net_b, "DELTAMAC_NET_WRONG": net_wrong,
                   "DELTAMAC_CONFIG": name},
        tag=f"runtime_{name}",
    )
