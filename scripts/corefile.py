"""The deltamac.core file (FuseSoC CAPI2) as the single source of the FPGA file lists.

Every flow reads its sources from here: the Yosys / nextpnr driver (scripts/open_flow.py),
the Vivado TCL (through the Tcl file written by `python -m
scripts.corefile tcl`), and the tests. `build/s15/` in the core file stands for the export
directory of a network (`build/<config>/`, ARCHITECTURE.md section 4) and is replaced by the
directory asked for.

The reader understands the YAML subset the core file is written in (block mappings, block
sequences of scalars, flow sequences `[a, b]`, comments); anything else is rejected with the
line number, so a core file edit cannot be misread silently.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from model.export import FORMAT_VERSION
from model.lutnet_export import LUTNET_VERSION

REPO = Path(__file__).resolve().parents[1]
CORE_FILE = REPO / "deltamac.core"
DEFAULT_BUILD = "build/s15"
DATAFLOW_TOP = "deltamac_dataflow_top"
LUTNET_TOP = "deltamac_lutnet_top"


class CoreFileError(ValueError):
    """The core file is outside the supported subset or lacks an entry."""


def _scalar(text: str, where: str) -> object:
    text = text.strip()
    if text.startswith(("&", "*", "|", ">", "{", "!")) or text.startswith("<<"):
        raise CoreFileError(f"{where}: unsupported YAML construct {text!r}")
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        return [_scalar(item, where) for item in inner.split(",")] if inner else []
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def _strip_comment(line: str) -> str:
    return re.sub(r"(^|\s)#.*$", "", line).rstrip()


def parse_core(text: str, name: str = "core") -> dict:
    """Parse the core file subset into nested dicts/lists."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "CAPI=2:":
        raise CoreFileError(f"{name}:1: a CAPI2 core file starts with 'CAPI=2:'")
    items: list[tuple[int, int, str]] = []
    for number, raw in enumerate(lines[1:], start=2):
        line = _strip_comment(raw)
        if not line.strip():
            continue
        if "\t" in line[: len(line) - len(line.lstrip())]:
            raise CoreFileError(f"{name}:{number}: tab in indentation")
        items.append((number, len(line) - len(line.lstrip()), line.strip()))

    def block(pos: int, indent: int) -> tuple[object, int]:
        number, _, first = items[pos]
        if first.startswith("- "):
            seq: list[object] = []
            while pos < len(items) and items[pos][1] == indent and items[pos][2].startswith("- "):
                number, _, content = items[pos]
                seq.append(_scalar(content[2:], f"{name}:{number}"))
                pos += 1
            return seq, pos
        mapping: dict[str, object] = {}
        while pos < len(items) and items[pos][1] == indent:
            number, _, content = items[pos]
            where = f"{name}:{number}"
            key, sep, rest = content.partition(":")
            if not sep or (rest and not rest.startswith(" ")) or content.startswith("- "):
                raise CoreFileError(f"{where}: expected 'key: value', got {content!r}")
            key = key.strip()
            if key in mapping:
                raise CoreFileError(f"{where}: duplicate key {key!r}")
            pos += 1
            if rest.strip():
                mapping[key] = _scalar(rest, where)
            elif pos < len(items) and items[pos][1] > indent:
                mapping[key], pos = block(pos, items[pos][1])
            else:
                mapping[key] = None
        if pos < len(items) and items[pos][1] > indent:
            raise CoreFileError(f"{name}:{items[pos][0]}: unexpected indentation")
        return mapping, pos

    if not items:
        raise CoreFileError(f"{name}: empty core file")
    tree, end = block(0, items[0][1])
    if end != len(items):
        raise CoreFileError(f"{name}:{items[end][0]}: unexpected indentation")
    return tree  # type: ignore[return-value]


@dataclass(frozen=True)
class Target:
    """One core target resolved for an export directory: what every flow needs to know."""

    name: str
    toplevel: str
    part: str | None
    sources: tuple[Path, ...]  # SystemVerilog in dependency order (package first)
    mem_files: tuple[Path, ...]  # ROM images ($readmemh)
    constraints: tuple[Path, ...]  # XDC files (file_type xdc)
    unmanaged_constraints: tuple[Path, ...]  # Tcl constraint scripts (file_type SDC: read_xdc -unmanaged)

    def files(self) -> tuple[Path, ...]:
        """Every file the target references."""
        return (*self.sources, *self.mem_files, *self.constraints, *self.unmanaged_constraints)

    def missing(self) -> list[Path]:
        """Files the target references that do not exist."""
        return [p for p in self.files() if not p.is_file()]


def load_core(path: Path = CORE_FILE) -> dict:
    """The parsed core file."""
    return parse_core(path.read_text(), str(path))


