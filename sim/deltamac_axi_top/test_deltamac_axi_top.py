"""cocotb testbench for deltamac_axi_top: the AXI4-Lite register block, aresetn, soft reset, irq.

The network is one of deltamac_top's exported configurations (sim/deltamac_top); images go in
through cocotbext-axi's AxiStreamSource and results come out through an AxiStreamSink, both
checked against the golden model with deltamac_top's TB helpers. Registers are accessed with
cocotbext-axi's AxiLiteMaster, with random pauses on every channel (AW, W, AR valid late; B, R
ready low), and the register block's own checkers ($fatal on a VALID/READY rule broken on any of
the five channels) run in every test. Expected register values come from the table in
model/regmap.py and the export's manifest, never from the RTL. Every test holds aresetn low for
exactly RESET_CYCLES = 1 rising edge, the documented minimum.
"""

from __future__ import annotations

import itertools

import cocotb
import numpy as np
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import (
    AxiLiteBus,
    AxiLiteMaster,
    AxiResp,
    AxiStreamBus,
    AxiStreamFrame,
    AxiStreamSink,
    AxiStreamSource,
)

from model import regmap
from model.formats import Scheme
from scripts.corefile import require_files, resolve_target
from sim.deltamac_top import test_deltamac_top as top
from sim.runner import run_cocotb

RESET_CYCLES = 1  # aresetn low for this many rising edges of aclk (docs/rtl.md: the minimum)
PAUSE = 0.4  # probability of a pause cycle on every AXI channel
REG = {reg.name: reg for reg in regmap.REGISTERS}
WINDOW_WORDS = 2**regmap.ADDR_BITS // 4


def field_value(reg: str, field: str, word: int) -> int:
    f = next(f for f in REG[reg].fields if f.name == field)
    return (word >> f.lsb) & ((1 << f.width) - 1)


def field_word(reg: str, **values: int) -> int:
    """The register word with the named fields set."""
    word = 0
    for f in REG[reg].fields:
        word |= values.pop(f.name, 0) << f.lsb
    assert not values, f"{reg} has no fields {list(values)}"
    return word


class AxiTopTB(top.TB):
    """deltamac_top's image and golden-model helpers on aclk/aresetn, plus the AXI-Lite master and
    monitors of the result handshakes, irq and the order in which AW and W arrive."""

    def __init__(self, dut):
        self.load_network(dut)
        cocotb.start_soon(Clock(dut.aclk, 10, unit="ns").start())
        dut.aresetn.value = 0
        self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.aclk, dut.aresetn,
                                      reset_active_level=False)
        self.sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), dut.aclk, dut.aresetn,
                                  reset_active_level=False, byte_size=32)
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.aclk, dut.aresetn,
                                  reset_active_level=False)
        for channel in (self.source, self.sink, self.axil.write_if.aw_channel, self.axil.write_if.w_channel,
                        self.axil.write_if.b_channel, self.axil.read_if.ar_channel, self.axil.read_if.r_channel):
            channel.log.setLevel("WARNING")
            channel.set_pause_generator(self.pause_generator(PAUSE))
        for log in (self.axil.write_if.log, self.axil.read_if.log):
            log.setLevel("WARNING")
        self.cycle = 0
        self.result_at: list[int] = []  # cycles of results' last beats
        self.irq_rise_at: list[int] = []
        self.aw_at: list[int] = []  # cycles of AW and of W handshakes
        self.w_at: list[int] = []
        cocotb.start_soon(self._monitor())

    async def _monitor(self):
        dut = self.dut
        irq_q = 0
        while True:
            await RisingEdge(dut.aclk)
            self.cycle += 1
            if not int(dut.aresetn.value):  # outputs are defined from the first edge in reset on
                continue
            if int(dut.m_axis_tvalid.value) and int(dut.m_axis_tready.value) and int(dut.m_axis_tlast.value):
                self.result_at.append(self.cycle)
            irq = int(dut.irq.value)
            if irq and not irq_q:
                self.irq_rise_at.append(self.cycle)
            irq_q = irq
            if int(dut.s_axil_awvalid.value) and int(dut.s_axil_awready.value):
                self.aw_at.append(self.cycle)
            if int(dut.s_axil_wvalid.value) and int(dut.s_axil_wready.value):
                self.w_at.append(self.cycle)

    async def reset(self, cycles: int = RESET_CYCLES):
        self.dut.aresetn.value = 0
        await ClockCycles(self.dut.aclk, cycles)
        self.dut.aresetn.value = 1
        await ClockCycles(self.dut.aclk, 2)

    async def read(self, name: str, offset: int | None = None) -> int:
        """Read a register (or any byte offset); the response must be OKAY."""
        resp = await self.axil.read(REG[name].offset if offset is None else offset, 4)
        assert resp.resp == AxiResp.OKAY, f"read of {name} {offset}: {resp.resp!r}"
        return int.from_bytes(resp.data, "little")

    async def write(self, address: int, data: bytes, resp: AxiResp = AxiResp.OKAY) -> None:
        """Write bytes at a byte address (fewer than 4 bytes or unaligned: a partial WSTRB)."""
        got = await self.axil.write(address, data)
        assert got.resp == resp, f"write of {data.hex()} at {address:#x}: {got.resp!r}, expected {resp!r}"

    async def write_word(self, name: str, word: int, resp: AxiResp = AxiResp.OKAY) -> None:
        await self.write(REG[name].offset, word.to_bytes(4, "little"), resp)

    def expected_network(self) -> dict[str, int]:
        """The value of every `param` field, from the manifest and the top's parameters."""
        delta = self.manifest["delta"]
        return {
            "NUM_LAYERS": len(self.manifest["layers"]),
            "IN_PIXELS": self.manifest["topology"][0],
            "NUM_CLASSES": self.manifest["topology"][-1],
            "LANES": self.manifest["lanes"],
            "SCHEME": int(Scheme.from_name(delta["scheme"])),
            "WEIGHT_BITS": delta["weight_bits"],
            "DELTA_BITS": delta["delta_bits"],
            "PIXELS_PER_BEAT": self.ppb,
            "OUT_LOGITS": self.out_logits,
        }

    def reset_word(self, reg: regmap.Register) -> int:
        """The register's value after reset with no traffic (CYCLES excepted: it counts)."""
        network = self.expected_network()
        word = 0
        for f in reg.fields:
            value = network[f.param] if f.access == "param" else f.reset if f.access != "ro" else 0
            word |= value << f.lsb
        return word

    async def wait_idle(self) -> None:
        """All images sent and the core idle (STATUS.BUSY read 0), then nothing more comes out."""
        await self.source.wait()
        for _ in range(2000):
            if not field_value("STATUS", "BUSY", await self.read("STATUS")):
                break
        else:
            raise AssertionError("STATUS.BUSY stuck at 1")
        await ClockCycles(self.dut.aclk, 20)
        assert self.sink.empty(), f"unexpected extra result: {self.sink.recv_nowait()}"


