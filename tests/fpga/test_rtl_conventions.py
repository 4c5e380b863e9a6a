"""RTL conventions that let the core sit beside third-party RTL (issue #16's integration lessons).

Every file sets its own compiler directives (`resetall, `timescale 1ns / 1ps, `default_nettype
none) and restores them at its end, so that a library declaring a timescale does not make
Verilator stop with TIMESCALEMOD; no function declares a loop variable in its `for` header
(Icarus 11 mis-simulates another module of the same design next to such automatic functions).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from scripts.corefile import REPO, require_files, resolve_target
from sim.runner import require_tool

RTL_FILES = sorted((REPO / "rtl").rglob("*.sv"))
HEADER = ("`resetall", "`timescale 1ns / 1ps", "`default_nettype none")
FUNCTION = re.compile(r"\bfunction\b(.*?)\bendfunction\b", re.S)
LOOP_DECLARATION = re.compile(r"\bfor\s*\(\s*(int|integer|logic|bit|byte|shortint|longint)\b")


def directive_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.startswith("`") and not line.startswith("`if")
            and not line.startswith("`else") and not line.startswith("`endif")]


@pytest.mark.parametrize("path", RTL_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_file_sets_and_restores_its_directives(path: Path) -> None:
    text = path.read_text()
    first_unit = re.search(r"^(module|package|interface)\b", text, re.M)
    assert first_unit, f"{path}: no module or package"
    assert directive_lines(text[:first_unit.start()]) == list(HEADER), (
        f"{path}: must start with {' / '.join(HEADER)} before its first module or package")
    assert text.rstrip().endswith("`resetall"), f"{path}: must end with `resetall"


@pytest.mark.parametrize("path", RTL_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_functions_declare_loop_variables_at_function_scope(path: Path) -> None:
    for body in FUNCTION.findall(path.read_text()):
        name = body.split("(")[0].split()[-1]
        assert not LOOP_DECLARATION.search(body), (
            f"{path}: function {name} declares a loop variable in its for header; declare it at function scope "
            "(Icarus 11 workaround)")


def test_core_beside_a_library_with_a_timescale(small_export: Path, tmp_path: Path) -> None:
    """Verilator -Wall of a user's top (with its own timescale) instantiating the core: no TIMESCALEMOD."""
    target = resolve_target("default", small_export)
    require_files(target)
    user_top = tmp_path / "user_top.v"
    user_top.write_text(
        "`timescale 1ns / 1ps\n"
        "module user_top (input wire clk, input wire rst, input wire [7:0] tdata, input wire tvalid,\n"
        "                 output wire tready, input wire tlast, output wire [31:0] result, output wire result_valid,\n"
        "                 output wire result_last, output wire busy);\n"
        "  wire unused_frame_error;\n"
        "  wire [15:0] unused_dropped, unused_swallowed;\n"
        "  wire [31:0] unused_images, unused_cycles, unused_loads, unused_load_errors;\n"
        "  wire unused_load_tready, unused_weights_valid;\n"
        "  deltamac_top u_core (.clk(clk), .rst(rst), .s_axis_tdata(tdata), .s_axis_tvalid(tvalid),\n"
        "    .s_axis_tready(tready), .s_axis_tlast(tlast), .s_axis_tuser(1'b0), .m_axis_tdata(result),\n"
        "    .m_axis_tvalid(result_valid), .m_axis_tready(1'b1), .m_axis_tlast(result_last), .status_busy(busy),\n"
        "    .status_frame_error(unused_frame_error), .status_dropped(unused_dropped),\n"
        "    .status_swallowed(unused_swallowed), .status_images(unused_images), .status_cycles(unused_cycles),\n"
        "    .s_axis_load_tdata(32'd0), .s_axis_load_tvalid(1'b0), .s_axis_load_tready(unused_load_tready),\n"
        "    .s_axis_load_tlast(1'b0), .status_weights_valid(unused_weights_valid), .status_loads(unused_loads),\n"
        "    .status_load_errors(unused_load_errors));\n"
        "endmodule\n"
    )
    result = subprocess.run(
        [require_tool("verilator"), "--lint-only", "-Wall", "-Wno-UNUSEDSIGNAL", "--top-module", "user_top",
         *map(str, target.sources), str(user_top)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0 and "%Warning" not in result.stderr, result.stderr
