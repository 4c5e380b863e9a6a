"""Summary table of one configuration, from the JSON reports the flow wrote into build/<config>/.

    python -m scripts.summary --build build/s15

Reads report.json (training), rtl_report.json (Verilator harness) and, when present,
synth_xc7.json (Yosys) and pnr_ecp5.json (nextpnr). Prints a Markdown table and writes it to
build/<config>/summary.md. A missing training or RTL report is an error that names the command
that makes it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

PUBLISHED_ACC = 0.786  # published 4-bit delta result on FashionMNIST
REQUIRED = {
    "report.json": "make train CONFIG=<config>",
    "rtl_report.json": "make sim-full CONFIG=<config>",
}


def read_report(build: Path, name: str, required: bool) -> dict | None:
    path = build / name
    if not path.is_file():
        if required:
            raise SystemExit(f"summary: {path} is missing; run `{REQUIRED[name].replace('<config>', build.name)}` first")
        return None
    return json.loads(path.read_text())


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.2f}%"


def summary_rows(build: Path) -> list[tuple[str, str]]:
    train = read_report(build, "report.json", required=True)
    rtl = read_report(build, "rtl_report.json", required=True)
    synth = read_report(build, "synth_xc7.json", required=False)
    pnr = read_report(build, "pnr_ecp5.json", required=False)
    rows = lutnet_rows(train, rtl) if train.get("architecture") == "lutnet" else mac_rows(train, rtl)
    if synth:
        rows.append(("Yosys xc7 resources",
                     f"{synth['lut']} LUT, {synth['ff']} FF, {synth['dsp48e1']} DSP48E1, "
                     f"{synth['ramb36_equiv']} RAMB36 eq., fits XC7S15: {synth['fits_xc7s15']}"))
    if synth and synth.get("lutnet_chunks"):
        chunks = synth["lutnet_chunks"]
        rows.append(("Yosys xc7 time", f"{synth['runtime_s']:.0f} s ({chunks['chunks']} table chunks, "
                                       f"{chunks['synthesised']} synthesised in {chunks['seconds']:.0f} s, "
                                       f"{chunks['cached']} cached)"))
    if pnr:
        seeds = pnr.get("fmax_mhz_per_seed")  # absent in reports of the single-seed flow
        rows.append(("ECP5 Fmax (nextpnr, worst placer seed)",
                     f"{pnr['fmax_mhz']:.1f} MHz" + (f" over seeds {seeds}" if seeds else "")
                     + (" (out of context)" if pnr.get("out_of_context") else "")))
        rows.append(("latency at that Fmax", f"{1e3 * rtl['latency_cycles'] / pnr['fmax_mhz']:.1f} ns"))
    return rows


def lutnet_rows(train: dict, rtl: dict) -> list[tuple[str, str]]:
    """A LUT network (ARCHITECTURE.md section 7): no weights, tables; one image per clock."""
    layers = ", ".join(f"{n}xF{f}b{b}" for n, f, b in zip(train["partitions"], train["fan_in"], train["beta"]))
    cpi = rtl["cycles_per_image"]
    return [
        ("network", f"LUT network {train['config']}: {train['in_bits']}-bit inputs, partitions {layers}, "
                    f"{train['class_partitions']} per class"),
        ("dataset", train["dataset"]),
        ("table-inference accuracy (10k test)", percent(train["quant_acc"])),
        (f"RTL accuracy ({rtl['images']} images)", f"{percent(rtl['rtl_acc'])}, {rtl['mismatches']} mismatches vs golden"),
        ("table bits", f"{train['table_bits']:,}"),
        ("cycles per image (steady state)", f"{cpi:.3f}" if cpi else "n/a"),
        ("latency (one image, cycles)", str(rtl["latency_cycles"])),
        (f"throughput at {rtl['clock_mhz']} MHz", f"{rtl['images_per_second']:,.0f} images/s" if cpi else "n/a"),
        ("RTL simulation speed", f"{rtl['sim_images_per_second']:,.0f} images/s (Verilator)"),
    ]


def mac_rows(train: dict, rtl: dict) -> list[tuple[str, str]]:
    scheme = train["scheme"] + (f", {train['delta_bits']}-bit deltas" if train.get("delta_bits") else "")
    return [
        ("network", f"{'-'.join(map(str, train['topology']))} ({scheme}, group {train['group']})"),
        ("float accuracy (10k test)", percent(train["float_acc"])),
        ("golden-model integer accuracy (10k test)", percent(train["quant_acc"])),
        (f"RTL accuracy ({rtl['images']} images)", f"{percent(rtl['rtl_acc'])}, {rtl['mismatches']} mismatches vs golden"),
        ("published 4-bit delta accuracy", percent(PUBLISHED_ACC)),
        ("stored weight bits / plain 8-bit",
         f"{train['weight_bits_stored']:,} / {train['weight_bits_plain']:,} "
         f"({100 * train['weight_bits_stored'] / train['weight_bits_plain']:.1f}%)"),
        (("folding (dataflow core)", rtl["folding"]) if rtl.get("architecture") == "dataflow"
         else ("lanes P", str(rtl["lanes"]))),
        ("cycles per image (steady state)", f"{rtl['cycles_per_image']:.1f}"),
        ("MAC-lane utilisation", percent(rtl["mac_utilisation"])),
        ("latency (one image, cycles)", str(rtl["latency_cycles"])),
        (f"throughput at {rtl['clock_mhz']} MHz",
         f"{rtl['images_per_second']:,.0f} images/s, {rtl['macs_per_second'] / 1e6:.1f}M MAC/s "
         f"({rtl['speedup_vs_baseline']:.1f}x the published {rtl['baseline_macs_per_second'] / 1e6:.3f}M MAC/s)"),
        ("RTL simulation speed", f"{rtl['sim_images_per_second']:,.0f} images/s (Verilator)"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", type=Path, required=True, help="build/<config> directory")
    args = parser.parse_args(argv)
    if not args.build.is_dir():
        raise SystemExit(f"summary: build directory {args.build} does not exist; run `make demo` or `make train` first")
    rows = summary_rows(args.build)
    width = max(len(name) for name, _ in rows)
    table = [f"| {'':{width}} | {args.build.name} |", f"|{'-' * (width + 2)}|---|"]
    table += [f"| {name:{width}} | {value} |" for name, value in rows]
    text = "\n".join(table) + "\n"
    (args.build / "summary.md").write_text(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
