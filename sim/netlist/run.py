"""Simulate the synthesised netlist of deltamac_top against the golden model (make sim-netlist).

    python -m sim.netlist.run --export build/s15 --netlist xc7|ecp5 [--limit N] [--out-logits 1] [--jobs 1]
                              [--netlist-file FILE]

Steps, all in <export>/netlist-<netlist>/:
1. Synthesis with the open flow's own code (scripts/open_flow.py): `xc7` the synth_xilinx run of
   `make synth`, `ecp5` the synth_ecp5 run of `make pnr` followed by our register packing
   (scripts/ecp5_regpack.py), written as Verilog. The top's OUT_LOGITS is the harness variant's
   (default 1, so the logits are compared too; `--out-logits 0` is exactly `make synth`'s netlist).
2. The cell library: Yosys's own <family>/cells_sim.v, without the cells Yosys 0.23 only declares
   (ports and timing, no behaviour: xc7 RAMB18E1/RAMB36E1, ecp5 DP16KD), plus our behavioural
   models of those and of MULT18X18D (a black box in Yosys) from sim/netlist/<netlist>/.
3. The Verilator harness of sim/harness, built with the netlist and the cell library in place of
   the RTL, runs the test images and compares every class and logit with the golden model.
4. The RTL harness runs the same images; the netlist must take exactly the RTL's cycles (per
   image, latency, whole stream).
The report is <export>/netlist_<netlist>.json. Exit codes: 0 pass, 1 mismatches or different
cycles, 2 bad input, a missing tool or a failed build.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

from scripts import open_flow
from sim.harness import run as harness_run
from scripts.corefile import export_architecture
from sim.harness.build import LUTNET_TOP, Variant, add_variant_arguments, build_harness, verilator_version
from sim.runner import require_tool

NETLISTS = ("xc7", "ecp5")
MODEL_DIR = Path(__file__).resolve().parent
TOP = "deltamac_top"
# Yosys cell library of each netlist, relative to Yosys's data directory.
CELL_LIBRARY = {"xc7": "xilinx/cells_sim.v", "ecp5": "ecp5/cells_sim.v"}
# Cells that Yosys 0.23's library declares without behaviour; sim/netlist/<netlist>/ models them.
DECLARED_ONLY = {"xc7": ("RAMB18E1", "RAMB36E1"), "ecp5": ("DP16KD",)}
# The netlist must take exactly the RTL's cycles: these harness report fields must be equal.
CYCLE_FIELDS = ("cycles_per_image", "latency_cycles", "stream_cycles")
FLOW = {
    "xc7": "yosys synth_xilinx -family xc7 -flatten -noiopad (make synth), Xilinx cell models",
    "ecp5": "yosys synth_ecp5 (make pnr) + scripts/ecp5_regpack.py, ECP5 cell models",
}


class NetlistError(RuntimeError):
    """The netlist or its cell library cannot be prepared; the message names the file."""


def _without_module(text: str, name: str, source: Path) -> str:
    """text without `module name ... endmodule`, which must have no behaviour (a declaration)."""
    match = re.search(rf"^module {name}\b.*?^endmodule\b", text, flags=re.S | re.M)
    if match is None:
        raise NetlistError(f"{source}: no module {name} (a different Yosys version?); "
                           f"sim/netlist expects Yosys 0.23's declaration-only {name}")
    if re.search(r"\b(always|assign|initial)\b", match.group(0)):
        raise NetlistError(f"{source}: module {name} now has behaviour; use it and remove our model "
                           f"{MODEL_DIR}/<netlist>/{name}.v")
    return text[: match.start()] + f"// {name}: declaration only in Yosys, modelled in sim/netlist/\n" + text[match.end():]


def _inline_includes(text: str, directory: Path) -> str:
    """text with each `include "file"` replaced by the file (so the copy compiles from anywhere)."""
    return re.sub(r'^`include "([^"]+)"', lambda m: (directory / m.group(1)).read_text(), text, flags=re.M)


def cell_library(netlist: str, out_dir: Path) -> list[Path]:
    """Yosys's cell library for `netlist` without the declaration-only cells, written to out_dir,
    followed by our models of those cells (and of the black boxes)."""
    source = open_flow.yosys_data_dir() / CELL_LIBRARY[netlist]
    text = _inline_includes(source.read_text(), source.parent)
    for cell in DECLARED_ONLY[netlist]:
        text = _without_module(text, cell, source)
    library = out_dir / f"cells_sim_{netlist}.v"
    library.write_text(f"// {source} without {', '.join(DECLARED_ONLY[netlist])} (written by sim.netlist.run)\n" + text)
    return [library, *sorted((MODEL_DIR / netlist).glob("*.v"))]


def add_top_parameters(netlist: Path, out_logits: int) -> None:
    """Give the netlist's top deltamac_top's parameters, so that the harness wrapper instantiates
    it unchanged; any OUT_LOGITS other than the synthesised one stops the simulation."""
    text = netlist.read_text()
    header = re.search(rf"^module {TOP}\(.*?\);\n", text, flags=re.S | re.M)
    if header is None:
        raise NetlistError(f"{netlist}: no module {TOP}(...) (the synthesis must keep the top's name and ports)")
    declarations = (
        "  // Added by sim.netlist.run: deltamac_top's parameters, for the harness wrapper. The ROM\n"
        "  // contents are in the netlist; the ROM file names are not used.\n"
        f"  parameter OUT_LOGITS = {out_logits};\n"
        + "".join(f'  parameter {rom}_ROM_FILE = "{rom.lower()}.mem";\n' for rom in ("DELTA", "REF", "BIAS", "MULT"))
        + f'  initial if (OUT_LOGITS != {out_logits}) $fatal(1, "netlist synthesised with OUT_LOGITS = {out_logits}");\n'
        # synthesised at the default, one pixel per beat (the wrapper passes the harness's value)
        + "  parameter PIXELS_PER_BEAT = 1;\n"
        + '  initial if (PIXELS_PER_BEAT != 1) $fatal(1, "netlist synthesised with PIXELS_PER_BEAT = 1");\n'
    )
    netlist.write_text(text[: header.end()] + declarations + text[header.end():])


def is_lutnet(export_dir: Path) -> bool:
    """A LUT-network export: the harness drives the netlist's deltamac_lutnet_top itself (no
    wrapper, no OUT_LOGITS; its scores are always compared)."""
    return export_architecture(export_dir) == "lutnet"


def synthesise(export_dir: Path, netlist: str, out: Path, out_logits: int) -> dict:
    """Write the netlist to `out`; returns what the report records of the synthesis."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if is_lutnet(export_dir):
        if netlist == "xc7":
            open_flow.netlist_xc7(export_dir, out, {})
            return {}
        return {"register_packing": open_flow.netlist_ecp5(export_dir, out, {})}
    parameters = {"OUT_LOGITS": out_logits}
    if netlist == "xc7":
        open_flow.netlist_xc7(export_dir, out, parameters)
        info = {}
    else:
        info = {"register_packing": open_flow.netlist_ecp5(export_dir, out, parameters)}
    add_top_parameters(out, out_logits)
    return info


