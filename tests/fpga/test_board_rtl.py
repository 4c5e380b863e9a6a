"""The board example RTL passes Verilator -Wall (whole design) and Yosys 0.23 synth_xilinx."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from scripts.corefile import REPO, require_files, resolve_target
from sim.runner import require_tool

UART_MODULES = ("deltamac_sync", "deltamac_uart_rx", "deltamac_uart_tx")


def test_board_top_lints_clean(small_export: Path) -> None:
    target = resolve_target("board", small_export)
    require_files(target)
    result = subprocess.run(
        [require_tool("verilator"), "--lint-only", "-Wall", "--top-module", target.toplevel,
         *map(str, target.sources)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "%Warning" not in result.stderr


@pytest.mark.parametrize("module", UART_MODULES)
def test_uart_module_synthesises(module: str, tmp_path: Path) -> None:
    """Each helper maps to 7-series flip-flops and LUTs without latches or errors."""
    stat = tmp_path / "stat.json"
    source = REPO / "rtl" / "board" / f"{module}.sv"
    script = f"read_verilog -sv {source}; synth_xilinx -family xc7 -top {module} -noiopad; tee -q -o {stat} stat -json"
    result = subprocess.run([require_tool("yosys"), "-q", "-p", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    cells = json.loads(stat.read_text())["design"]["num_cells_by_type"]
    assert cells.get("FDRE", 0) > 0
    assert not [c for c in cells if c.startswith("LD")], f"latch inferred: {cells}"
