"""cocotb testbench for deltamac_lutnet_layer: one partition layer against model/lutnet.py.

Each parameter set draws a seeded random layer (connectivity: distinct inputs per partition;
tables: random codes) and writes its table file exactly as model.lutnet_export does
(pack_table + model.memfile.write_mem). Random input codes, with `en` random, go in every cycle;
the output must be model.lutnet's look-up (addresses() on the connectivity, then the table) of
the inputs of the last cycle with `en` (REGISTERED = 1, holding otherwise) or of this cycle
(REGISTERED = 0). Shapes: fan-in 1..6, code widths 1..3 in and out (and 8-bit outputs), a table
of the full 12 address bits, N_IN = FAN_IN.

A malformed table file (too few lines, too many, a non-hex digit, a line too wide) must stop the
simulation at the first clock edge with the file name and the fault; a good one runs on. Illegal
parameters (FAN_IN*IN_BITS > 12, FAN_IN > N_IN, 9-bit codes, a CONN field >= N_IN) must stop
elaboration with their $fatal message.
"""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

import cocotb
import numpy as np
import pytest
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from model.lutnet import LutLayerShape, addresses
from model.lutnet_export import pack_table
from model.memfile import write_mem
from sim.runner import SIM_BUILD, expect_elaboration_failure, require_tool, rtl, run_cocotb, sv_string

TOPLEVEL = "deltamac_lutnet_layer"
SOURCES = ("deltamac_memfile_pkg.sv", "deltamac_lutnet_layer.sv")
CONN_BITS = 16
CYCLES = 400