def run_netlist(export_dir, netlist: str, limit=None, variant=Variant(), jobs: int = 1, report_path=None,
                netlist_file=None) -> dict:
    """Synthesise, build, simulate against the golden model and the RTL's cycles; returns the report.

    netlist_file: simulate this netlist, written by an earlier run for the same variant (the
    report's netlist_file, e.g. edited to prove the check fails), instead of synthesising."""
    if netlist not in NETLISTS:
        raise NetlistError(f"NETLIST must be one of {', '.join(NETLISTS)}, got {netlist!r}")
    export_dir = Path(export_dir).resolve()
    if not export_dir.is_dir():
        raise harness_run.HarnessError(f"build directory {export_dir} does not exist: {harness_run.EXPORT_HINT}")
    verilator = require_tool("verilator")  # missing: stop before the synthesis
    work = export_dir / f"netlist-{netlist}"
    start = time.monotonic()
    if netlist_file is None:
        # One file per OUT_LOGITS, so that the class-only run does not overwrite the other's netlist.
        top = LUTNET_TOP if is_lutnet(export_dir) else TOP
        netlist_file = work / f"{top}_{netlist}{'' if variant.out_logits else '_class'}.v"
        print(f"[netlist] synthesising {export_dir} ({netlist}, OUT_LOGITS={variant.out_logits}) into {netlist_file}",
              flush=True)
        synthesis = synthesise(export_dir, netlist, netlist_file, variant.out_logits)
    else:
        netlist_file = Path(netlist_file).resolve()
        if not netlist_file.is_file():
            raise NetlistError(f"--netlist-file {netlist_file} does not exist")
        work.mkdir(parents=True, exist_ok=True)
        synthesis = {"synthesised": False}
    design = [netlist_file, *cell_library(netlist, work)]
    synth_seconds = time.monotonic() - start
    harness_dir = work / variant.dir_name
    build_harness(export_dir, harness_dir, jobs, variant, rtl=design)
    build_seconds = time.monotonic() - start - synth_seconds
    got = harness_run.run(export_dir, harness_dir, limit, report_path=work / "harness_report.json",
                          variant=variant, rtl=design)
    print("[netlist] the RTL on the same images, for its cycles", flush=True)
    build_harness(export_dir, None, jobs, variant)
    rtl = harness_run.run(export_dir, None, limit, report_path=work / "rtl_report.json", variant=variant)
    differ = {key: {"netlist": got[key], "rtl": rtl[key]} for key in CYCLE_FIELDS if got[key] != rtl[key]}
    report = {
        "netlist": netlist,
        "flow": FLOW[netlist],
        "export": str(export_dir),
        "topology": got.get("topology"),
        "lanes": got.get("lanes"),
        "architecture": got.get("architecture", "overlay"),
        "out_logits": variant.out_logits,
        "x_random": variant.x_random,
        "images": got["images"],
        "mismatches": got["mismatches"],
        "first_mismatches": got["first_mismatches"],
        "netlist_acc": got["rtl_acc"],
        "golden_acc": got["golden_acc"],
        "rtl_acc": rtl["rtl_acc"],
        **{key: got[key] for key in CYCLE_FIELDS},
        **{f"rtl_{key}": rtl[key] for key in CYCLE_FIELDS},
        "cycles_match_rtl": not differ,
        "cycles_differ": differ,
        "sim_seconds": got["sim_seconds"],
        "sim_images_per_second": got["sim_images_per_second"],
        "synth_seconds": round(synth_seconds, 1),
        "build_seconds": round(build_seconds, 1),
        "seconds": round(time.monotonic() - start, 1),
        "yosys": open_flow._yosys_version(),
        "verilator": verilator_version(verilator),
        "rtl_revision": open_flow._rtl_revision(),
        "netlist_file": str(netlist_file),
        "cell_library": [str(path) for path in design[1:]],
        **synthesis,
    }
    report_path = Path(report_path) if report_path else export_dir / f"netlist_{netlist}.json"
    report_path.write_text(json.dumps(report, indent=2) + "\n")
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_variant_arguments(parser)
    parser.add_argument("--netlist", choices=NETLISTS, default="xc7", help="xc7 (synth_xilinx) or ecp5 (synth_ecp5 + packing)")
    parser.add_argument("--limit", type=int, help="only the first N test images (default: all 10,000)")
    parser.add_argument("--jobs", type=int, default=1, help="parallel C++ compile jobs (default 1)")
    parser.add_argument("--report", type=Path, help="report path (default: <export>/netlist_<netlist>.json)")
    parser.add_argument("--netlist-file", type=Path,
                        help="simulate this netlist of an earlier run (its report's netlist_file) instead of synthesising")
    args = parser.parse_args(argv)
    try:
        report = run_netlist(args.export, args.netlist, args.limit, Variant(args.out_logits, args.x_random),
                             args.jobs, args.report, args.netlist_file)
    except (RuntimeError, FileNotFoundError) as exc:  # HarnessError, HarnessBuildError, NetlistError, yosys, a tool
        print(f"[netlist] error: {exc}", file=sys.stderr)
        return 2
    print(f"[netlist] {report['netlist']}: {report['images']} images, mismatches {report['mismatches']}, netlist_acc "
          f"{report['netlist_acc']:.4f} (golden {report['golden_acc']:.4f}); {report['cycles_per_image']} cycles/image, "
          f"latency {report['latency_cycles']} (RTL {report['rtl_cycles_per_image']}, {report['rtl_latency_cycles']}); "
          f"simulated in {report['sim_seconds']:.1f} s, {report['seconds']:.0f} s in all")
    if report["mismatches"]:
        print(f"[netlist] FAIL: {report['mismatches']} results differ from the golden model; first ones:", file=sys.stderr)
        for m in report["first_mismatches"]:
            print(harness_run.format_mismatch(m), file=sys.stderr)
    if not report["cycles_match_rtl"]:
        print(f"[netlist] FAIL: the netlist's cycles differ from the RTL's: {report['cycles_differ']}", file=sys.stderr)
    return 1 if report["mismatches"] or not report["cycles_match_rtl"] else 0


if __name__ == "__main__":
    sys.exit(main())