@cocotb.test()
async def test_reset_values(dut):
    """Every register reads its reset value after aresetn; every reserved word reads 0, OKAY."""
    tb = AxiTopTB(dut)
    await tb.reset()
    for reg in regmap.REGISTERS:
        got = await tb.read(reg.name)
        if reg.name == "CYCLES":
            assert 0 < got < tb.cycle, f"CYCLES {got} after {tb.cycle} cycles of simulation"
        else:
            assert got == tb.reset_word(reg), f"{reg.name}: {got:#010x}, expected {tb.reset_word(reg):#010x}"
    assert await tb.read("ID") == int.from_bytes(b"DMAC", "big")
    cycles = [await tb.read("CYCLES") for _ in range(3)]
    assert cycles[0] < cycles[1] < cycles[2], f"CYCLES does not count: {cycles}"
    used = {reg.offset for reg in regmap.REGISTERS}
    reserved = [4 * w for w in range(WINDOW_WORDS) if 4 * w not in used]
    assert any(r.first in reserved for r in regmap.RESERVED)
    for offset in reserved:
        assert await tb.read("ID", offset) == 0, f"reserved word {offset:#x} does not read 0"


@cocotb.test()
async def test_writes(dut):
    """Writable fields write and read back; read-only registers ignore writes with SLVERR; reserved
    words ignore writes with OKAY; partial strobes change only their byte lanes; AW and W arrive in
    either order and together."""
    tb = AxiTopTB(dut)
    await tb.reset()
    enable = field_word("CONTROL", IRQ_ENABLE=1)
    for value in (1, 0, 1):
        await tb.write_word("CONTROL", field_word("CONTROL", IRQ_ENABLE=value))
        assert await tb.read("CONTROL") == value * enable, "CONTROL.IRQ_ENABLE does not read back"
    # Read-only registers: SLVERR, value unchanged (the counters stay 0 without traffic).
    for reg in regmap.REGISTERS:
        if reg.writable or reg.name == "CYCLES":
            continue
        await tb.write_word(reg.name, 0xFFFFFFFF, AxiResp.SLVERR)
        assert await tb.read(reg.name) == tb.reset_word(reg), f"a write changed read-only {reg.name}"
    before = await tb.read("CYCLES")
    await tb.write_word("CYCLES", 0, AxiResp.SLVERR)
    assert await tb.read("CYCLES") > before, "a write of 0 reached CYCLES"
    # Reserved words: OKAY, still 0; the writable registers are not aliased there.
    for res in regmap.RESERVED:
        for offset in range(res.first, res.last + 4, 4):
            await tb.write(offset, b"\xff" * 4)
            assert await tb.read("ID", offset) == 0
    assert await tb.read("CONTROL") == enable
    # Partial strobes: CONTROL's fields are in byte 0.
    await tb.write(REG["CONTROL"].offset + 1, b"\x00\x00\x00")  # WSTRB 1110
    assert await tb.read("CONTROL") == enable, "a write without byte lane 0 changed CONTROL"
    await tb.write(REG["CONTROL"].offset, b"\x00")  # WSTRB 0001
    assert await tb.read("CONTROL") == 0, "a byte-0 write did not reach CONTROL"
    await tb.write(REG["CONTROL"].offset, b"\x02\x00")  # WSTRB 0011
    assert await tb.read("CONTROL") == enable
    await tb.write(REG["CONTROL"].offset + 2, b"\x00\x00")  # WSTRB 1100
    assert await tb.read("CONTROL") == enable
    await tb.write(REG["IMAGES"].offset + 3, b"\xff", AxiResp.SLVERR)  # WSTRB 1000, read-only
    # Many back-to-back writes with random pauses: all three arrival orders of AW and W happen.
    for i in range(40):
        await tb.write_word("CONTROL", field_word("CONTROL", IRQ_ENABLE=i % 2))
        assert await tb.read("CONTROL") == (i % 2) * enable
    orders = {("together" if aw == w else "aw first" if aw < w else "w first")
              for aw, w in zip(tb.aw_at, tb.w_at)}
    assert len(tb.aw_at) == len(tb.w_at)
    assert orders == {"together", "aw first", "w first"}, f"AW/W orders seen: {orders}"


