"""Run the test images of the export's dataset through the Verilator harness and compare with the golden model.

    python -m sim.harness.run --export build/s15 [--limit N] [--backpressure] [--seed S] [--out-logits 1] [--x-random]

The dataset is the one the export was trained on (`dataset` in <export>/report.json, written by
the trainer; FashionMNIST when there is none), or --dataset.

Steps: load and validate the export (model.export.load_export), check that the harness binary
was compiled for exactly the export's package constants, compute the golden logits and classes
(model.inference), write the images and golden outputs to <harness dir>/run/ (--work), run the binary with the export
directory as working directory (so $readmemh reads its ROMs), compare every result (class and
logits) and write <export>/rtl_report.json. Exit codes: 0 pass, 1 mismatches, 2 bad input or
harness error (reported before any simulation where possible).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.datasets import DATASETS, DatasetError, load_dataset
from model.export import load_export
from model.formats import FormatError
from model.inference import run_network
from model.memfile import MemFileError
from model.network import QuantNetwork, describe_precision
from model.packing import RomLayout, chunks
from model.svpkg import generate_dataflow_package, generate_package
from scripts.corefile import export_architecture
from sim.harness.build import BINARY_NAME, EXPORT_HINT, Variant, add_variant_arguments, build_stamp, stamp_of

CLOCK_MHZ = 100.0
BASELINE_MACS_PER_SECOND = 7.992e6  # published baseline this core is compared against
BACKPRESSURE_IDLE = 0.4  # per-cycle probability that s_axis TVALID stays low (plus rare long gaps)
BACKPRESSURE_STALL = 0.5  # per-cycle probability that m_axis TREADY is low (plus rare long stalls)
BURST_IMAGES = 256  # clean back-to-back images for cycles/image when stalls are injected
SHOW_MISMATCHES = 5
PHASES = {0: "latency", 1: "stream", 2: "burst"}


class HarnessError(RuntimeError):
    """Bad input or a harness failure; the message says what and how to fix it."""


@dataclass
class Results:
    phase: np.ndarray  # [R] phase number (PHASES)
    image: np.ndarray  # [R] image index
    first_cycle: np.ndarray  # [R] edge at which the first pixel was accepted
    done_cycle: np.ndarray  # [R] edge at which the class beat (TLAST) was accepted
    classes: np.ndarray  # [R]
    logits: np.ndarray  # [R, C] int32 as sent on m_axis; [R, 0] when built with OUT_LOGITS = 0

    @classmethod
    def read(cls, path: Path, n_logits: int) -> Results:
        table = np.loadtxt(path, dtype=np.int64, ndmin=2)
        if table.shape[1] != 5 + n_logits:
            raise HarnessError(f"{path}: {table.shape[1]} columns, expected {5 + n_logits}")
        return cls(table[:, 0], table[:, 1], table[:, 2], table[:, 3], table[:, 4], table[:, 5:])

    def select(self, phase: int) -> Results:
        keep = self.phase == phase
        return Results(*(getattr(self, f)[keep] for f in self.__dataclass_fields__))


def expected_constants(net: QuantNetwork, manifest: dict) -> dict:
    """deltamac_net_pkg constants for this network, parsed from the text model.svpkg generates for
    the export's architecture (shared-lane at its lanes, or dataflow at its folding)."""
    if is_dataflow(manifest):
        text = generate_dataflow_package(net, manifest["folding"]["text"], "expected", manifest.get("pixels_per_beat", 1))
    else:
        text = generate_package(net, RomLayout.build(net.topology, net.core_format, manifest["lanes"], net.acc_bits),
                                "expected")
    constants = {}
    for name, value in re.findall(r"localparam int\s+(\w+)\s*=\s*(\d+);", text):
        constants[name] = int(value)
    for name, body in re.findall(r"localparam logic \[[^\]]*\]\s+(\w+)\s*=\s*\{([^}]*)\};", text):
        # Concatenations list the last layer first.
        constants[name] = [int(v) for v in reversed(re.findall(r"32'd(\d+)", body))]
    if len(constants) != text.count("localparam"):
        raise HarnessError(f"cannot parse the package model.svpkg generates (parsed {sorted(constants)}):\n{text}")
    return constants


