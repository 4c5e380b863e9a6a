"""Shared glue for the cocotb testbenches: one Icarus build directory per parameter set.

Every testbench folder `sim/<module>/test_<module>.py` holds a TB class, the cocotb tests and a
pytest-parametrised runner that calls `run_cocotb`. Each parameter set gets its own build
directory (named from the parameters), so `pytest -n auto` never shares a build between workers.
Set `WAVES=1` for an FST waveform in that build directory.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Mapping, Sequence

from cocotb_tools.runner import get_runner

REPO = Path(__file__).resolve().parents[1]
RTL_DIR = REPO / "rtl"
SIM_BUILD = REPO / "sim_build"

INSTALL_HINT = {
    "iverilog": "apt-get install iverilog   (or run `make setup`)",
    "verilator": "apt-get install verilator   (or run `make setup`)",
    "yosys": "apt-get install yosys   (or run `make setup`)",
    "yosys-smtbmc": "apt-get install yosys   (or run `make setup`)",
    "z3": "apt-get install z3   (or run `make setup`)",
}


def require_tool(name: str) -> str:
    """Return the path of an external tool, or fail loudly with how to install it."""
    path = shutil.which(name)
    if path is None:
        hint = INSTALL_HINT.get(name, "see README.md")
        raise RuntimeError(f"required tool '{name}' is not on PATH; install it with: {hint}")
    return path


def rtl(*names: str) -> list[Path]:
    """Paths of RTL files in rtl/, in the order given (dependency order: packages first)."""
    paths = [RTL_DIR / name for name in names]
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"RTL source missing: {path}")
    return paths


def sv_string(value: str | os.PathLike) -> str:
    """Quote a string parameter (e.g. a ROM init file path) for `iverilog -P`."""
    return f'"{value}"'


def build_name(parameters: Mapping[str, object], tag: str = "") -> str:
    """A readable, collision-free build directory name for one parameter set."""
    text = "_".join(f"{k}{v}" for k, v in sorted(parameters.items()))
    readable = "".join(c if c.isalnum() else "-" for c in text)[:80]
    digest = hashlib.sha1(f"{tag}|{text}".encode()).hexdigest()[:8]
    return f"{tag + '_' if tag else ''}{readable}_{digest}"


def run_cocotb(
    toplevel: str,
    sources: Sequence[Path],
    test_file: str | os.PathLike,
    parameters: Mapping[str, object] | None = None,
    extra_env: Mapping[str, str] | None = None,
    tag: str = "",
    testcase: str | Sequence[str] | None = None,
) -> Path:
    """Build `toplevel` with Icarus for one parameter set and run the cocotb tests in `test_file`.

    Call it as `run_cocotb(..., test_file=__file__)` from the testbench's own pytest runner.
    `extra_env` reaches the cocotb test (e.g. paths of exported networks). Returns the build dir.
    Under pytest a failing cocotb test fails the calling pytest test.
    """
    test_path = Path(test_file).resolve()
    require_tool("iverilog")
    parameters = dict(parameters or {})
    build_dir = SIM_BUILD / toplevel / build_name(parameters, tag)
    waves = os.environ.get("WAVES", "0") == "1"
    runner = get_runner("icarus")
    runner.build(
        sources=[str(s) for s in sources],
        hdl_toplevel=toplevel,
        parameters=parameters,
        build_dir=build_dir,
        timescale=("1ns", "1ps"),
        waves=waves,
        always=True,
    )
    runner.test(
        hdl_toplevel=toplevel,
        test_module=test_path.stem,
        build_dir=build_dir,
        test_dir=build_dir,
        extra_env={
            "PYTHONPATH": os.pathsep.join([str(test_path.parent), str(REPO), os.environ.get("PYTHONPATH", "")]),
            **(extra_env or {}),
        },
        waves=waves,
        testcase=testcase,
    )
    return build_dir


def expect_elaboration_failure(
    toplevel: str,
    sources: Sequence[Path],
    parameters: Mapping[str, object],
    messages: Sequence[str],
    work_dir: Path,
) -> str:
    """Compile and run `toplevel` with illegal `parameters`; assert it stops with every one of `messages`.

    Icarus reports some illegal widths while compiling and runs elaboration-time `$fatal` when the
    simulation starts, so both steps count. Returns the combined log.
    """
    iverilog, vvp = require_tool("iverilog"), require_tool("vvp")
    work_dir.mkdir(parents=True, exist_ok=True)
    binary = work_dir / f"{toplevel}.vvp"
    overrides = [f"-P{toplevel}.{name}={value}" for name, value in parameters.items()]
    build = subprocess.run(
        [iverilog, "-g2012", "-s", toplevel, "-o", str(binary), *overrides, *map(str, sources)],
        capture_output=True, text=True, check=False,
    )
    log = build.stdout + build.stderr
    if build.returncode == 0:
        run = subprocess.run([vvp, "-n", str(binary)], capture_output=True, text=True, check=False, timeout=120)
        log += run.stdout + run.stderr
        assert run.returncode != 0 or "FATAL" in log.upper(), f"{toplevel}: simulation did not stop:\n{log}"
    for message in messages:
        assert message in log, f"{toplevel}: expected {message!r} in:\n{log}"
    return log
