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
stay within a tenth of the device's LUTs.

Second table, "multiply the deltas": for fixed_reference weights (W bits, D-bit deltas) a LANES-wide
MAC is synthesised as the cores build it today (deltamac_delta_decoder, then W x A DSP or LUT
lanes) and as deltamac_delta_mac_array (D x A LUT lanes plus one reference product per word).
Writes <out>/lanes_xc7.json and lanes_xc7.md.
"""

from __future__ import annotations

import argparse
import json
import re
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
    sources = rtl("deltamac_adder_tree.sv", "deltamac_lut_mult.sv", "deltamac_mac_array.sv")
    return _synth("deltamac_mac_array", sources, parameters, name, work)


# The decoded path as a synthesis top: decoder then MAC array (generated into the work directory,
# a measuring harness only; the cores instantiate the same two modules).
DECODED_TOP = """module bench_decoded_mac #(parameter int LANES = 16, parameter int DELTA_BITS = 4, parameter int WEIGHT_BITS = 8,
  parameter int ACT_BITS = 9, parameter int ACC_BITS = 32, parameter int LUT_LANES = 0) (
  input logic clk, input logic rst, input logic in_valid, input logic [LANES*DELTA_BITS-1:0] in_deltas,
  input logic [WEIGHT_BITS-1:0] in_ref, input logic [3:0] in_shift, input logic [LANES*ACT_BITS-1:0] in_acts,
  input logic in_first, input logic in_last, output logic out_valid, output logic signed [ACC_BITS-1:0] out_acc);
  logic w_valid; logic [LANES*WEIGHT_BITS-1:0] w_weights; logic [LANES*ACT_BITS+1:0] w_user; logic unused_user;
  deltamac_delta_decoder #(.LANES(LANES), .DELTA_BITS(DELTA_BITS), .WEIGHT_BITS(WEIGHT_BITS), .SCHEME(1),
    .SHIFT_BITS(4), .USER_WIDTH(LANES*ACT_BITS+2)) u_dec (.clk(clk), .rst(rst), .in_valid(in_valid),
    .in_deltas(in_deltas), .in_ref(in_ref), .in_group_start(1'b0), .in_shift(in_shift),
    .in_user({in_acts, in_first, in_last}), .out_valid(w_valid), .out_weights(w_weights), .out_user(w_user));
  deltamac_mac_array #(.LANES(LANES), .WEIGHT_BITS(WEIGHT_BITS), .ACT_BITS(ACT_BITS), .ACC_BITS(ACC_BITS),
    .USER_WIDTH(1), .LUT_LANES(LUT_LANES)) u_mac (.clk(clk), .rst(rst), .in_valid(w_valid), .in_weights(w_weights),
    .in_acts(w_user[LANES*ACT_BITS+1:2]), .in_first(w_user[1]), .in_last(w_user[0]), .in_user(1'b0),
    .out_valid(out_valid), .out_acc(out_acc), .out_user(unused_user));
endmodule
"""


def _synth(top: str, sources: list[Path], parameters: dict[str, int], name: str, work: Path) -> dict:
    stat = work / f"{name}_stat.json"
    script = [f"read_verilog -sv {path}" for path in sources]
    script += [f"chparam -set {key} {value} {top}" for key, value in parameters.items()]
    script += [f"synth_xilinx -family xc7 -top {top} -flatten -noiopad", f"tee -q -o {stat} stat -json"]
    _run_yosys(script, work, name)
    counts = xc7_counts(json.loads(stat.read_text())["design"]["num_cells_by_type"])
    return {key: counts[key] for key in ("lut", "ff", "dsp48e1", "carry4")}


def measure_delta_domain(lanes: int, weight_bits: int, delta_bits: int, act_bits: int, work: Path) -> dict:
    """A fixed_reference W/D MAC on A-bit activations: decoded (DSP lanes, LUT lanes) against delta-domain lanes."""
    work.mkdir(parents=True, exist_ok=True)
    wrapper = work / "bench_decoded_mac.sv"
    wrapper.write_text(DECODED_TOP)
    fed = act_bits + 1
    acc = weight_bits + fed + max(lanes - 1, 1).bit_length() + ACC_HEADROOM
    base = {"LANES": lanes, "DELTA_BITS": delta_bits, "WEIGHT_BITS": weight_bits, "ACT_BITS": fed, "ACC_BITS": acc}
    tag = f"w{weight_bits}_d{delta_bits}_a{fed}_p{lanes}"
    decoded_sources = [*rtl("deltamac_delta_decoder.sv", "deltamac_adder_tree.sv", "deltamac_lut_mult.sv",
                            "deltamac_mac_array.sv"), wrapper]
    delta_sources = rtl("deltamac_adder_tree.sv", "deltamac_lut_mult.sv", "deltamac_mac_array.sv",
                        "deltamac_delta_mac_array.sv")
    kinds = {
        "decoded_dsp_lanes": _synth("bench_decoded_mac", decoded_sources, base | {"LUT_LANES": 0}, f"dec_dsp_{tag}", work),
        "decoded_lut_lanes": _synth("bench_decoded_mac", decoded_sources, base | {"LUT_LANES": 1}, f"dec_lut_{tag}", work),
        "delta_lut_lanes": _synth("deltamac_delta_mac_array", delta_sources, base | {"LUT_LANES": 1}, f"delta_lut_{tag}", work),
    }
    return {"weight_bits": weight_bits, "delta_bits": delta_bits, "act_bits": act_bits, "lanes": lanes, **kinds}


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


def delta_markdown(points: list[dict]) -> str:
    lines = ["Multiply the deltas: a fixed_reference MAC of LANES lanes, LUT / FF / DSP48E1 (Yosys synth_xilinx)", "",
             "| W/D, A, lanes | decoded, DSP lanes | decoded, LUT lanes | delta-domain, LUT lanes |", "|---|---|---|---|"]
    for p in points:
        cells = [f"{p[k]['lut']} / {p[k]['ff']} / {p[k]['dsp48e1']}"
                 for k in ("decoded_dsp_lanes", "decoded_lut_lanes", "delta_lut_lanes")]
        lines.append(f"| w{p['weight_bits']}/d{p['delta_bits']}, a{p['act_bits']}, {p['lanes']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


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
            mark = "*" if point["within_budget"] else ""
            note = "" if point["dsp_lanes_use_dsp"] else " (no DSP)"
            cells.append(f"{point['lut_per_lut_lane']:g}{mark} / {point['ff_per_lut_lane']:g}{note}")
        lines.append(f"| w{w} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench_lanes", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--lanes", type=int, default=8, help="lanes of the synthesised array")
    parser.add_argument("--weights", type=int, nargs="+", default=[2, 3, 4, 5, 6, 8], help="weight widths")
    parser.add_argument("--acts", type=int, nargs="+", default=[2, 3, 4, 5, 6, 8], help="activation widths")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "bench", help="report directory")
    parser.add_argument("--delta-points", nargs="+", default=["8:2:8", "8:4:8", "8:2:4", "8:4:4", "8:2:2"],
                        help="W:D:A fixed_reference points of the decoded against delta-domain table")
    parser.add_argument("--delta-lanes", type=int, default=16, help="lanes of the delta-domain table")
    args = parser.parse_args(argv)
    bad = [w for w in args.weights if not 2 <= w <= 18] + [a for a in args.acts if not 2 <= a <= 24]
    if any(re.fullmatch(r"\d+:\d+:\d+", spec) is None for spec in args.delta_points):
        parser.error(f"--delta-points takes W:D:A triples such as 8:2:8, got {args.delta_points}")
    if bad or not 1 <= args.lanes <= 32:
        parser.error(f"--weights must be in 2..18, --acts in 2..24 and --lanes in 1..32 (got {bad or args.lanes})")
    work = args.out / "lanes_yosys"
    start, points = time.monotonic(), []
    grid = [(w, a) for w in args.weights for a in args.acts]
    for index, (w, a) in enumerate(grid, 1):
        points.append(measure(args.lanes, w, a, work))
        print(f"[bench-lanes] {index}/{len(grid)} w{w}a{a}: {points[-1]['lut_per_lut_lane']} LUT per LUT lane", flush=True)
    delta_points = []
    for spec in args.delta_points:
        w, d, a = (int(part) for part in spec.split(":"))
        delta_points.append(measure_delta_domain(args.delta_lanes, w, d, a, work))
        print(f"[bench-lanes] delta-domain w{w}/d{d} a{a}: {delta_points[-1]}", flush=True)
    report = {
        "tool": "yosys synth_xilinx -family xc7 (out of context)", "yosys": _yosys_version(),
        "rtl_revision": _rtl_revision(), "luts_per_dsp_share": LUTS_PER_DSP_SHARE,
        "luts_per_dsp_budget": LUTS_PER_DSP_BUDGET, "points": points, "delta_domain": delta_points,
        "runtime_s": round(time.monotonic() - start, 1),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "lanes_xc7.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "lanes_xc7.md").write_text(markdown(points, args.weights, args.acts) + "\n" + delta_markdown(delta_points))
    print(f"[bench-lanes] {args.out / 'lanes_xc7.json'}, {args.out / 'lanes_xc7.md'} ({report['runtime_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
