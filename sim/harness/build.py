"""Build the Verilator whole-test-set harness for one export directory.

    python -m sim.harness.build --export build/s15 [--out-logits 1] [--x-random] [--out DIR] [--jobs 1]

Compiles the files of deltamac.core's default target (the export's generated deltamac_net_pkg.sv,
then rtl/) + deltamac_harness_top.sv + harness.cpp into <out>/harness, for one Variant:
deltamac_top's OUT_LOGITS = 1 (logits and class checked; default <out> = <export>/harness) or 0
(class only, the core's default mode; <export>/harness-class), with X values 0
(`--x-assign fast --x-initial fast`) or, with --x-random, seeded random (`unique`: every
uninitialised register and X assignment differs per --seed; <out> gets the suffix -xrand).
The build is skipped when a stamp of every input (source names and contents, flags, Verilator
version) is unchanged, so `make sim-full` only rebuilds what changed; the driver refuses a binary
whose stamp no longer matches (RTL or package changed since the build). The ROM contents are not
compiled in: $readmemh reads them at run time from the working directory, which sim.harness.run
sets to the export directory after checking it matches the binary.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from model.svpkg import FILE_NAME as SV_PACKAGE_FILE
from scripts.corefile import export_architecture, resolve_target, target_for
from sim.runner import REPO, require_tool

HARNESS_DIR = Path(__file__).resolve().parent
WRAPPER = HARNESS_DIR / "deltamac_harness_top.sv"
MAIN_CPP = HARNESS_DIR / "harness.cpp"
TOP = "deltamac_harness_top"
LUTNET_MAIN_CPP = HARNESS_DIR / "lutnet_harness.cpp"
LUTNET_TOP = "deltamac_lutnet_top"
BINARY_NAME = "harness"
STAMP_NAME = "build.stamp"
VERILATOR_FLAGS = ["--cc", "--exe", "--build", "-O3", "-Wno-fatal"]
# Verilator's default for the generated model is -Os; -O2 needs about 1.5x less CPU time per image
# (measured on the s15-shaped network: 1.0-1.2 s instead of 1.6-1.7 s user time for 2000 images).
MAKE_FLAGS = "OPT_FAST=-O2 OPT_SLOW=-O1 OPT_GLOBAL=-O2"
LUTNET_MAX_NUM_WIDTH = 1 << 22  # bits of the widest constant Verilator accepts (LUT-network packages)


EXPORT_HINT = "export a network into it first (make train CONFIG=<config>, or make rom-random CONFIG=<config>)"


class HarnessBuildError(RuntimeError):
    """Something needed for the build is missing or the build failed."""


@dataclass(frozen=True)
class Variant:
    """What a harness binary is built for besides the export (reported by `harness --describe`)."""

    out_logits: int = 1  # deltamac_top OUT_LOGITS
    x_random: bool = False  # X values seeded random instead of 0

    def __post_init__(self) -> None:
        if self.out_logits not in (0, 1):
            raise HarnessBuildError(f"OUT_LOGITS must be 0 or 1, got {self.out_logits!r}")

    @classmethod
    def described(cls, constants: dict) -> Variant:
        return cls(int(constants["OUT_LOGITS"]), bool(constants["X_RANDOM"]))

    @property
    def dir_name(self) -> str:
        return ("harness" if self.out_logits else "harness-class") + ("-xrand" if self.x_random else "")

    def flags(self) -> list[str]:
        x = "unique" if self.x_random else "fast"
        return ["--x-assign", x, "--x-initial", x, f"-GOUT_LOGITS={self.out_logits}",
                "-CFLAGS", f"-DHARNESS_X_RANDOM={int(self.x_random)}"]


def architecture_flags(export_dir: Path) -> list[str]:
    """A dataflow export's harness wraps deltamac_dataflow_top (the wrapper's and the C++ main's
    DELTAMAC_DATAFLOW); a LUT network's drives deltamac_lutnet_top directly, its C++ main gets the
    shape from the manifest as defines."""
    architecture = export_architecture(export_dir)
    if architecture == "dataflow":
        return ["-DDELTAMAC_DATAFLOW", "-CFLAGS", "-DDELTAMAC_DATAFLOW"]
    if architecture == "lutnet":
        manifest = json.loads((Path(export_dir) / "manifest.json").read_text())
        defines = {"LUT_IN_PIXELS": manifest["in_features"], "LUT_PIXELS_PER_BEAT": manifest["pixels_per_beat"],
                   "LUT_NUM_CLASSES": manifest["num_classes"], "LUT_SCORE_BITS": manifest["score_bits"]}
        # the package's CONN constant (16 bits per partition input) passes Verilator's default
        # 65,536-bit limit from about 4,000 partition inputs on
        return ["--max-num-width", str(LUTNET_MAX_NUM_WIDTH), "-CFLAGS", " ".join(f"-D{k}={int(v)}" for k, v in defines.items())]
    return []


def harness_top(export_dir: Path) -> str:
    return LUTNET_TOP if export_architecture(export_dir) == "lutnet" else TOP


def harness_files(export_dir: Path) -> list[Path]:
    """The harness's own sources after the design: the wrapper and the C++ main."""
    return [LUTNET_MAIN_CPP] if export_architecture(export_dir) == "lutnet" else [WRAPPER, MAIN_CPP]