def random_layer(shape: LutLayerShape, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(conn [n_out, fan_in] of distinct inputs, tables [n_out, entries]) of a seeded random layer."""
    rng = np.random.default_rng(seed)
    conn = np.stack([rng.choice(shape.n_in, size=shape.fan_in, replace=False) for _ in range(shape.n_out)])
    tables = rng.integers(0, 1 << shape.out_bits, size=(shape.n_out, shape.entries))
    return conn, tables


def conn_parameter(conn: np.ndarray, conn_bits: int = CONN_BITS) -> str:
    """CONN as a Verilog literal: input j of partition m in field m*FAN_IN + j."""
    fields = [int(v) for v in conn.ravel()]
    value = 0
    for index, v in enumerate(fields):
        value |= v << (index * conn_bits)
    return f"{len(fields) * conn_bits}'h{value:x}"


def write_tables(path: Path, tables: np.ndarray, shape: LutLayerShape) -> None:
    """The layer's table file as model/lutnet_export.py writes lut_l<l>.mem."""
    write_mem(path, [pack_table(row, shape.out_bits) for row in tables], shape.table_bits)


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.shape = LutLayerShape(0, int(dut.N_IN.value), int(dut.N_OUT.value), int(dut.FAN_IN.value),
                                   int(dut.IN_BITS.value), int(dut.OUT_BITS.value))
        self.registered = int(dut.REGISTERED.value)
        self.conn, self.tables = random_layer(self.shape, int(os.environ["LUT_LAYER_SEED"]))
        self.rng = np.random.default_rng(int(os.environ["LUT_LAYER_SEED"]) + 1)
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
        dut.en.value = 0
        dut.in_codes.value = 0

    def lookup(self, codes: np.ndarray) -> int:
        """The golden output word of one input vector: partition m's code at [m*OUT_BITS +: OUT_BITS]."""
        addr = addresses(codes[None, :], self.conn, self.shape.in_bits)[0]
        out = self.tables[np.arange(self.shape.n_out), addr]
        return sum(int(v) << (m * self.shape.out_bits) for m, v in enumerate(out))

    def pack(self, codes: np.ndarray) -> int:
        return sum(int(v) << (i * self.shape.in_bits) for i, v in enumerate(codes))

    def random_codes(self, cycle: int) -> np.ndarray:
        """Random codes; every 7th vector all at the maximum, every 11th all zero (table corners)."""
        top = (1 << self.shape.in_bits) - 1
        if cycle % 7 == 3:
            return np.full(self.shape.n_in, top)
        if cycle % 11 == 5:
            return np.zeros(self.shape.n_in, dtype=np.int64)
        return self.rng.integers(0, top + 1, size=self.shape.n_in)


@cocotb.test()
async def test_random_lookups(dut):
    """Every output matches the golden look-up of the inputs it was loaded from (or holds)."""
    tb = TB(dut)
    held = None  # the registered output's expected word once loaded
    hit = [set() for _ in range(tb.shape.n_out)]  # table entries addressed per partition
    for cycle in range(CYCLES):
        await FallingEdge(dut.clk)
        codes = tb.random_codes(cycle)
        en = bool(tb.rng.random() < 0.7)
        dut.in_codes.value = tb.pack(codes)
        dut.en.value = int(en)
        want = tb.lookup(codes)
        for m, a in enumerate(addresses(codes[None, :], tb.conn, tb.shape.in_bits)[0]):
            hit[m].add(int(a))
        if not tb.registered:
            await ReadOnly()
            got = int(dut.out_codes.value)
            assert got == want, f"cycle {cycle}: combinational out_codes {got:#x}, golden {want:#x}"
            continue
        await RisingEdge(dut.clk)
        await ReadOnly()
        if en:
            held = want
        if held is not None:
            got = int(dut.out_codes.value)
            assert got == held, f"cycle {cycle} (en={int(en)}): out_codes {got:#x}, golden {held:#x}"
    # the stimulus is not degenerate: every partition saw several entries (all of a small table)
    assert min(len(h) for h in hit) >= min(tb.shape.entries, 8), [len(h) for h in hit]


@pytest.mark.parametrize(
    "n_in,n_out,fan_in,in_bits,out_bits,registered",
    [
        (16, 12, 3, 2, 2, 1),   # the common shape
        (20, 9, 6, 2, 1, 0),    # a full 12-bit table per partition, 1-bit outputs, combinational
        (7, 5, 4, 3, 3, 1),     # 3-bit codes in and out, 12 address bits
        (10, 6, 1, 1, 8, 0),    # fan-in 1 of 1-bit codes, 8-bit outputs
        (5, 3, 5, 1, 2, 1),     # fan-in = N_IN
        (12, 4, 2, 3, 1, 0),    # 3-bit in, 1-bit out, combinational
    ],
)
def test_deltamac_lutnet_layer(n_in, n_out, fan_in, in_bits, out_bits, registered):
    shape = LutLayerShape(0, n_in, n_out, fan_in, in_bits, out_bits)
    shape.check()
    seed = n_in * 1000 + n_out * 100 + fan_in * 10 + in_bits
    conn, tables = random_layer(shape, seed)
    params = {"N_IN": n_in, "N_OUT": n_out, "FAN_IN": fan_in, "IN_BITS": in_bits, "OUT_BITS": out_bits,
              "REGISTERED": registered}
    table_dir = SIM_BUILD / TOPLEVEL / "tables"
    table_dir.mkdir(parents=True, exist_ok=True)
    table = table_dir / f"lut_{n_in}_{n_out}_{fan_in}_{in_bits}_{out_bits}_{registered}.mem"
    write_tables(table, tables, shape)
    run_cocotb(
        TOPLEVEL,
        rtl(*SOURCES),
        test_file=__file__,
        parameters={**params, "CONN_BITS": CONN_BITS, "CONN": conn_parameter(conn), "TABLE_FILE": sv_string(table)},
        extra_env={"LUT_LAYER_SEED": str(seed)},
    )


# ------------------------------------------------------------------------------------------------
# Malformed table files: a clocked wrapper of a layer of 3 partitions x (2 inputs of 1 bit ->
# 2 bits): 4 entries x 2 bits = 8 bits, 2 hex digits per line. Run in the case's directory
# (TABLE_FILE relative, as the harness runs in the export directory).

BAD_TABLES = {
    "short": ("0a\n3f\n", 'has 2 lines, expected N_OUT = 3'),
    "long": ("0a\n3f\n1f\n00\n", "has more than N_OUT = 3 lines"),
    "non_hex": ("0a\n3g\n1f\n", "line 2 has character code 103, not a lowercase hex digit"),
    "uppercase": ("0a\n3F\n1f\n", "line 2 has character code 70, not a lowercase hex digit"),
    "too_many_digits": ("0a\n03f\n1f\n", "line 2 has more than 2 hex digits (2^(FAN_IN*IN_BITS)*OUT_BITS = 8)"),
    "missing": (None, "cannot be opened (expected 3 lines of 2 hex digits)"),
}
GOOD_TABLE = "e4\n1b\n00\n"  # partition 0: entries 0, 1, 2, 3 (entry e at bits [2e +: 2])

CHECK_TOP = """
module lut_table_check_top;
  logic clk = 1'b0;
  always #5 clk = !clk;
  logic [1:0] in_codes = 2'b10;  // code 0 = 0, code 1 = 1; every partition reads (0, 1): address 2
  logic [5:0] out_codes;
  deltamac_lutnet_layer #(.N_IN(2), .N_OUT(3), .FAN_IN(2), .IN_BITS(1), .OUT_BITS(2), .CONN_BITS(4),
                          .CONN(24'h101010), .TABLE_FILE("lut.mem"), .REGISTERED(1)) u_layer (
      .clk(clk), .en(1'b1), .in_codes(in_codes), .out_codes(out_codes));
  initial begin
    repeat (3) @(negedge clk);
    $display("NO_FATAL out=%h", out_codes);
    $finish;
  end
endmodule
"""


def test_table_files_icarus(tmp_path):
    """One Icarus build, run in one directory per case: a bad file stops before the third edge."""
    iverilog, vvp = require_tool("iverilog"), require_tool("vvp")
    wrapper = tmp_path / "lut_table_check_top.sv"
    wrapper.write_text(CHECK_TOP)
    binary = tmp_path / "layer.vvp"
    subprocess.run([iverilog, "-g2012", "-s", "lut_table_check_top", "-o", str(binary), *map(str, rtl(*SOURCES)),
                    str(wrapper)], check=True, capture_output=True, text=True)
    for case, (text, message) in {**BAD_TABLES, "good": (GOOD_TABLE, None)}.items():
        work = tmp_path / case
        work.mkdir()
        if text is not None:
            (work / "lut.mem").write_text(text)
        run = subprocess.run([vvp, "-n", str(binary)], cwd=work, capture_output=True, text=True, check=False,
                             timeout=60)
        log = run.stdout + run.stderr
        if message is None:
            # address 2 of each partition: e4 -> 2, 1b -> 1, 00 -> 0 (partition 0 in the low bits)
            assert run.returncode == 0 and "NO_FATAL out=06" in log, f"{case}:\n{log}"
        else:
            assert run.returncode != 0 and "NO_FATAL" not in log, f"{case}: the simulation did not stop:\n{log}"
            assert 'deltamac_lutnet_layer: TABLE_FILE "lut.mem"' in log and message in log, f"{case}: wrong message:\n{log}"


@pytest.mark.parametrize(
    "parameters,message",
    [
        ({"N_IN": 8, "FAN_IN": 5, "IN_BITS": 3, "N_OUT": 2}, "FAN_IN*IN_BITS = 5*3 = 15 address bits, at most 12"),
        ({"N_IN": 3, "FAN_IN": 4, "IN_BITS": 1, "N_OUT": 2}, "FAN_IN in 1..N_IN, got N_IN 3, N_OUT 2, FAN_IN 4"),
        ({"N_IN": 4, "FAN_IN": 2, "IN_BITS": 2, "OUT_BITS": 9, "N_OUT": 2}, "IN_BITS (2) and OUT_BITS (9) must be in 1..8"),
        ({"N_IN": 4, "FAN_IN": 2, "IN_BITS": 1, "N_OUT": 1, "CONN_BITS": 4, "CONN": "8'h41"},
         "CONN input 1 of partition 0 is 4, outside the N_IN = 4 inputs"),
    ],
)
def test_illegal_parameters(parameters, message, tmp_path):
    table = tmp_path / "lut.mem"
    n_out, fan_in = parameters["N_OUT"], parameters["FAN_IN"]
    bits = (1 << (fan_in * parameters["IN_BITS"])) * parameters.get("OUT_BITS", 2)
    if bits <= 1 << 14:  # a legal-size table for the layers that build one
        write_mem(table, [0] * n_out, bits)
    expect_elaboration_failure(TOPLEVEL, rtl(*SOURCES), {**parameters, "TABLE_FILE": sv_string(table)},
                               [f"{TOPLEVEL}: ", message], tmp_path)