def is_dataflow(manifest: dict) -> bool:
    return manifest.get("architecture") == "dataflow"


def describe_build(manifest: dict, net: QuantNetwork) -> str:
    """What an export (or a harness compiled for one) is, for messages."""
    shape = f"topology {'-'.join(map(str, net.topology))}"
    if is_dataflow(manifest):
        return f"dataflow, folding {manifest['folding']['text']}, {shape}"
    return f"LANES={manifest['lanes']}, {shape}, scheme {net.core_format.scheme.label}"


def describe(binary: Path) -> dict:
    """The package constants compiled into the binary.

    Run in the binary's own directory, where no ROM files are: $readmemh then only warns, whereas a
    ROM of another export (a different depth) would abort the binary before it could describe itself.
    """
    result = subprocess.run([str(binary), "--describe"], cwd=binary.parent, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise HarnessError(f"{binary} --describe failed (exit {result.returncode}): {result.stderr.strip()}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def check_harness_matches(binary: Path, net: QuantNetwork, manifest: dict, export_dir: Path) -> dict:
    """The compiled package constants must equal the export's; returns them."""
    compiled = describe(binary)
    expected = expected_constants(net, manifest)
    differ = [f"{k}: harness {compiled.get(k)}, export {v}" for k, v in expected.items() if compiled.get(k) != v]
    if differ:
        topology = "-".join(str(n) for n in [compiled["IN_PIXELS"], *compiled["LAYER_N_OUT"]])
        built = ("dataflow" if "ARCHITECTURE" in compiled else f"LANES={compiled.get('LANES')}") + f", topology {topology}"
        raise HarnessError(
            f"harness {binary} was compiled for a different network ({built}) than the export in {export_dir} "
            f"({describe_build(manifest, net)}); differing constants: " + "; ".join(differ)
            + f". Rebuild it: python -m sim.harness.build --export {export_dir}"
        )
    return compiled


def steady_cycles_per_image(done_cycles: np.ndarray) -> float | None:
    """Mean spacing of consecutive results over the middle half of a back-to-back run."""
    n = len(done_cycles)
    if n < 2:
        return None
    lo, hi = (n // 4, n - 1 - n // 4) if n >= 8 else (0, n - 1)
    return float(done_cycles[hi] - done_cycles[lo]) / (hi - lo)


def compare(expected_logits: np.ndarray, expected_classes: np.ndarray, got: Results) -> list[dict]:
    """Every result whose class or logits (when the DUT sent them) differ from the golden model."""
    # m_axis carries 32-bit logits: wider accumulators (ACC_BITS > 32) are compared modulo 2**32.
    want_logits = expected_logits[got.image].astype(np.int32)
    bad = got.classes != expected_classes[got.image]
    if got.logits.shape[1]:
        bad |= np.any(got.logits != want_logits, axis=1)
    return [
        {
            "phase": PHASES[int(got.phase[r])],
            "image": int(got.image[r]),
            "expected_class": int(expected_classes[got.image[r]]),
            "actual_class": int(got.classes[r]),
            "expected_logits": [int(v) for v in want_logits[r]],
            "actual_logits": [int(v) for v in got.logits[r]] if got.logits.shape[1] else None,
        }
        for r in np.flatnonzero(bad)
    ]


def simulate(binary: Path, rom_dir: Path, images: np.ndarray, work_dir: Path, n_logits: int,
             backpressure: bool, seed: int) -> tuple[Results, dict]:
    """Run the harness binary on images, ROMs read from rom_dir; returns results and its summary.

    n_logits: logits per result, NUM_CLASSES for a binary built with OUT_LOGITS = 1, else 0."""
    work_dir.mkdir(parents=True, exist_ok=True)
    images_file, results_file = work_dir / "images.bin", work_dir / "results.txt"
    np.ascontiguousarray(images, dtype=np.uint8).tofile(images_file)
    results_file.unlink(missing_ok=True)
    command = [str(binary), "--images", str(images_file), "--results", str(results_file),
               "--seed", str(seed), "--burst", str(BURST_IMAGES)]
    if backpressure:
        command += ["--idle", str(BACKPRESSURE_IDLE), "--stall", str(BACKPRESSURE_STALL)]
    print(f"[harness] {' '.join(command)}   (cwd {rom_dir})", flush=True)
    start = time.monotonic()
    result = subprocess.run(command, cwd=rom_dir, capture_output=True, text=True)
    wall = time.monotonic() - start
    if result.returncode != 0:
        raise HarnessError(f"harness failed (exit {result.returncode}):\n{result.stdout}{result.stderr}".rstrip())
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    summary["wall_seconds"] = wall
    return Results.read(results_file, n_logits), summary


def build_report(net, manifest, export_dir, results, summary, expected_classes, labels, mismatches,
                 backpressure, seed, variant: Variant) -> dict:
    stream = results.select(1)
    clean = results.select(2) if backpressure else stream
    latency = results.select(0)
    cycles_per_image = steady_cycles_per_image(clean.done_cycle)
    macs = sum(n_in * n_out for n_in, n_out in zip(net.topology[:-1], net.topology[1:]))
    if is_dataflow(manifest):
        # every layer's lanes x neurons work at once; the slowest layer's words set the bound
        lanes = [layer["lanes"] * layer["neurons"] for layer in manifest["layers"]]
        multipliers = sum(lanes)
        word_cycles = max(layer["words"] for layer in manifest["layers"])
    else:
        lanes = multipliers = int(manifest["lanes"])
        word_cycles = sum(chunks(n_in, lanes) * n_out for n_in, n_out in zip(net.topology[:-1], net.topology[1:]))
    images = len(stream.image)
    per_second = CLOCK_MHZ * 1e6 / cycles_per_image if cycles_per_image else None
    return {
        "export": str(export_dir),
        "name": manifest.get("name"),
        "topology": list(net.topology),
        "scheme": net.core_format.scheme.label,
        "weight_bits": net.core_format.weight_bits,
        "delta_bits": net.core_format.delta_bits,
        "bits": describe_precision(net),
        "architecture": manifest.get("architecture", "overlay"),
        "folding": manifest["folding"]["text"] if is_dataflow(manifest) else None,
        "pixels_per_beat": manifest.get("pixels_per_beat", 1),
        "lanes": lanes,
        "out_logits": variant.out_logits,
        "x_random": variant.x_random,
        "images": images,
        "rtl_acc": float(np.mean(stream.classes == labels[stream.image])),
        "golden_acc": float(np.mean(expected_classes[: images] == labels[: images])),
        "mismatches": len(mismatches),
        "first_mismatches": mismatches[:SHOW_MISMATCHES],
        "backpressure": backpressure,
        "idle_probability": BACKPRESSURE_IDLE if backpressure else 0.0,
        "stall_probability": BACKPRESSURE_STALL if backpressure else 0.0,
        "seed": seed,
        "cycles_per_image": cycles_per_image,
        "cycles_per_image_from": (f"burst of {len(clean.image)} images without stalls" if backpressure
                                  else f"stream of {images} images without stalls") + ", middle half",
        "latency_cycles": int(latency.done_cycle[0] - latency.first_cycle[0]),
        "macs_per_image": macs,
        "padded_word_cycles_per_image": word_cycles,
        "mac_utilisation": macs / (multipliers * cycles_per_image) if cycles_per_image else None,
        "padded_utilisation": word_cycles / cycles_per_image if cycles_per_image else None,
        "stream_cycles": int(stream.done_cycle[-1] - stream.first_cycle[0]),
        "sim_seconds": summary["stream_seconds"],
        "sim_images_per_second": images / summary["stream_seconds"] if summary["stream_seconds"] > 0 else None,
        "sim_wall_seconds": summary["wall_seconds"],
        "clock_mhz": CLOCK_MHZ,
        "images_per_second": per_second,
        "macs_per_second": per_second * macs if per_second else None,
        "baseline_macs_per_second": BASELINE_MACS_PER_SECOND,
        "speedup_vs_baseline": per_second * macs / BASELINE_MACS_PER_SECOND if per_second else None,
    }


def export_dataset(export_dir: Path) -> str:
    """The dataset the export was trained on (its report.json), FashionMNIST without one."""
    report = Path(export_dir) / "report.json"
    if not report.is_file():
        return DATASETS[0]
    try:
        return json.loads(report.read_text()).get("dataset", DATASETS[0])
    except json.JSONDecodeError as exc:
        raise HarnessError(f"{report}: not valid JSON ({exc}); re-run the training export") from None


def format_mismatch(m: dict) -> str:
    actual = m["actual_logits"] if m["actual_logits"] is not None else "not sent (harness built with OUT_LOGITS=0)"
    return (f"  image {m['image']} ({m['phase']}): expected class {m['expected_class']}, got {m['actual_class']}\n"
            f"    expected logits {m['expected_logits']}\n    actual logits   {actual}")


def run(export_dir, harness_dir=None, limit=None, backpressure=False, seed=1, report_path=None,
        images=None, labels=None, work_dir=None, variant=Variant(), rtl=None, dataset=None) -> dict:
    """Validate, simulate, compare, write the report; returns it. Raises HarnessError on bad input.

    rtl: the design files the binary was built from instead of the core's RTL (build_harness's
    `rtl`, e.g. a synthesised netlist and its cell models), for the up-to-date check.
    dataset: whose test set runs when no images are given (default: export_dataset)."""
    export_dir = Path(export_dir).resolve()
    if not export_dir.is_dir():
        raise HarnessError(f"build directory {export_dir} does not exist: {EXPORT_HINT}")
    if export_architecture(export_dir) == "lutnet":
        from sim.harness.lutnet import run_lutnet  # it reuses this module's helpers
        return run_lutnet(export_dir, harness_dir, limit, backpressure, seed, report_path, images, labels, work_dir,
                          variant, rtl, dataset)
    try:
        net, manifest = load_export(export_dir)
    except (FormatError, MemFileError) as exc:  # ExportError, PackingError, a malformed .mem file
        raise HarnessError(f"invalid export {export_dir}: {exc}") from None
    harness_dir = Path(harness_dir).resolve() if harness_dir else export_dir / variant.dir_name
    binary = harness_dir / BINARY_NAME
    if not binary.is_file():
        raise HarnessError(f"harness binary {binary} not found: build it with python -m sim.harness.build --export {export_dir}")
    compiled = Variant.described(check_harness_matches(binary, net, manifest, export_dir))
    if stamp_of(binary) != build_stamp(export_dir, compiled, rtl):
        raise HarnessError(
            f"harness {binary} is out of date: the RTL, the export's package or sim/harness/ changed since it "
            f"was built. Rebuild it: python -m sim.harness.build --export {export_dir} --out-logits "
            f"{compiled.out_logits}{' --x-random' if compiled.x_random else ''}"
        )
    images_given = images is not None
    if not images_given:
        dataset = dataset or export_dataset(export_dir)
        try:
            images, labels = load_dataset(dataset, "test")
        except DatasetError as exc:
            raise HarnessError(str(exc)) from None
    if limit is not None:
        if limit < 1:
            raise HarnessError(f"LIMIT must be a positive number of images, got {limit}")
        images, labels = images[:limit], labels[:limit]
    expected_logits = run_network(net, images)
    expected_classes = np.argmax(expected_logits, axis=1)  # model.inference.predict's rule: ties to lowest index
    work_dir = Path(work_dir) if work_dir else harness_dir / "run"
    work_dir.mkdir(parents=True, exist_ok=True)
    np.savetxt(work_dir / "golden.txt", np.column_stack([np.arange(len(images)), expected_classes, expected_logits]),
               fmt="%d", header="image class logits (golden model, for comparison with results.txt)")
    results, summary = simulate(binary, export_dir, images, work_dir, net.n_classes if compiled.out_logits else 0,
                                backpressure, seed)
    if len(results.select(1).image) != len(images):
        raise HarnessError(f"harness returned {len(results.select(1).image)} stream results for {len(images)} images")
    mismatches = compare(expected_logits, expected_classes, results)
    report = build_report(net, manifest, export_dir, results, summary, expected_classes, np.asarray(labels),
                          mismatches, backpressure, seed, compiled)
    report["dataset"] = None if images_given else dataset  # None: the caller's images
    report_path = Path(report_path) if report_path else export_dir / "rtl_report.json"
    report_path.write_text(json.dumps(report, indent=2) + "\n")
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_variant_arguments(parser)
    parser.add_argument("--harness", type=Path, help="harness build directory (default: <export>/harness[-class][-xrand])")
    parser.add_argument("--limit", type=int, help="only the first N test images (default: all 10,000)")
    parser.add_argument("--dataset", choices=DATASETS, help="test set (default: the export's, from its report.json)")
    parser.add_argument("--backpressure", action="store_true", help="seeded random idle beats and output backpressure")
    parser.add_argument("--seed", type=int, default=1, help="seed of the idle/backpressure pattern (default 1)")
    parser.add_argument("--report", type=Path, help="report path (default: <export>/rtl_report.json)")
    parser.add_argument("--work", type=Path, help="images and raw results (default: <harness>/run)")
    args = parser.parse_args(argv)
    try:
        report = run(args.export, args.harness, args.limit, args.backpressure, args.seed, args.report,
                     work_dir=args.work, variant=Variant(args.out_logits, args.x_random), dataset=args.dataset)
    except HarnessError as exc:
        print(f"[harness] error: {exc}", file=sys.stderr)
        return 2
    cpi = report["cycles_per_image"]
    print(f"[harness] {report['images']} images: rtl_acc {report['rtl_acc']:.4f}, golden_acc {report['golden_acc']:.4f}, "
          f"mismatches {report['mismatches']}")
    if cpi and report["architecture"] == "lutnet":
        print(f"[harness] {cpi:.3f} cycles/image ({1 / cpi:.3f} images per clock), latency {report['latency_cycles']} "
              f"cycles; at {CLOCK_MHZ:.0f} MHz {report['images_per_second']:.3e} images/s")
    elif cpi:
        print(f"[harness] {cpi:.1f} cycles/image, latency {report['latency_cycles']} cycles, MAC utilisation "
              f"{report['mac_utilisation']:.3f} (padded-word bound {report['padded_utilisation']:.3f}); at "
              f"{CLOCK_MHZ:.0f} MHz {report['images_per_second']:.0f} images/s, {report['macs_per_second']:.3e} MAC/s "
              f"({report['speedup_vs_baseline']:.1f}x the {BASELINE_MACS_PER_SECOND:.3e} MAC/s baseline)")
    else:
        print(f"[harness] latency {report['latency_cycles']} cycles; cycles/image needs at least 2 images")
    print(f"[harness] simulated {report['images']} images in {report['sim_seconds']:.1f} s "
          f"({report['sim_images_per_second']:.0f} images/s); report: {args.report or Path(args.export) / 'rtl_report.json'}")
    if report["mismatches"]:
        print(f"[harness] FAIL: {report['mismatches']} results differ from the golden model; first ones:", file=sys.stderr)
        for m in report["first_mismatches"]:
            print(format_mismatch(m), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    # Run the imported module, not this __main__ copy, so that sim.harness.lutnet (which imports
    # sim.harness.run) raises the HarnessError that main catches.
    from sim.harness import run as harness_run

    sys.exit(harness_run.main())
