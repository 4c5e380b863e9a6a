"""ECP5 register packing (scripts/ecp5_regpack.py) on small designs synthesised by the real Yosys.

Each design is run through the same synth_ecp5 script as `make pnr`; the pass must move exactly
the qualifying flip-flops into the DP16KD output register and the MULT18X18D registers, and leave
a flip-flop with a reset, a second load or another clock where it is.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from scripts import ecp5_regpack
from scripts.open_flow import _synth_ecp5_script
from sim.runner import require_tool

ROM_DESIGN = """
module dut(input clk, input clk2, input rst, input en, input rd_en, input [11:0] addr,
           output reg [3:0] q, output [3:0] raw);
  (* rom_style = "block" *) reg [3:0] mem [0:4095];
  reg [3:0] rd;
  integer i;
  initial for (i = 0; i < 4096; i = i + 1) mem[i] = i[5:2] ^ i[11:8];
  always @(posedge clk) if (rd_en) rd <= mem[addr];
  `FOLLOWER
  assign raw = `RAW;
endmodule
"""

MULT_DESIGN = """
module dut(input clk, input rst, input signed [7:0] a, input signed [8:0] b, output reg signed [16:0] p);
  reg signed [7:0] a1, a2;
  reg signed [8:0] b1, b2;
  reg signed [16:0] m;
  always @(posedge clk) begin
    a1 <= a; b1 <= b;
    `INPUT_REGS
    m <= a2 * b2;
    p <= m;
  end
endmodule
"""


def synthesise(tmp_path: Path, source: str) -> dict:
    yosys = require_tool("yosys")
    (tmp_path / "dut.v").write_text(source)
    netlist = tmp_path / "dut.json"
    script = ["read_verilog dut.v", *_synth_ecp5_script("dut", netlist)]
    subprocess.run([yosys, "-q", "-p", "; ".join(script)], cwd=tmp_path, check=True)
    return json.loads(netlist.read_text())


def cells(design: dict, kind: str) -> list[dict]:
    return [c for c in design["modules"]["dut"]["cells"].values() if c["type"] == kind]


def rom(follower: str, raw: str = "4'd0") -> str:
    return ROM_DESIGN.replace("`FOLLOWER", follower).replace("`RAW", raw)


def test_rom_output_flip_flops_become_the_outreg(tmp_path: Path) -> None:
    design = synthesise(tmp_path, rom("always @(posedge clk) if (en) q <= rd;"))
    ffs_before = len(cells(design, "TRELLIS_FF"))
    stats = ecp5_regpack.pack(design, "dut")
    (bram,) = cells(design, "DP16KD")
    port = next(p for p in "AB" if bram["parameters"][f"REGMODE_{p}"] == "OUTREG")
    assert stats.dp16kd_outreg_ports == 1 and stats.flip_flops_removed == 4
    assert len(cells(design, "TRELLIS_FF")) == ffs_before - 4
    en_bit = design["modules"]["dut"]["ports"]["en"]["bits"][0]
    assert bram["connections"][f"OCE{port}"] == [en_bit], "the output register must load with the flip-flops' enable"
    q_bits = design["modules"]["dut"]["ports"]["q"]["bits"]
    outputs = {b for i in range(18) for b in bram["connections"].get(f"DO{port}{i}", [])}
    assert set(q_bits) <= outputs, "the block RAM must drive q directly"


@pytest.mark.parametrize("follower,raw,reason", [
    ("always @(posedge clk) if (rst) q <= 0; else q <= rd;", "4'd0", "reset"),
    ("always @(posedge clk) q <= rd;", "rd", "second load"),
    ("always @(posedge clk2) q <= rd;", "4'd0", "other clock"),
])
def test_rom_output_flip_flops_that_differ_stay(tmp_path: Path, follower: str, raw: str, reason: str) -> None:
    design = synthesise(tmp_path, rom(follower, raw))
    ffs_before = len(cells(design, "TRELLIS_FF"))
    stats = ecp5_regpack.pack(design, "dut")
    assert stats.dp16kd_outreg_ports == 0, reason
    assert stats.skipped["dp16kd_port"] == 1, reason
    assert len(cells(design, "TRELLIS_FF")) == ffs_before
    assert all(c["parameters"]["REGMODE_A"] == c["parameters"]["REGMODE_B"] == "NOREG" for c in cells(design, "DP16KD"))


def test_multiplier_registers_are_packed(tmp_path: Path) -> None:
    design = synthesise(tmp_path, MULT_DESIGN.replace("`INPUT_REGS", "a2 <= a1; b2 <= b1;"))
    ffs_before = len(cells(design, "TRELLIS_FF"))
    stats = ecp5_regpack.pack(design, "dut")
    (mult,) = cells(design, "MULT18X18D")
    params = mult["parameters"]
    assert [params[f"REG_{r}_CLK"] for r in ("INPUTA", "INPUTB", "PIPELINE", "OUTPUT")] == ["CLK0"] * 4
    assert stats.flip_flops_removed == 8 + 9 + 17 + 17  # a2, b2, m, p; a1 and b1 stay in the fabric
    assert len(cells(design, "TRELLIS_FF")) == ffs_before - stats.flip_flops_removed
    clk_bit = design["modules"]["dut"]["ports"]["clk"]["bits"][0]
    assert mult["connections"]["CLK0"] == [clk_bit] and mult["connections"]["CE0"] == ["1"]


def test_multiplier_inputs_with_reset_stay(tmp_path: Path) -> None:
    source = MULT_DESIGN.replace("`INPUT_REGS", "if (rst) begin a2 <= 0; b2 <= 0; end else begin a2 <= a1; b2 <= b1; end")
    design = synthesise(tmp_path, source)
    stats = ecp5_regpack.pack(design, "dut")
    (mult,) = cells(design, "MULT18X18D")
    assert stats.skipped["mult18x18d_inputs"] == 1
    assert mult["parameters"].get("REG_INPUTA_CLK", "NONE") == mult["parameters"].get("REG_INPUTB_CLK", "NONE") == "NONE"
    assert mult["parameters"]["REG_PIPELINE_CLK"] == mult["parameters"]["REG_OUTPUT_CLK"] == "CLK0"


def test_unknown_top_is_named(tmp_path: Path) -> None:
    design = synthesise(tmp_path, MULT_DESIGN.replace("`INPUT_REGS", "a2 <= a1; b2 <= b1;"))
    with pytest.raises(ValueError, match="module 'deltamac_top' is not in the netlist \\(top: dut\\)"):
        ecp5_regpack.pack(design, "deltamac_top")


def test_cli_needs_a_top_when_none_is_marked(tmp_path: Path, capsys) -> None:
    netlist = tmp_path / "none.json"
    netlist.write_text(json.dumps({"modules": {"a": {"cells": {}}, "b": {"cells": {}}}}))
    with pytest.raises(SystemExit):
        ecp5_regpack.main([str(netlist), str(tmp_path / "out.json")])
    assert "0 modules marked top; name the one to pack with --top" in capsys.readouterr().err
    assert not (tmp_path / "out.json").exists()