def _exported_roms(build: Path, check_version: bool) -> set[str] | None:
    """File names of the ROM images the export's manifest lists (None without a manifest).

    An export of an older format has a generated package the RTL cannot read: refused here (when
    check_version), so every flow that takes an export (synthesis, harness, Vivado scripts) says
    how to renew it."""
    manifest = build / "manifest.json"
    if not manifest.is_file():
        return None
    content = json.loads(manifest.read_text())
    if content.get("architecture") == "lutnet":
        if check_version and content.get("lutnet_version") != LUTNET_VERSION:
            raise CoreFileError(
                f"{manifest}: lutnet_version {content.get('lutnet_version')!r}, the RTL reads version {LUTNET_VERSION}; "
                "re-export it: make train CONFIG=<lut config>, or python -m scripts.lutnet_random for a random one")
        return {layer["file"] for layer in content["layers"]}
    version = content.get("format_version")
    if check_version and version != FORMAT_VERSION:
        raise CoreFileError(
            f"{manifest}: export format_version {version}, the RTL needs {FORMAT_VERSION} (its package has "
            "LAYER_ACT_BITS since per-layer formats); re-export it: make rom CONFIG=<config> for a trained "
            "network, make rom-random CONFIG=<config> for a random one")
    if check_version and content.get("architecture") == "dataflow" and "pixels_per_beat" not in content:
        raise CoreFileError(
            f"{manifest}: a dataflow export made before PIXELS_PER_BEAT (its package lacks the constant the RTL "
            "reads); re-export it: make rom CONFIG=<config> for a trained network, or python -m model export-random "
            "--folding ... for a random one")
    return {rom["file"] for rom in content["roms"].values()}


def resolve_target(target: str, build_dir: str | Path = DEFAULT_BUILD, core: dict | None = None,
                   export_needed: bool = True) -> Target:
    """The files of `target` with `build/s15/` replaced by `build_dir` (absolute paths).

    ROM images the export does not have (ref.mem of a `plain` network, per its manifest.json)
    are left out, so that the top keeps its default for that unused parameter. export_needed:
    the export will be used, so one of an older format is an error (CoreFileError).
    """
    core = core if core is not None else load_core()
    try:
        spec = core["targets"][target]
    except KeyError:
        raise CoreFileError(f"deltamac.core has no target {target!r}") from None
    build = (REPO / build_dir).resolve()
    by_type: dict[str, list[Path]] = {"systemVerilogSource": [], "mem": [], "xdc": [], "SDC": []}
    for fileset in spec["filesets"]:
        try:
            entry = core["filesets"][fileset]
        except KeyError:
            raise CoreFileError(f"target {target!r} uses unknown fileset {fileset!r}") from None
        file_type = entry["file_type"]
        if file_type not in by_type:
            raise CoreFileError(f"fileset {fileset!r}: unsupported file_type {file_type!r}")
        for name in entry["files"]:
            if name.startswith(DEFAULT_BUILD + "/"):
                by_type[file_type].append(build / name[len(DEFAULT_BUILD) + 1 :])
            else:
                by_type[file_type].append(REPO / name)
    roms = _exported_roms(build, export_needed)
    if roms is not None:
        by_type["mem"] = [p for p in by_type["mem"] if p.parent != build or p.name in roms]
    part = (spec.get("tools") or {}).get("vivado", {}).get("part")
    return Target(
        name=target,
        toplevel=spec["toplevel"],
        part=part,
        sources=tuple(by_type["systemVerilogSource"]),
        mem_files=tuple(by_type["mem"]),
        constraints=tuple(by_type["xdc"]),
        unmanaged_constraints=tuple(by_type["SDC"]),
    )


def require_files(target: Target) -> None:
    """Fail loudly, naming every missing file and how to produce the export."""
    missing = target.missing()
    if missing:
        listing = "\n  ".join(str(p) for p in missing)
        raise FileNotFoundError(
            f"target {target.name!r} references missing files:\n  {listing}\n"
            "export a network first (e.g. `python -m model export-random --out build/<config> ...`, "
            "see docs/fpga.md) and check that every RTL file of deltamac.core exists"
        )


def rom_parameters(target: Target) -> dict[str, Path]:
    """The top-level ROM file parameters: delta.mem -> DELTA_ROM_FILE, and so on; the dataflow top
    takes the directory of its l<l>_*.mem images instead (ROM_DIR), the LUT-network top that of
    its lut_l<l>.mem tables (ROM_DIR)."""
    if target.toplevel in (DATAFLOW_TOP, LUTNET_TOP):
        return {"ROM_DIR": target.mem_files[0].parent} if target.mem_files else {}
    return {f"{path.stem.upper()}_ROM_FILE": path for path in target.mem_files}


def export_architecture(build_dir: str | Path) -> str:
    """The architecture of an export: "overlay" (deltamac_top; also without a manifest or key),
    "dataflow" (deltamac_dataflow_top) or "lutnet" (deltamac_lutnet_top)."""
    manifest = (REPO / build_dir) / "manifest.json"
    if not manifest.is_file():
        return "overlay"
    return json.loads(manifest.read_text()).get("architecture", "overlay")