@cocotb.test()
async def test_results_and_counters(dut):
    """Images through the top are bit-exact; IMAGES, DROPPED, SWALLOWED, LAST_CLASS and STATUS
    follow them, read while the images flow."""
    tb = AxiTopTB(dut)
    await tb.reset()
    images = tb.images(4)
    short = bytes(images[0].tobytes())[: tb.image_beats // 2 * tb.ppb]
    for data in (images[0], short, images[1], images[2], images[3]):
        await tb.source.send(AxiStreamFrame(bytes(data.tobytes()) if isinstance(data, np.ndarray) else data))
    busy_seen = False
    for _ in range(20):
        busy_seen |= bool(field_value("STATUS", "BUSY", await tb.read("STATUS")))
    assert busy_seen, "STATUS.BUSY never 1 while images flow"
    await tb.check_results(images)
    await tb.wait_idle()
    assert await tb.read("IMAGES") == len(images)
    assert await tb.read("DROPPED") == 1
    assert await tb.read("SWALLOWED") == 0
    assert await tb.read("LAST_CLASS") == tb.expected(images[-1:])[0][-1]
    cycles = await tb.read("CYCLES")
    assert tb.result_at[-1] < cycles < tb.cycle, f"CYCLES {cycles}"


@cocotb.test()
async def test_interrupt(dut):
    """IRQ_STATUS.RESULT is set by every result; irq only while IRQ_ENABLE; W1C clears it, a write
    of 0 or without byte lane 0 does not."""
    tb = AxiTopTB(dut)
    await tb.reset()
    images = tb.images(3)
    pending = field_word("IRQ_STATUS", RESULT=1)
    cocotb.start_soon(tb.send(images[:1]))
    await tb.check_results(images[:1])
    await ClockCycles(dut.aclk, 3)
    assert await tb.read("IRQ_STATUS") == pending
    assert not tb.irq_rise_at and not int(dut.irq.value), "irq rose while IRQ_ENABLE is 0"
    await tb.write_word("CONTROL", field_word("CONTROL", IRQ_ENABLE=1))
    await ClockCycles(dut.aclk, 2)
    assert int(dut.irq.value) and len(tb.irq_rise_at) == 1, "irq did not follow a pending result once enabled"
    await tb.write_word("IRQ_STATUS", 0)
    await tb.write(REG["IRQ_STATUS"].offset + 1, b"\xff\xff\xff")  # WSTRB 1110
    assert await tb.read("IRQ_STATUS") == pending and int(dut.irq.value), "cleared without a 1 in byte lane 0"
    await tb.write_word("IRQ_STATUS", pending)
    assert await tb.read("IRQ_STATUS") == 0
    await ClockCycles(dut.aclk, 2)
    assert not int(dut.irq.value), "irq stayed high after W1C"
    # Enabled: the next result raises irq within 2 cycles of its last beat.
    cocotb.start_soon(tb.send(images[1:2]))
    await tb.check_results(images[1:2])
    await ClockCycles(dut.aclk, 3)
    assert len(tb.irq_rise_at) == 2 and 0 < tb.irq_rise_at[1] - tb.result_at[-1] <= 2, (
        f"irq rose at {tb.irq_rise_at}, results at {tb.result_at}")
    # Disabling masks irq but keeps the pending bit.
    await tb.write_word("CONTROL", 0)
    await ClockCycles(dut.aclk, 2)
    assert not int(dut.irq.value) and await tb.read("IRQ_STATUS") == pending
    await tb.write_word("IRQ_STATUS", pending)
    cocotb.start_soon(tb.send(images[2:]))
    await tb.check_results(images[2:])
    await tb.wait_idle()
    assert len(tb.irq_rise_at) == 2 and await tb.read("IRQ_STATUS") == pending


async def interrupt_mid_image(tb: AxiTopTB, do_reset) -> None:
    """One image computing and the next half received when `do_reset` resets the core; nothing of
    them comes out, the images after are bit-exact, the counters restart."""
    dut = tb.dut
    first = tb.images(2)
    tb.source.clear_pause_generator()  # no source pauses: the timing below places the reset
    tb.source.pause = False
    await tb.send(first[:1])
    await tb.source.send(AxiStreamFrame(bytes(first[1].tobytes())))
    await ClockCycles(dut.aclk, tb.image_beats * 3 // 2)
    assert tb.sink.empty() and not tb.source.idle(), "the reset must come while both images are in flight"
    await do_reset()
    assert await tb.read("IMAGES") == 0 and tb.sink.empty(), "a result of the reset images"
    tb.source.set_pause_generator(tb.pause_generator(PAUSE))


@cocotb.test()
async def test_soft_reset_mid_image(dut):
    """CONTROL.SOFT_RESET in the middle of an image restarts the core; the rest of the cut image is
    a short frame (DROPPED 1), the images after it are bit-exact; CONTROL keeps its value."""
    tb = AxiTopTB(dut)
    await tb.reset()
    enable = field_word("CONTROL", IRQ_ENABLE=1)
    await tb.write_word("CONTROL", enable)

    async def soft_reset():
        tb.source.set_pause_generator(itertools.repeat(True))  # the rest of the cut image waits
        await tb.write_word("CONTROL", field_word("CONTROL", SOFT_RESET=1, IRQ_ENABLE=1))
        assert await tb.read("CONTROL") == enable, "SOFT_RESET does not read 0 or IRQ_ENABLE was lost"
        assert await tb.read("DROPPED") == 0

    await interrupt_mid_image(tb, soft_reset)
    images = tb.images(2)
    cocotb.start_soon(tb.send(images))
    await tb.check_results(images)
    await tb.wait_idle()
    assert await tb.read("IMAGES") == len(images)
    assert await tb.read("DROPPED") == 1, "the remainder of the cut image is one short frame"


@cocotb.test()
async def test_aresetn_mid_image(dut):
    """aresetn low for RESET_CYCLES edge(s) in the middle of an image resets the core and the
    register block; the images after it are bit-exact."""
    tb = AxiTopTB(dut)
    tb.source.log.setLevel("ERROR")  # it says that the reset flushed the cut image
    await tb.reset()
    await tb.write_word("CONTROL", field_word("CONTROL", IRQ_ENABLE=1))
    await interrupt_mid_image(tb, tb.reset)
    assert await tb.read("CONTROL") == 0, "aresetn did not reset CONTROL"
    images = tb.images(2)
    cocotb.start_soon(tb.send(images))
    await tb.check_results(images)
    await tb.wait_idle()
    assert await tb.read("IMAGES") == len(images) and await tb.read("DROPPED") == 0


# ------------------------------------------------------------------------------------------------
# pytest side

CONFIGS = {  # deltamac_top configuration -> PIXELS_PER_BEAT
    "fr_784_32_10_p16": 1,  # logits streamed out (OUT_LOGITS 1)
    "cons_784_24_12_10_p12": 4,  # the class only, 4 pixels per beat
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_deltamac_axi_top(name):
    net_dir = top.export_config(name, top.NETS_DIR / name)
    target = resolve_target("axi", net_dir)
    require_files(target)
    run_cocotb(
        target.toplevel,
        list(target.sources),
        test_file=__file__,
        parameters={**top.parameters(top.CONFIGS[name].out_logits, net_dir), "PIXELS_PER_BEAT": CONFIGS[name]},
        extra_env={"DELTAMAC_NET": str(net_dir), "DELTAMAC_CONFIG": name},
        tag=name,
    )
