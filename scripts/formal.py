"""Formal proofs of the AXI4-Stream behaviour (docs/formal.md): Yosys + yosys-smtbmc with z3.

    python -m scripts.formal [--proof NAME ...] [--keep DIR]

Each proof reads its property wrapper (formal/<module>_props.sv) and the RTL with Yosys's formal
front end, writes an SMT-LIB2 model into build/formal/<proof>/ and runs yosys-smtbmc on it: a
bounded model check of DEPTH steps, and for inductive proofs also the induction step of the same
length (unbounded). The result of every proof goes to build/formal/formal_report.json; a failing
proof names the assertion (file:line) and the step, and the command exits non-zero.

z3 4.8.12 (Debian 12) is slow on the nested function definitions of the model, so smtbmc expands
them itself (--unroll) and restarts the solver for each check (--noincr), which is far faster here.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from scripts.corefile import resolve_target
from sim.runner import REPO, require_tool

BUILD = REPO / "build" / "formal"
SOLVER = "z3"

# The network of the sequencer and top-level proofs: the smallest export that deltamac_top
# elaborates (one layer, so there is no hidden-layer barrier to wait for; P = 2).
TOP_NET_ARGS = ["--topology", "8-3", "--lanes", "2", "--scheme", "fixed_reference", "--weight-bits", "4",
                "--delta-bits", "2", "--group", "row", "--calibration", "random", "--seed", "1"]


class FormalError(RuntimeError):
    """A proof could not be built or run (as opposed to a proof that fails)."""


@dataclass(frozen=True)
class Proof:
    """One proof: a property wrapper, the RTL it instantiates, how deep and how it is proven."""

    name: str
    wrapper: str  # module name; its file is formal/<wrapper>.sv
    rtl: tuple[str, ...]  # repo-relative RTL files in dependency order
    kind: str  # "bmc" or "induction"
    depth: int
    params: Mapping[str, int] = field(default_factory=dict)
    network: bool = False  # reads the package (and, for deltamac_top, the ROMs) of TOP_NET_ARGS
    in_test_suite: bool = True  # False: too slow for make test, run by make formal only

    @property
    def sources(self) -> tuple[str, ...]:
        return (*self.rtl, f"formal/{self.wrapper}.sv")


INPUT_RTL = ("rtl/deltamac_delay.sv", "rtl/deltamac_act_buffer.sv", "rtl/deltamac_framer.sv", "rtl/deltamac_input_stage.sv")
OUTPUT_RTL = ("rtl/deltamac_output_stage.sv",)
# deltamac_top: the RTL of deltamac.core, in its order (package from the export, added by run_proof)
TOP_RTL = tuple(str(path.relative_to(REPO)) for path in resolve_target("default").sources if path.is_relative_to(REPO / "rtl"))

PROOFS = {
    proof.name: proof
    for proof in (
        Proof("input_stage", "deltamac_input_stage_props", INPUT_RTL, "bmc", 20, {"PROOF": 0}),
        Proof("input_stage_counter", "deltamac_input_stage_props", INPUT_RTL, "induction", 2, {"PROOF": 1}),
        # two pixels per beat: 3 beats per image, LANES 4 (a padded last word), images counted in beats
        Proof("input_stage_ppb2", "deltamac_input_stage_props", INPUT_RTL, "bmc", 20,
              {"PROOF": 0, "LANES": 4, "IN_PIXELS": 6, "PIXELS_PER_BEAT": 2}),
        Proof("input_stage_counter_ppb2", "deltamac_input_stage_props", INPUT_RTL, "induction", 2,
              {"PROOF": 1, "LANES": 4, "IN_PIXELS": 6, "PIXELS_PER_BEAT": 2}),
        Proof("output_stage", "deltamac_output_stage_props", OUTPUT_RTL, "bmc", 16, {"PROOF": 0}),
        Proof("output_stage_hold", "deltamac_output_stage_props", OUTPUT_RTL, "induction", 2, {"PROOF": 1}),
        Proof("sequencer", "deltamac_sequencer_props", ("rtl/deltamac_sequencer.sv",), "bmc", 40, network=True),
        Proof("top", "deltamac_top_props", TOP_RTL, "bmc", 20, network=True),
        # Deep enough for results: the network's first result leaves 49 cycles after reset with
        # back-to-back pixels, so the result-side assertions see real results (about 14 minutes).
        Proof("top_deep", "deltamac_top_props", TOP_RTL, "bmc", 52, network=True, in_test_suite=False),
    )
}
TEST_SUITE_PROOFS = sorted(name for name, proof in PROOFS.items() if proof.in_test_suite)


@dataclass
class Result:
    name: str
    kind: str
    depth: int
    result: str  # "pass" or "fail"
    seconds: float
    failures: list[str]  # "file:line" of each failed assertion
    step: int | None  # step of the failure
    phase: str  # "bmc" or "induction step": the run that decided the result
    log: str  # smtbmc log file

    def describe(self) -> str:
        if self.result == "pass":
            reach = f"{self.depth} steps" if self.kind == "bmc" else f"induction, length {self.depth}"
            return f"[formal] {self.name}: PASS ({reach}, {self.seconds:.1f} s)"
        where = ", ".join(self.failures) or "no assertion named (see the log)"
        return f"[formal] {self.name}: FAIL ({self.phase}) at step {self.step}: assertion {where}; log {self.log}"


def _yosys_script(proof: Proof, sources: list[Path], model: Path, roms: Mapping[str, Path]) -> list[str]:
    # -DSYNTHESIS: Yosys 0.23 leaves SYNTHESIS undefined with -formal, and the RTL's simulation
    # checks (`ifndef SYNTHESIS`, $fatal with $time) are not for the formal model.
    chparams = " ".join(f"-chparam {name} {value}" for name, value in proof.params.items())
    return [
        "read_verilog -DSYNTHESIS -formal -sv " + " ".join(str(s) for s in sources),
        # the ROM images of the top-level proof, set on deltamac_top as scripts/open_flow.py does
        *(f'chparam -set {name} "{path}" deltamac_top' for name, path in roms.items() if "rtl/deltamac_top.sv" in proof.rtl),
        f"hierarchy -top {proof.wrapper} {chparams}".rstrip(),
        f"prep -top {proof.wrapper}",
        # `keep` (synthesis directive on the buffer address registers) would hold logic that no
        # property reads
        "setattr -unset keep",
        "memory_nordff",
        "async2sync",
        "chformal -assume -early",
        "opt_clean",
        "setundef -anyseq",
        "opt -keepdc -fast",
        "check -assert",
        "hierarchy -simcheck",
        "flatten",
        "dffunmap",
        "opt_clean",
        f"write_smt2 -wires {model}",
    ]


def _network_sources(work: Path) -> tuple[list[Path], dict[str, Path]]:
    """Export the network of TOP_NET_ARGS into `work` (the model CLI), return its package and ROMs."""
    net = work / "net"
    cmd = [sys.executable, "-m", "model", "export-random", "--out", str(net), *TOP_NET_ARGS]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, check=False)
    if done.returncode != 0:
        raise FormalError(f"export of the formal network failed: {done.stderr.strip()}")
    roms = {f"{stem.upper()}_ROM_FILE": net / f"{stem}.mem" for stem in ("delta", "ref", "bias", "mult")}
    return [net / "deltamac_net_pkg.sv"], roms


_SRC = re.compile(r"Assert failed in \S+: (\S+?):(\d+)\.\d+-(\d+)\.\d+")
_STEP = re.compile(r"(?:Checking assertions in|Trying induction in) step (\d+)")


def _smtbmc(proof: Proof, model: Path, log: Path, induction: bool) -> tuple[bool, list[str], int | None]:
    cmd = [require_tool("yosys-smtbmc"), "-s", SOLVER, "--unroll", "--noincr", "-t", str(proof.depth), str(model)]
    if induction:
        cmd.insert(1, "-i")
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    text = done.stdout + done.stderr
    log.write_text(text)
    if "Status: PASSED" in text and done.returncode == 0:
        return True, [], None
    if "Status: FAILED" not in text:
        raise FormalError(f"{proof.name}: yosys-smtbmc did not finish (exit {done.returncode}); see {log}")
    failures = [f"{Path(m.group(1)).name}:{m.group(3)}" for m in _SRC.finditer(text)]
    steps = [int(m.group(1)) for m in _STEP.finditer(text)]
    return False, sorted(set(failures)), steps[-1] if steps else None


def run_proof(proof: Proof, work: Path | None = None, replace: Mapping[str, Path] | None = None) -> Result:
    """Build and run one proof in `work` (default build/formal/<proof>/).

    `replace` maps repo-relative source paths to other files (the tests' broken copies).
    """
    require_tool("yosys")
    require_tool("yosys-smtbmc")
    require_tool(SOLVER)
    work = work or BUILD / proof.name
    work.mkdir(parents=True, exist_ok=True)
    replace = dict(replace or {})
    unknown = set(replace) - set(proof.sources)
    if unknown:
        raise FormalError(f"{proof.name}: replaced sources {sorted(unknown)} are not among {proof.sources}")
    sources = [replace.get(name, REPO / name) for name in proof.sources]
    roms: dict[str, Path] = {}
    if proof.network:
        package, roms = _network_sources(work)
        sources = package + sources
    script = _yosys_script(proof, sources, work / "model.smt2", roms)
    (work / "model.ys").write_text("\n".join(script) + "\n")
    start = time.monotonic()
    yosys = subprocess.run([require_tool("yosys"), "-q", "-l", str(work / "yosys.log"), "-s", str(work / "model.ys")],
                           capture_output=True, text=True, check=False)
    if yosys.returncode != 0:
        errors = [line for line in (yosys.stdout + yosys.stderr).splitlines() if "ERROR" in line]
        raise FormalError(f"{proof.name}: yosys failed: {' / '.join(errors[-3:])}; see {work / 'yosys.log'}")
    phase, log = "bmc", work / "bmc.log"
    passed, failures, step = _smtbmc(proof, work / "model.smt2", log, induction=False)
    if passed and proof.kind == "induction":
        phase, log = "induction step", work / "induction.log"
        passed, failures, step = _smtbmc(proof, work / "model.smt2", log, induction=True)
    seconds = time.monotonic() - start
    return Result(proof.name, proof.kind, proof.depth, "pass" if passed else "fail", round(seconds, 2),
                  failures, step, phase, str(log))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.formal", description=__doc__.splitlines()[0])
    parser.add_argument("--proof", action="append", choices=sorted(PROOFS), help="run only this proof (repeatable)")
    parser.add_argument("--keep", type=Path, help="work directories and report under DIR instead of build/formal/")
    args = parser.parse_args(argv)
    root = args.keep or BUILD
    report: dict[str, dict] = {}
    failed = []
    try:
        for name in args.proof or list(PROOFS):
            result = run_proof(PROOFS[name], root / name)
            print(result.describe(), flush=True)
            report[name] = {"kind": result.kind, "depth": result.depth, "result": result.result,
                            "seconds": result.seconds, "failures": result.failures, "step": result.step,
                            "phase": result.phase}
            if result.result != "pass":
                failed.append(name)
    except (FormalError, RuntimeError) as exc:
        print(f"[formal] ERROR: {exc}", file=sys.stderr)
        return 2
    root.mkdir(parents=True, exist_ok=True)
    (root / "formal_report.json").write_text(json.dumps(report, indent=2) + "\n")
    if failed:
        print(f"[formal] FAILED: {' '.join(failed)}", file=sys.stderr)
        return 1
    print(f"[formal] all {len(report)} proofs pass (report {root / 'formal_report.json'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