# The dataflow core's version of an overlay target (a target missing here has none).
DATAFLOW_TARGETS = {"default": "dataflow", "synth": "dataflow_synth", "dataflow": "dataflow",
                    "dataflow_synth": "dataflow_synth"}
# The LUT-network core's version of an overlay target (a target missing here has none).
LUTNET_TARGETS = {"default": "lutnet", "synth": "lutnet_synth", "lutnet": "lutnet", "lutnet_synth": "lutnet_synth"}
ARCHITECTURE_TARGETS = {"dataflow": DATAFLOW_TARGETS, "lutnet": LUTNET_TARGETS}


def target_for(build_dir: str | Path, overlay_target: str = "default") -> str:
    """The core target that builds an export: for a dataflow (LUT-network) export the dataflow
    (lutnet) version of overlay_target (CoreFileError if it has none, e.g. the UART board top),
    else overlay_target."""
    architecture = export_architecture(build_dir)
    targets = ARCHITECTURE_TARGETS.get(architecture)
    if targets is None:
        return overlay_target
    if overlay_target not in targets:
        core = "LUT-network" if architecture == "lutnet" else "dataflow"
        other = any(overlay_target in table for table in ARCHITECTURE_TARGETS.values())
        builds = "another architecture's core" if other else "the shared-lane core only"
        raise CoreFileError(f"{build_dir} is a {core} export; deltamac.core target {overlay_target!r} builds {builds} "
                            f"({core} targets: {', '.join(sorted(set(targets.values())))})")
    return targets[overlay_target]


def rtl_digest(target: str = "dataflow") -> str:
    """Hash of the hand-written RTL sources of a core file target (not the generated package):
    what a cached synthesis or simulation result is only valid for."""
    digest = hashlib.sha256()
    for path in sorted(p for p in resolve_target(target, REPO / "build" / "none").sources if REPO / "rtl" in p.parents):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _tcl_list(paths: tuple[Path, ...]) -> str:
    return "[list " + " ".join("{" + str(p) + "}" for p in paths) + "]"


def tcl_text(target: Target) -> str:
    """A Tcl file setting the variables the Vivado scripts read (scripts/vivado_*.tcl)."""
    if target.part is None:
        raise CoreFileError(f"deltamac.core target {target.name!r} names no tools: vivado: part")
    return "\n".join(
        [
            f"# Generated from deltamac.core target {target.name!r} by scripts/corefile.py; do not edit.",
            f"set deltamac_target {target.name}",
            f"set deltamac_top {target.toplevel}",
            f"set deltamac_part {target.part}",
            f"set deltamac_sources {_tcl_list(target.sources)}",
            f"set deltamac_mem_files {_tcl_list(target.mem_files)}",
            f"set deltamac_constraints {_tcl_list(target.constraints)}",
            f"set deltamac_unmanaged_constraints {_tcl_list(target.unmanaged_constraints)}",
            "set deltamac_rom_parameters [dict create "
            + " ".join(f"{name} {{{path}}}" for name, path in rom_parameters(target).items())
            + "]",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["tcl", "list"], help="tcl: write a Tcl variables file; list: print files")
    parser.add_argument("--target", default="default", help="core target (default, lint, synth, board; for a dataflow export default and synth "
                        "mean dataflow and dataflow_synth, for a LUT-network export lutnet and lutnet_synth)")
    parser.add_argument("--build", default=DEFAULT_BUILD, help="export directory build/<config>")
    parser.add_argument("--out", type=Path, help="output file (tcl)")
    parser.add_argument(
        "--repo-only", action="store_true",
        help="list: only the repository's own files (RTL, constraints), no export needed",
    )
    args = parser.parse_args(argv)
    repo_only = args.command == "list" and args.repo_only
    name = args.target if repo_only else target_for(args.build, args.target)
    target = resolve_target(name, args.build, export_needed=not repo_only)
    if args.command == "list" and args.repo_only:
        build = (REPO / args.build).resolve()
        own = [p for p in target.files() if build not in p.parents]
        missing = [p for p in own if not p.is_file()]
        if missing:
            raise FileNotFoundError(f"deltamac.core lists missing files: {', '.join(map(str, missing))}")
        print("\n".join(map(str, own)))
        return 0
    require_files(target)
    if args.command == "list":
        for path in target.files():
            print(path)
        return 0
    if args.out is None:
        parser.error("tcl needs --out")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(tcl_text(target))
    print(f"[corefile] wrote {args.out} (target {target.name}, top {target.toplevel}, part {target.part})")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (CoreFileError, FileNotFoundError) as exc:
        sys.exit(f"python -m scripts.corefile: error: {exc}")
