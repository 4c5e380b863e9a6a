"""cocotb testbench for deltamac_rom: every word of a model.memfile .mem file read back.

The ROM is initialised from a .mem file written by model.memfile.write_mem; the expected
words are what model.memfile.read_mem reads back from that file. Reads are checked for the
one-cycle latency, and rd_data must hold while rd_en is low (whatever rd_addr does).

A broken INIT_FILE (missing, short, long, a bad character, too many or too few digits, a value
wider than WIDTH) must stop the simulation at the first clock edge, before any read, in Icarus
and in Verilator (the harness's simulator), with a message that names the file and the fault.
"""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

import cocotb
import pytest
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from model.memfile import read_mem, write_mem
from sim.runner import SIM_BUILD, expect_elaboration_failure, require_tool, rtl, run_cocotb, sv_string

TOPLEVEL = "deltamac_rom"
SOURCES = ("deltamac_memfile_pkg.sv", "deltamac_rom.sv")  # the INIT_FILE check, the ROM


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
    run_cocotb(TOPLEVEL, rtl(*SOURCES), test_file=__file__, parameters=parameters, extra_env=extra_env)


@pytest.mark.parametrize("width, depth", [(0, 16), (8, 0)])
def test_deltamac_rom_illegal_parameters(width, depth, tmp_path):
    parameters = {"WIDTH": width, "DEPTH": depth}
    expect_elaboration_failure(TOPLEVEL, rtl(*SOURCES), parameters, ["deltamac_rom: WIDTH", "must both be >= 1"], tmp_path)


# Broken images of a ROM of 3 words x 6 bits (2 hex digits, the first one 0..3): file text, and
# what the $fatal message must say besides the file name.
BAD_FILES = {
    "missing": (None, "cannot be opened (expected 3 lines of 2 hex digits)"),
    "short": ("0a\n3f\n", "has 2 lines, expected DEPTH = 3"),
    "long": ("0a\n3f\n1f\n00\n", "has more than DEPTH = 3 lines"),
    "non_hex": ("0a\n3g\n1f\n", "line 2 has character code 103, not a lowercase hex digit"),
    "crlf": ("0a\r\n3f\r\n1f\r\n", "line 1 has character code 13, not a lowercase hex digit"),
    "too_many_digits": ("0a\n03f\n1f\n", "line 2 has more than 2 hex digits (WIDTH = 6)"),
    "too_few_digits": ("0a\n3\n1f\n", "line 2 has 1 hex digits, expected 2 for WIDTH = 6"),
    "wider_than_width": ("0a\n4f\n1f\n", "line 2 is wider than WIDTH = 6 bits"),
    "empty_line": ("0a\n\n1f\n", "line 2 has 0 hex digits, expected 2"),
}
GOOD_FILE = "0a\n3f\n1f"  # also without the last newline
BAD_WIDTH, BAD_DEPTH = 6, 3


def write_case(directory: Path, text: str | None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "rom.mem"
    if text is not None:
        path.write_text(text)
    return path


# A clocked wrapper reading word 1 (INIT_FILE relative, as in the harness: run in the case's
# directory). A good file runs to NO_FATAL with word 1 read back; a bad one stops before.
CHECK_TOP = f"""
module rom_file_check_top;
  logic clk = 1'b0;
  always #5 clk = !clk;
  logic [{BAD_WIDTH - 1}:0] rd_data;
  deltamac_rom #(.WIDTH({BAD_WIDTH}), .DEPTH({BAD_DEPTH}), .INIT_FILE("rom.mem")) u_rom (
      .clk(clk), .rd_en(1'b1), .rd_addr(2'd1), .rd_data(rd_data));
  initial begin
    repeat (3) @(negedge clk);
    $display("NO_FATAL word1=%h", rd_data);
    $finish;
  end
endmodule
"""


def check_run(case: str, message: str | None, returncode: int, log: str) -> None:
    if message is None:
        assert returncode == 0 and "NO_FATAL word1=3f" in log, f"{case}:\n{log}"
    else:
        assert returncode != 0 and "NO_FATAL" not in log, f"{case}: the simulation did not stop:\n{log}"
        assert 'deltamac_rom: INIT_FILE "rom.mem"' in log and message in log, f"{case}: wrong message:\n{log}"


def cases():
    return {**BAD_FILES, "good": (GOOD_FILE, None)}


def test_init_files_icarus(tmp_path):
    """One Icarus build, run in one directory per case."""
    iverilog, vvp = require_tool("iverilog"), require_tool("vvp")
    wrapper = tmp_path / "rom_file_check_top.sv"
    wrapper.write_text(CHECK_TOP)
    binary = tmp_path / "rom.vvp"
    subprocess.run([iverilog, "-g2012", "-s", "rom_file_check_top", "-o", str(binary), *map(str, rtl(*SOURCES)),
                    str(wrapper)], check=True, capture_output=True, text=True)
    for case, (text, message) in cases().items():
        work = tmp_path / case
        write_case(work, text)
        run = subprocess.run([vvp, "-n", str(binary)], cwd=work, capture_output=True, text=True, check=False, timeout=60)
        check_run(case, message, run.returncode, run.stdout + run.stderr)


def test_init_files_verilator(tmp_path):
    """One Verilator build, run in one directory per case."""
    verilator = require_tool("verilator")
    wrapper = tmp_path / "rom_file_check_top.sv"
    wrapper.write_text(CHECK_TOP)
    build = subprocess.run(
        [verilator, "--binary", "-Wno-fatal", "--top-module", "rom_file_check_top", "-Mdir", str(tmp_path / "obj"),
         "-o", "romsim", *map(str, rtl(*SOURCES)), str(wrapper)],
        capture_output=True, text=True, check=False,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    for case, (text, message) in cases().items():
        work = tmp_path / case
        write_case(work, text)
        run = subprocess.run([str(tmp_path / "obj" / "romsim")], cwd=work, capture_output=True, text=True, check=False,
                             timeout=60)
        check_run(case, message, run.returncode, run.stdout + run.stderr)