def variant_flags(variant: Variant, export_dir: Path) -> list[str]:
    """The variant's flags; deltamac_lutnet_top has no OUT_LOGITS (its scores travel on m_axis_tuser)."""
    flags = variant.flags()
    if export_architecture(export_dir) == "lutnet":
        flags = [f for f in flags if not f.startswith("-GOUT_LOGITS=")]
    return flags


def harness_sources(export_dir: Path, rtl: Sequence[Path] | None = None) -> list[Path]:
    """Verilator inputs in dependency order: deltamac.core's target for the export's architecture
    (`default` or `dataflow`: the export's package first, then the RTL), the wrapper and the C++
    main. `rtl` replaces the core's RTL files (the tests use a deliberately broken deltamac_top)."""
    target = resolve_target(target_for(export_dir), export_dir)
    design = list(target.sources) if rtl is None else [export_dir / SV_PACKAGE_FILE, *map(Path, rtl)]
    missing = [path for path in design if not path.is_file()]
    if missing:
        raise HarnessBuildError(
            "missing sources of deltamac.core target 'default': " + ", ".join(map(str, missing))
            + (f" ({export_dir}: {EXPORT_HINT})" if SV_PACKAGE_FILE in {p.name for p in missing} else "")
        )
    return [*design, *harness_files(export_dir)]


def verilator_version(verilator: str) -> str:
    return subprocess.run([verilator, "--version"], capture_output=True, text=True, check=True).stdout.strip()


def build_command(verilator: str, sources: list[Path], out_dir: Path, variant: Variant, export_dir: Path) -> list[str]:
    """The Verilator command line, without -j (which does not change the result)."""
    return [
        verilator, *VERILATOR_FLAGS, *variant_flags(variant, export_dir), *architecture_flags(export_dir), "-MAKEFLAGS",
        MAKE_FLAGS, "--top-module", harness_top(export_dir),
        "-Mdir", str(out_dir), "-o", BINARY_NAME, *(str(path) for path in sources),
    ]


def build_stamp(export_dir, variant: Variant, rtl=None) -> str:
    """Hash of what the binary is made of: Verilator version, flags, source names and contents.
    Paths are left out, so a copy of an export with the same package still matches."""
    verilator = require_tool("verilator")
    digest = hashlib.sha256()
    digest.update(verilator_version(verilator).encode())
    export_dir = Path(export_dir).resolve()
    digest.update("\0".join([*VERILATOR_FLAGS, *variant_flags(variant, export_dir), *architecture_flags(export_dir),
                             MAKE_FLAGS, harness_top(export_dir)]).encode())
    for path in harness_sources(export_dir, rtl):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def stamp_of(binary: Path) -> str | None:
    """The stamp recorded when `binary` was built (None if there is none)."""
    stamp_file = binary.parent / STAMP_NAME
    return stamp_file.read_text().strip() if stamp_file.is_file() else None


def build_harness(export_dir, out_dir=None, jobs: int = 1, variant: Variant = Variant(), rtl=None, log=print) -> Path:
    """Build (or reuse) the harness binary for export_dir (default out_dir: <export>/<variant.dir_name>)."""
    export_dir = Path(export_dir).resolve()
    if not export_dir.is_dir():
        raise HarnessBuildError(f"build directory {export_dir} does not exist: {EXPORT_HINT}")
    out_dir = Path(out_dir).resolve() if out_dir else export_dir / variant.dir_name
    verilator = require_tool("verilator")
    sources = harness_sources(export_dir, rtl)
    command = [*build_command(verilator, sources, out_dir, variant, export_dir), "-j", str(jobs)]
    stamp = build_stamp(export_dir, variant, rtl)
    binary = out_dir / BINARY_NAME
    if binary.is_file() and stamp_of(binary) == stamp:
        log(f"[harness] {binary} is up to date")
        return binary
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp_file = out_dir / STAMP_NAME
    stamp_file.unlink(missing_ok=True)
    log(f"[harness] verilating {len(sources) - len(harness_files(export_dir))} package + RTL files and the harness ({variant}) "
        f"into {out_dir} (-j {jobs})")
    start = time.monotonic()
    build_log = out_dir / "build.log"
    with build_log.open("w") as handle:
        result = subprocess.run(command, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        tail = "\n".join(build_log.read_text().splitlines()[-30:])
        raise HarnessBuildError(f"Verilator build failed (exit {result.returncode}); last lines of {build_log}:\n{tail}")
    stamp_file.write_text(stamp + "\n")
    log(f"[harness] built {binary} in {time.monotonic() - start:.1f} s")
    return binary


def add_variant_arguments(parser: argparse.ArgumentParser) -> None:
    """--export and the harness variant options, shared by the build and run commands."""
    parser.add_argument("--export", required=True, type=Path, help="export directory, e.g. build/s15")
    parser.add_argument("--out-logits", type=int, default=1, choices=(0, 1),
                        help="harness variant: deltamac_top OUT_LOGITS 1 (logits + class, default) or 0 (class only)")
    parser.add_argument("--x-random", action="store_true",
                        help="harness variant: X values (uninitialised registers, X assignments) seeded random, not 0")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_variant_arguments(parser)
    parser.add_argument("--out", type=Path, help="build directory (default: <export>/harness[-class][-xrand])")
    parser.add_argument("--jobs", type=int, default=1, help="parallel C++ compile jobs (default 1)")
    args = parser.parse_args(argv)
    try:
        build_harness(args.export, args.out, args.jobs, Variant(args.out_logits, args.x_random))
    except RuntimeError as exc:  # HarnessBuildError, or require_tool: Verilator not installed
        print(f"[harness] error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
