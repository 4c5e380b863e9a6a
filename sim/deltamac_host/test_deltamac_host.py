"""cocotb testbench of the host driver (sw/deltamac_host.py) against the simulated deltamac_axi_top.

The driver runs through its CocotbTransport on the AXI4-Lite master and the AXI4-Stream source and
sink of deltamac_axi_top's bench (AxiTopTB: random pauses on every channel, the register block's
protocol checkers on). It identifies the core and checks the network shape against the export;
real FashionMNIST test images are classified bit-exact against the golden model
(model.inference); counters, soft reset and the interrupt are driven through the driver only and
checked against the bench's view of the pins and streams.
"""

from __future__ import annotations

import os

import cocotb
import numpy as np
import pytest
from cocotb.triggers import ClockCycles

from model.export import load_export
from model.inference import predict, run_network
from scripts.corefile import require_files, resolve_target
from sim.deltamac_axi_top import test_deltamac_axi_top as axi
from sim.deltamac_top import test_deltamac_top as top
from sim.runner import SIM_BUILD, run_cocotb
from sw.deltamac_host import AsyncDeltamac, CocotbTransport, Counters, DeltamacError

IMAGES = 5  # images classified one by one in test_classify


async def open_core(dut) -> tuple[axi.AxiTopTB, AsyncDeltamac]:
    """The bench after aresetn, and the driver opened on it against the export it runs."""
    tb = axi.AxiTopTB(dut)
    await tb.reset()
    core = await AsyncDeltamac.open(CocotbTransport(tb.axil, tb.source, tb.sink), os.environ["DELTAMAC_NET"])
    return tb, core


def check_result(tb: axi.AxiTopTB, result, image: np.ndarray) -> None:
    """The driver's result equals the golden model's class (and logits when the core sends them)."""
    want_class = int(predict(tb.net, image.reshape(1, -1))[0])
    assert result.class_index == want_class, f"class {result.class_index}, golden model {want_class}"
    if tb.out_logits:
        want = run_network(tb.net, image.reshape(1, -1))[0]
        assert np.array_equal(result.logits, want), f"logits {result.logits}, golden model {want}"
    else:
        assert result.logits is None


@cocotb.test()
async def test_identity_and_shape(dut):
    """open() passes the real core with its own export, reads every shape register as the export
    and the top's parameters give it, and refuses another network's export naming what differs."""
    tb, core = await open_core(dut)
    assert core.shape == tb.expected_network()
    bare = await AsyncDeltamac.open(core.transport)
    assert bare.shape == core.shape
    other = load_export(os.environ["DELTAMAC_OTHER_NET"])[1]
    try:
        await AsyncDeltamac.open(core.transport, os.environ["DELTAMAC_OTHER_NET"])
    except DeltamacError as exc:
        message = str(exc)
    else:
        raise AssertionError("open() accepted the export of another network")
    assert f"LANES is {tb.manifest['lanes']} in the core, {other['lanes']} in the export" in message, message
    assert f"NUM_LAYERS is {len(tb.manifest['layers'])} in the core, {len(other['layers'])}" in message, message


@cocotb.test()
async def test_classify(dut):
    """Test images one by one, as 28x28 and as flat arrays: bit-exact; the counters follow; an image
    of the wrong size is refused before anything is sent."""
    tb, core = await open_core(dut)
    images = tb.images(IMAGES)
    for index, image in enumerate(images):
        check_result(tb, await core.classify(image.reshape(28, 28) if index % 2 else image), image)
    await tb.wait_idle()
    counters = await core.counters()
    assert counters.cycles > tb.result_at[-1]
    assert counters == Counters(images=IMAGES, dropped=0, swallowed=0, cycles=counters.cycles)
    assert not await core.busy()
    for bad in (images[0][:-1], np.concatenate([images[0], images[0][:1]])):
        try:
            await core.classify(bad)
        except DeltamacError as exc:
            assert f"images of {tb.in_pixels} pixels, got {bad.size}" in str(exc), exc
        else:
            raise AssertionError(f"classify() took an image of {bad.size} pixels")
    await ClockCycles(dut.aclk, 10)
    assert tb.source.empty() and tb.sink.empty()
    assert (await core.counters()).images == IMAGES and (await core.counters()).dropped == 0


@cocotb.test()
async def test_soft_reset(dut):
    """soft_reset() while an image computes: no result comes out of it, the counters restart, the
    interrupt enable stays; the next image is bit-exact."""
    tb, core = await open_core(dut)
    await core.enable_interrupt()
    images = tb.images(3)
    check_result(tb, await core.classify(images[0]), images[0])
    assert (await core.counters()).images == 1
    await core.transport.send_pixels(images[1].tobytes())
    await tb.source.wait()
    assert await core.busy(), "the image must still be in the core when it is reset"
    await core.soft_reset()
    assert not await core.busy()
    await ClockCycles(dut.aclk, 2 * top.ideal_cycles(tb.manifest))
    assert tb.sink.empty(), "a result of the image cut by the soft reset came out"
    assert (await core.counters()).images == 0
    assert await core.interrupt_enabled()
    check_result(tb, await core.classify(images[2]), images[2])
    await tb.wait_idle()
    counters = await core.counters()
    assert (counters.images, counters.dropped, counters.swallowed) == (1, 0, 0)


@cocotb.test()
async def test_interrupt(dut):
    """enable_interrupt / interrupt_pending / clear_interrupt drive IRQ_STATUS and the irq pin."""
    tb, core = await open_core(dut)
    images = tb.images(3)
    check_result(tb, await core.classify(images[0]), images[0])
    await ClockCycles(dut.aclk, 3)
    assert await core.interrupt_pending() and not int(dut.irq.value), "irq without IRQ_ENABLE"
    await core.enable_interrupt()
    await ClockCycles(dut.aclk, 2)
    assert int(dut.irq.value), "irq did not follow the pending result once enabled"
    await core.clear_interrupt()
    await ClockCycles(dut.aclk, 2)
    assert not await core.interrupt_pending() and not int(dut.irq.value), "clear_interrupt left it pending"
    check_result(tb, await core.classify(images[1]), images[1])
    await ClockCycles(dut.aclk, 3)
    assert await core.interrupt_pending() and int(dut.irq.value)
    await core.enable_interrupt(False)
    await ClockCycles(dut.aclk, 2)
    assert not int(dut.irq.value) and await core.interrupt_pending() and not await core.interrupt_enabled()
    assert len(tb.irq_rise_at) == 2


# ------------------------------------------------------------------------------------------------
# pytest side


@pytest.mark.parametrize("name", list(axi.CONFIGS))
def test_deltamac_host(name):
    """deltamac_axi_top with the network `name` (and, for the mismatch test, the other network's
    export), exported into this parameter's own directory."""
    nets = {config: top.export_config(config, SIM_BUILD / "deltamac_host" / name / config) for config in axi.CONFIGS}
    other = next(config for config in nets if config != name)
    target = resolve_target("axi", nets[name])
    require_files(target)
    run_cocotb(
        target.toplevel,
        list(target.sources),
        test_file=__file__,
        parameters={**top.parameters(top.CONFIGS[name].out_logits, nets[name]), "PIXELS_PER_BEAT": axi.CONFIGS[name]},
        extra_env={"DELTAMAC_NET": str(nets[name]), "DELTAMAC_CONFIG": name, "DELTAMAC_OTHER_NET": str(nets[other])},
        tag=f"host_{name}",
    )
