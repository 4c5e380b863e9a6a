"""cocotb testbench for deltamac_rom: every word of a model.memfile .mem file read back.

The ROM is initialised from a .mem file written by model.memfile.write_mem; the expected
words are what model.memfile.read_mem reads back from that file. Reads are checked for the
one-cycle latency, and rd_data must hold while rd_en is low (whatever rd_addr does).
"""

from __future__ import annotations

import os
import random

import cocotb
import pytest
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from model.memfile import read_mem, write_mem
from sim.runner import SIM_BUILD, expect_elaboration_failure, rtl, run_cocotb, sv_string

TOPLEVEL = "deltamac_rom"


class RomTB:
    """Drives rd_en/rd_addr at falling edges and checks rd_data after each rising edge."""

    def __init__(self, dut):
        self.dut = dut
        self.width = int(dut.WIDTH.value)
        self.depth = int(dut.DEPTH.value)
        mem_file = os.environ.get("ROM_MEM_FILE", "")
        self.words = read_mem(mem_file, self.width, self.depth) if mem_file else [0] * self.depth
        self.expected = None  # rd_data once the first read has completed
        self.reads = 0
        Clock(dut.clk, 10, unit="ns").start()
        dut.rd_en.value = 0
        dut.rd_addr.value = 0

    async def cycle(self, rd_en: bool, rd_addr: int) -> None:
        """One clock: present a (possibly idle) read, then check rd_data after the edge."""
        await FallingEdge(self.dut.clk)
        self.dut.rd_en.value = int(rd_en)
        self.dut.rd_addr.value = rd_addr
        await RisingEdge(self.dut.clk)
        if rd_en:
            self.expected = self.words[rd_addr]
            self.reads += 1
        await ReadOnly()
        if self.expected is not None:
            got = int(self.dut.rd_data.value)
            assert got == self.expected, (
                f"rd_data = {got:#x}, expected {self.expected:#x} (last read before this edge, "
                f"rd_en={int(rd_en)} rd_addr={rd_addr})"
            )


@cocotb.test()
async def read_every_word(dut):
    """Sequential then shuffled reads of all words, back to back, one cycle latency each."""
    tb = RomTB(dut)
    order = list(range(tb.depth))
    shuffled = order[:]
    random.Random(1).shuffle(shuffled)
    for addr in order + shuffled:
        await tb.cycle(True, addr)
    assert tb.reads == 2 * tb.depth


@cocotb.test()
async def hold_without_rd_en(dut):
    """Random reads with idle gaps; during gaps rd_addr wanders but rd_data must hold."""
    tb = RomTB(dut)
    rng = random.Random(2)
    for _ in range(4 * min(tb.depth, 256)):
        await tb.cycle(rng.random() < 0.5, rng.randrange(tb.depth))
    assert tb.reads > 0


def rom_words(width: int, depth: int, seed: int) -> list[int]:
    """Seeded random words with the corners (all zeros, all ones, top bit only) up front."""
    rng = random.Random(seed)
    corners = [0, (1 << width) - 1, 1 << (width - 1)]
    return (corners + [rng.getrandbits(width) for _ in range(depth)])[:depth]


@pytest.mark.parametrize(
    "width, depth, init",
    [
        (64, 1024, True),  # a 16-lane x 4-bit delta ROM
        (36, 300, True),  # width not a multiple of 4, depth not a power of two
        (1, 1, True),  # smallest legal ROM
        (16, 5, False),  # INIT_FILE "" leaves the memory zero
    ],
)
def test_deltamac_rom(width, depth, init):
    parameters = {"WIDTH": width, "DEPTH": depth}
    extra_env = {}
    if init:
        mem_file = SIM_BUILD / TOPLEVEL / f"rom_{width}x{depth}.mem"
        mem_file.parent.mkdir(parents=True, exist_ok=True)
        write_mem(mem_file, rom_words(width, depth, seed=width * 7919 + depth), width)
        parameters["INIT_FILE"] = sv_string(mem_file)
        extra_env["ROM_MEM_FILE"] = str(mem_file)
    run_cocotb(TOPLEVEL, rtl("deltamac_rom.sv"), test_file=__file__, parameters=parameters, extra_env=extra_env)


@pytest.mark.parametrize("width, depth", [(0, 16), (8, 0)])
def test_deltamac_rom_illegal_parameters(width, depth, tmp_path):
    parameters = {"WIDTH": width, "DEPTH": depth}
    expect_elaboration_failure(TOPLEVEL, rtl("deltamac_rom.sv"), parameters, ["deltamac_rom: WIDTH", "must both be >= 1"], tmp_path)
