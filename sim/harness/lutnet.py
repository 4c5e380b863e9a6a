"""The whole-test-set harness run of a LUT-network export (deltamac_lutnet_top, ARCHITECTURE.md
section 7); `python -m sim.harness.run` calls it for a manifest with "architecture": "lutnet".

The golden model is model.lutnet (table look-ups); every result's class and class scores (sent on
m_axis_tuser) must equal it. The report has the keys of the MLP report that apply, plus the
sustained rate: images per cycle over the middle half of a back-to-back run.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from model.datasets import DatasetError, load_dataset
from model.lutnet import LutNetError
from model.lutnet_export import load_lutnet_export
from sim.harness.build import BINARY_NAME, Variant, build_stamp, stamp_of
from sim.harness.run import CLOCK_MHZ, BACKPRESSURE_IDLE, BACKPRESSURE_STALL, SHOW_MISMATCHES, HarnessError, compare, \
    export_dataset, simulate, steady_cycles_per_image


def run_lutnet(export_dir: Path, harness_dir=None, limit=None, backpressure=False, seed=1, report_path=None,
               images=None, labels=None, work_dir=None, variant=Variant(), rtl=None, dataset=None) -> dict:
    """sim.harness.run.run for a LUT-network export (same arguments and checks)."""
    try:
        net = load_lutnet_export(export_dir)
    except LutNetError as exc:
        raise HarnessError(f"invalid export {export_dir}: {exc}") from None
    manifest = json.loads((export_dir / "manifest.json").read_text())
    harness_dir = Path(harness_dir).resolve() if harness_dir else export_dir / variant.dir_name
    binary = harness_dir / BINARY_NAME
    if not binary.is_file():
        raise HarnessError(f"harness binary {binary} not found: build it with python -m sim.harness.build --export {export_dir}")
    if stamp_of(binary) != build_stamp(export_dir, variant, rtl):
        raise HarnessError(f"harness {binary} was built for other sources (the RTL, the export's package or "
                           f"sim/harness/ changed since). Rebuild it: python -m sim.harness.build --export {export_dir}")
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
    images = np.asarray(images).reshape(len(images), -1)
    expected_scores = net.scores(images)
    expected_classes = np.argmax(expected_scores, axis=1)  # ties to the lowest index, as the RTL
    work_dir = Path(work_dir) if work_dir else harness_dir / "run"
    work_dir.mkdir(parents=True, exist_ok=True)
    results, summary = simulate(binary, export_dir, images, work_dir, net.spec.num_classes, backpressure, seed)
    stream = results.select(1)
    if len(stream.image) != len(images):
        raise HarnessError(f"harness returned {len(stream.image)} stream results for {len(images)} images")
    mismatches = compare(expected_scores, expected_classes, results)
    latency = results.select(0)
    clean = results.select(2) if backpressure else stream
    cycles_per_image = steady_cycles_per_image(clean.done_cycle)
    labels = np.asarray(labels)
    report = {
        "export": str(export_dir), "name": manifest.get("name"), "architecture": "lutnet",
        "layers": [[layer["n_out"], layer["fan_in"], layer["out_bits"]] for layer in manifest["layers"]],
        "in_bits": manifest["in_bits"], "class_partitions": manifest["class_partitions"],
        "pixels_per_beat": manifest["pixels_per_beat"], "x_random": variant.x_random,
        "images": len(images),
        "rtl_acc": float(np.mean(stream.classes == labels[stream.image])),
        "golden_acc": float(np.mean(expected_classes == labels)),
        "mismatches": len(mismatches), "first_mismatches": mismatches[:SHOW_MISMATCHES],
        "backpressure": backpressure, "idle_probability": BACKPRESSURE_IDLE if backpressure else 0.0,
        "stall_probability": BACKPRESSURE_STALL if backpressure else 0.0, "seed": seed,
        "cycles_per_image": cycles_per_image,
        "cycles_per_image_from": (f"burst of {len(clean.image)} images without stalls" if backpressure
                                  else f"stream of {len(images)} images without stalls") + ", middle half",
        "latency_cycles": int(latency.done_cycle[0] - latency.first_cycle[0]),
        "stream_cycles": int(stream.done_cycle[-1] - stream.first_cycle[0]),
        "sim_seconds": summary["stream_seconds"],
        "sim_images_per_second": len(images) / summary["stream_seconds"] if summary["stream_seconds"] > 0 else None,
        "sim_wall_seconds": summary["wall_seconds"], "clock_mhz": CLOCK_MHZ,
        "images_per_second": CLOCK_MHZ * 1e6 / cycles_per_image if cycles_per_image else None,
        "dataset": None if images_given else dataset,
    }
    report_path = Path(report_path) if report_path else export_dir / "rtl_report.json"
    report_path.write_text(json.dumps(report, indent=2) + "\n")
    return report

