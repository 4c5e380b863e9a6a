"""MAC lane cost, DSP against LUT: Yosys synth_xilinx of deltamac_mac_array over weight x activation widths.

    python -m scripts.bench_lanes [--lanes 8] [--weights 2 3 4 5 6 8] [--acts 2 3 4 5 6 8] [--out build/bench]

For every (weight bits W, activation bits A) the array is synthesised twice, with DSP48E1 lanes
(LUT_LANES=0) and with LUT lanes (LUT_LANES=1, rtl/deltamac_lut_mult.sv). Activations are fed A+1
bits wide (an A-bit relu or clamp activation, zero- or sign-extended, as the cores feed them). The
per-lane cost of a LUT multiplier is the LUT difference of the two arrays over the lane count
(the adder tree and accumulator are the same in both). Crossover: on the XC7S15 a DSP48E1 is one of
20 and a LUT one of 8,000, so a LUT lane costs less of the device than a DSP lane while it needs
fewer than 8,000 / 20 = 400 LUTs; the report also gives the widths where a LUT lane needs at most
LUTS_PER_DSP_BUDGET LUTs, the budget at which all 20 DSP lanes' worth of LUT lanes (20 x budget)
stay within a tenth of the device's LUTs. Writes <out>/lanes_xc7.json and lanes_xc7.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from scripts.open_flow import XC7S15, _run_yosys, _rtl_revision, _yosys_version, xc7_counts
from sim.runner import REPO, rtl

LUTS_PER_DSP_SHARE = XC7S15["lut"] // XC7S15["dsp48e1"]  # 400: the device share of one DSP48E1 in LUTs
LUTS_PER_DSP_BUDGET = XC7S15["lut"] // 10 // XC7S15["dsp48e1"]  # 40
ACC_HEADROOM = 12  # accumulator bits above the product (the tree and a few thousand words)


def synth_array(lanes: int, weight_bits: int, act_bits: int, lut_lanes: int, work: Path) -> dict:
    """xc7 resource counts of one deltamac_mac_array configuration (act_bits as fed)."""
    parameters = {"LANES": lanes, "WEIGHT_BITS": weight_bits, "ACT_BITS": act_bits,
                  "ACC_BITS": weight_bits + act_bits + ACC_HEADROOM, "USER_WIDTH": 1, "LUT_LANES": lut_lanes}
    name = f"mac_w{weight_bits}_a{act_bits}_p{lanes}_{'lut' if lut_lanes else 'dsp'}"
    stat = work / f"{name}_stat.json"
    script = [f"read_verilog -sv {path}" for path in rtl("deltamac_adder_tree.sv", "deltamac_lut_mult.sv", "deltamac_mac_array.sv")]
    script += [f"chparam -set {key} {value} deltamac_mac_array" for key, value in parameters.items()]
    script += ["synth_xilinx -family xc7 -top deltamac_mac_array -flatten -noiopad", f"tee -q -o {stat} stat -json"]
    _run_yosys(script, work, name)
    counts = xc7_counts(json.loads(stat.read_text())["design"]["num_cells_by_type"])
    return {key: counts[key] for key in ("lut", "ff", "dsp48e1", "carry4")}


def measure(lanes: int, weight_bits: int, act_bits: int, work: Path) -> dict:
    """Both lane kinds at W x A (A = activation bits, fed A+1), and the LUT lane's per-lane cost."""
    dsp = synth_array(lanes, weight_bits, act_bits + 1, 0, work)
    lut = synth_array(lanes, weight_bits, act_bits + 1, 1, work)
    per_lane = (lut["lut"] - dsp["lut"]) / lanes
    return {
        "weight_bits": weight_bits, "act_bits": act_bits, "lanes": lanes, "dsp_lanes": dsp, "lut_lanes": lut,
        # Yosys maps very narrow products to fabric even when asked for DSPs: then both kinds are LUTs.
        "dsp_lanes_use_dsp": dsp["dsp48e1"] == lanes,
        "lut_per_lut_lane": round(per_lane, 2),
        # The operand and product registers a DSP48E1 absorbs stay in the fabric for a LUT lane.
        "ff_per_lut_lane": round((lut["ff"] - dsp["ff"]) / lanes, 2),
        "lut_lane_cheaper_than_dsp_share": per_lane < LUTS_PER_DSP_SHARE,
        "within_budget": per_lane <= LUTS_PER_DSP_BUDGET,
    }


def markdown(points: list[dict], weights: list[int], acts: list[int]) -> str:
    by_width = {(p["weight_bits"], p["act_bits"]): p for p in points}
    lines = [f"LUTs / FFs per LUT lane beyond a DSP lane (Yosys synth_xilinx, deltamac_mac_array, {points[0]['lanes']} "
             f"lanes; a DSP lane is one DSP48E1, {LUTS_PER_DSP_SHARE} LUTs of XC7S15 share; * marks <= "
             f"{LUTS_PER_DSP_BUDGET} LUTs; (no DSP): Yosys put the 'DSP' lanes in fabric too)", "",
             "| W \\ A | " + " | ".join(f"a{a}" for a in acts) + " |", "|---" * (len(acts) + 1) + "|"]
    for w in weights:
        cells = []
        for a in acts:
            point = by_width[(w, a)]
            mark = ("*" if point["within_budget"] else "") + ("" if point["dsp_lanes_use_dsp"] else " (no DSP)")
            cells.append(f"{point['lut_per_lut_lane']:g} / {point['ff_per_lut_lane']:g}{mark}")
        lines.append(f"| w{w} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench_lanes", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--lanes", type=int, default=8, help="lanes of the synthesised array")
    parser.add_argument("--weights", type=int, nargs="+", default=[2, 3, 4, 5, 6, 8], help="weight widths")
    parser.add_argument("--acts", type=int, nargs="+", default=[2, 3, 4, 5, 6, 8], help="activation widths")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "bench", help="report directory")
    args = parser.parse_args(argv)
    bad = [w for w in args.weights if not 2 <= w <= 18] + [a for a in args.acts if not 2 <= a <= 24]
    if bad or not 1 <= args.lanes <= 32:
        parser.error(f"--weights must be in 2..18, --acts in 2..24 and --lanes in 1..32 (got {bad or args.lanes})")
    work = args.out / "lanes_yosys"
    start, points = time.monotonic(), []
    grid = [(w, a) for w in args.weights for a in args.acts]
    for index, (w, a) in enumerate(grid, 1):
        points.append(measure(args.lanes, w, a, work))
        print(f"[bench-lanes] {index}/{len(grid)} w{w}a{a}: {points[-1]['lut_per_lut_lane']} LUT per LUT lane", flush=True)
    report = {
        "tool": "yosys synth_xilinx -family xc7 (out of context)", "yosys": _yosys_version(),
        "rtl_revision": _rtl_revision(), "luts_per_dsp_share": LUTS_PER_DSP_SHARE,
        "luts_per_dsp_budget": LUTS_PER_DSP_BUDGET, "points": points, "runtime_s": round(time.monotonic() - start, 1),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "lanes_xc7.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "lanes_xc7.md").write_text(markdown(points, args.weights, args.acts))
    print(f"[bench-lanes] {args.out / 'lanes_xc7.json'}, {args.out / 'lanes_xc7.md'} ({report['runtime_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
