"""Calibrate the folding planner's resource model (model/planner.py) against Yosys.

    python -m scripts.calibrate_planner [--only NAME ...] [--refit] [--flat] [--out model/planner_calibration.json]

Exports a fixed grid of seeded random dataflow networks (model.random_net.random_network with
random calibration pixels, model.export.export_dataflow) into build/planner-calibration/<name>/,
synthesises each with scripts.open_flow.synth_xc7_engines (Yosys synth_xilinx, every layer engine
kept as its own module, so each engine is counted apart), fits the model's coefficients by
non-negative least squares (engine LUT and FF on every engine of the grid, the parts around the
engines on every point's rest), and writes the calibration JSON: the grid, the coefficients, and
every point's measured and predicted totals and errors. Prints the largest LUT and FF error.

One Yosys run at a time (about a minute each for the larger points on a 2-core machine). A
finished point is cached (its synth_engines.json with the hash of the RTL sources and the point's
spec); a rerun synthesises only missing or stale points, so an interrupted run resumes. --refit
fits the cached points without running Yosys. --flat also runs the plain synth_xc7 (the flattened
`make synth` netlist) on the points marked `flat` and records the model's error against it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from model import planner
from model.export import export_dataflow
from model.folding import check_folding
from model.formats import DeltaFormat, Scheme, layer_formats, parse_bits_spec
from model.random_net import random_network
from scripts.corefile import REPO, rtl_digest

WORK = REPO / "build" / "planner-calibration"
RESULT_FILE = "synth_engines.json"
FLAT_FILE = "synth_xc7.json"
FR, PL, CO = Scheme.FIXED_REFERENCE, Scheme.PLAIN, Scheme.CONSECUTIVE

# name: topology, scheme, weight bits, delta bits, bits spec (None: weight bits everywhere, 8-bit
# activations), group, activation, folding, flat (also run the flattened synth_xc7 with --flat).
GRID = [
    ("s15-16x5", "784-80-16-10", FR, 8, 4, None, None, "relu", "16x5:delta,2:delta,1:delta", True),
    ("s15-8x10", "784-80-16-10", FR, 8, 4, None, None, "relu", "8x10:delta,4x2:dsp,2:lut", False),
    ("plain8-dsp", "784-32-10", PL, 8, 8, None, None, "relu", "12:dsp,4:dsp", False),
    ("plain8-lut", "784-32-10", PL, 8, 8, None, None, "relu", "8x2:lut,2:lut", False),
    ("w2a2-3", "784-64-64-10", FR, 8, 4, "w2a2", None, "relu", "16x4:delta,8:lut,4:delta", False),
    ("w2a2-4", "784-64-64-64-10", FR, 8, 4, "w2a2", None, "relu", "28x2:delta,4x2:lut,4x2:lut,8:delta", True),
    ("consec", "784-32-10", CO, 8, 4, None, None, "relu", "16:dsp,4:lut", False),
    ("groups", "784-32-10", FR, 8, 4, None, 112, "relu", "16:delta,8:dsp", False),
    ("w4a4", "784-64-10", FR, 8, 4, "w8a8,w4a4", None, "relu", "16x2:delta,8:lut", False),
    ("clamp", "784-32-32-10", FR, 8, 4, None, None, "clamp", "8:dsp,4:lut,2:delta", False),
    ("d2", "784-48-10", FR, 8, 2, None, None, "relu", "24x2:delta,3:delta", False),
    ("mixed-d3", "784-64-32-10", FR, 8, 3, "w8d3a8,w6d3a6,w8a4", None, "relu", "16x2:delta,4x2:dsp,4:lut", False),
    ("wide-n", "784-20-10", FR, 8, 4, None, None, "relu", "4x20:delta,2x2:dsp", False),
    ("plain4-lut", "784-40-10", PL, 4, 4, None, None, "relu", "14x2:lut,5x2:lut", False),
    ("p32", "784-16-10", FR, 8, 4, None, None, "relu", "32:delta,16:dsp", False),
    ("plain6-dsp", "784-32-10", PL, 8, 8, "w8a8,w6a6", None, "relu", "4x2:dsp,4x2:dsp", False),
    ("fr-lut", "784-32-16-10", FR, 8, 4, None, None, "relu", "8:lut,4:delta,2:dsp", False),
    ("w4d2", "784-96-10", FR, 4, 2, "w4d2a8,w4d2a4", None, "relu", "12x4:delta,6x2:delta", True),
    ("w2a2-196", "784-64-64-64-10", FR, 8, 4, "w2a2", None, "relu", "28x4:delta,4x4:lut,4x4:lut,8:delta", False),
    ("clamp-w4", "784-48-24-10", FR, 8, 4, "w8a8,w4a4,w6a4", None, "clamp", "12x2:delta,6x2:lut,3:delta", False),
    ("consec-lut", "784-24-10", CO, 6, 3, None, None, "relu", "8x2:lut,3:dsp", False),
]
FIELDS = ("name", "topology", "scheme", "weight_bits", "delta_bits", "bits", "group", "activation", "folding", "flat")


def points() -> list[dict]:
    return [dict(zip(FIELDS, row)) for row in GRID]


def spec_key(point: dict) -> dict:
    """The point's spec as stored in the cache and the calibration file."""
    out = {k: point[k] for k in FIELDS if k != "flat"}
    out["scheme"] = point["scheme"].label
    return out


def network(point: dict):
    topology = [int(n) for n in point["topology"].split("-")]
    scheme, wb, db, group = point["scheme"], point["weight_bits"], point["delta_bits"], point["group"]
    formats, act_bits = DeltaFormat(scheme, wb, db, None), 8
    if point["bits"] is not None:
        precisions = parse_bits_spec(point["bits"], len(topology) - 1)
        formats = list(layer_formats(precisions, scheme, db, None))
        act_bits = [p.in_bits for p in precisions[1:]]
    if group is not None:  # the group applies to layer 0 only (it must divide n_in)
        formats = [formats] * (len(topology) - 1) if isinstance(formats, DeltaFormat) else formats
        formats = [DeltaFormat(formats[0].scheme, formats[0].weight_bits, formats[0].delta_bits, group), *formats[1:]]
    return random_network(topology, formats, seed=7, calibration=None, activation=point["activation"],
                          act_bits=act_bits)


def _cached(path: Path, point: dict, digest: str) -> dict | None:
    if not path.is_file():
        return None
    report = json.loads(path.read_text())
    calib = report.get("calibration", {})
    return report if calib.get("rtl_hash") == digest and calib.get("spec") == spec_key(point) else None


def measure(point: dict, digest: str, flat: bool) -> dict:
    """The point's engine-level synthesis (cached), and with `flat` the flattened synth_xc7 too."""
    from scripts.open_flow import synth_xc7, synth_xc7_engines

    out = WORK / point["name"]
    result = _cached(out / RESULT_FILE, point, digest)
    if result is None:
        net = network(point)
        export_dataflow(net, out, point["folding"], name=f"planner-{point['name']}")
        start = time.monotonic()
        result = synth_xc7_engines(out, out / RESULT_FILE)
        result["calibration"] = {"rtl_hash": digest, "spec": spec_key(point)}
        (out / RESULT_FILE).write_text(json.dumps(result, indent=2) + "\n")
        print(f"[calibrate] {point['name']}: {time.monotonic() - start:.0f} s", flush=True)
    if flat and point["flat"] and _cached(out / FLAT_FILE, point, digest) is None:
        report = synth_xc7(out, out / FLAT_FILE)
        report["calibration"] = {"rtl_hash": digest, "spec": spec_key(point)}
        (out / FLAT_FILE).write_text(json.dumps(report, indent=2) + "\n")
    return result


def _nnls(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Non-negative least squares (Lawson-Hanson), NumPy only."""
    n = a.shape[1]
    x, passive = np.zeros(n), np.zeros(n, bool)
    for _ in range(3 * n):
        w = a.T @ (b - a @ x)
        if passive.all() or w[~passive].max() <= 1e-9:
            break
        passive[np.argmax(np.where(passive, -np.inf, w))] = True
        while True:
            z = np.zeros(n)
            z[passive] = np.linalg.lstsq(a[:, passive], b, rcond=None)[0]
            if (z[passive] > 0).all():
                x = z
                break
            neg = passive & (z <= 0)
            alpha = np.min(x[neg] / (x[neg] - z[neg]))
            x = x + alpha * (z - x)
            passive &= x > 1e-12
    return x


def _fit(rows: list[dict[str, float]], targets: list[float], names: tuple[str, ...], relative: bool) -> dict[str, float]:
    """Coefficients of `names` by NNLS; relative: each row weighted by 1/target (relative errors)."""
    a = np.array([[row[n] for n in names] for row in rows], float)
    b = np.array(targets, float)
    used = [i for i, n in enumerate(names) if a[:, i].any()]
    w = 1.0 / np.maximum(b, 1.0) if relative else np.ones_like(b)
    x = np.zeros(len(names))
    x[used] = _nnls(a[:, used] * w[:, None], b * w)
    return {n: round(float(v), 4) for n, v in zip(names, x)}


def _features(point: dict, net) -> tuple[planner.NetShape, tuple, list, list, tuple]:
    shape = planner.NetShape.of(net)
    foldings = check_folding(net, point["folding"])
    engines = [planner.engine_features(shape, i, f) for i, f in enumerate(foldings)]
    buffers = [planner.buffer_features(shape, i, f) for i, f in enumerate(foldings)]
    return shape, foldings, engines, buffers, planner.fixed_features(shape)


def _sum(dicts) -> dict[str, float]:
    out: dict[str, float] = {}
    for d in dicts:
        for k, v in d.items():
            out[k] = out.get(k, 0.0) + v
    return out


def fit(measured: list[tuple[dict, dict]]) -> dict:
    """Coefficients from the measured points, and every point's prediction and error."""
    feats = [(p, r, _features(p, network(p))) for p, r in measured]
    eng_rows, eng_lut, eng_ff, rest_lut_rows, rest_ff_rows, rest_lut, rest_ff = [], [], [], [], [], [], []
    for p, r, (_, _, engines, buffers, (flut, fff)) in feats:
        for e, m in zip(engines, r["engines"]):
            eng_rows.append(e)
            eng_lut.append(m["lut"])
            eng_ff.append(m["ff"])
        rest_lut_rows.append(_sum([flut, *(b.lut for b in buffers)]))
        rest_ff_rows.append(_sum([fff, *(b.ff for b in buffers)]))
        rest_lut.append(r["rest"]["lut"])
        rest_ff.append(r["rest"]["ff"])
    coefficients = {
        "engine_lut": _fit([e.lut for e in eng_rows], eng_lut, planner.ENGINE_LUT_FEATURES, True),
        "engine_ff": _fit([e.ff for e in eng_rows], eng_ff, planner.ENGINE_FF_FEATURES, True),
        "rest_lut": _fit(rest_lut_rows, rest_lut, planner.REST_LUT_FEATURES, True),
        "rest_ff": _fit(rest_ff_rows, rest_ff, planner.REST_FF_FEATURES, True),
    }
    return coefficients


def evaluate(coefficients: dict, measured: list[tuple[dict, dict]]) -> list[dict]:
    cal = planner.Calibration(coefficients["engine_lut"], coefficients["engine_ff"], coefficients["rest_lut"],
                              coefficients["rest_ff"])
    rows = []
    for p, r in measured:
        net = network(p)
        est = planner.estimate(net, p["folding"], calibration=cal)
        total = est.total
        measured_total = {"lut": r["lut"], "ff": r["ff"], "dsp": r["dsp48e1"],
                          "bram18": int(round(2 * r["ramb36_equiv"]))}
        row = {
            **spec_key(p),
            "folding": est.folding_text,
            "shape": est.shape.to_dict(),
            "interval": est.interval,
            "measured": measured_total,
            "predicted": total.as_dict(),
            "lut_error": round((total.lut - r["lut"]) / r["lut"], 4),
            "ff_error": round((total.ff - r["ff"]) / r["ff"], 4),
            "fits_xc7s15": bool(r["fits_xc7s15"]),
            "engines": [{"layer": l.index, "folding": l.folding.label(),
                         "measured": {"lut": m["lut"], "ff": m["ff"], "dsp": m["dsp48e1"],
                                      "bram18": int(round(2 * m["ramb36_equiv"]))},
                         "predicted": l.engine.as_dict()} for l, m in zip(est.layers, r["engines"])],
            "rest": {"measured": {"lut": r["rest"]["lut"], "ff": r["rest"]["ff"]},
                     "predicted": {"lut": round(est.fixed.lut + sum(l.buffer.lut for l in est.layers)),
                                   "ff": round(est.fixed.ff + sum(l.buffer.ff for l in est.layers))}},
            "yosys_runtime_s": r.get("runtime_s"),
        }
        flat = WORK / p["name"] / FLAT_FILE
        if flat.is_file() and _cached(flat, p, r["calibration"]["rtl_hash"]) is not None:
            f = json.loads(flat.read_text())
            row["flat_synth_xc7"] = {"lut": f["lut"], "ff": f["ff"], "dsp": f["dsp48e1"],
                                     "lut_error": round((total.lut - f["lut"]) / f["lut"], 4),
                                     "ff_error": round((total.ff - f["ff"]) / f["ff"], 4)}
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", default=None, help="synthesise only these grid points (no fit)")
    parser.add_argument("--refit", action="store_true", help="fit the cached points, run no Yosys")
    parser.add_argument("--flat", action="store_true", help="also the flattened synth_xc7 of the points marked flat")
    parser.add_argument("--out", type=Path, default=planner.CALIBRATION_FILE, help="calibration JSON to write")
    args = parser.parse_args(argv)
    digest = rtl_digest("dataflow")
    grid = points()
    if args.only:
        unknown = set(args.only) - {p["name"] for p in grid}
        if unknown:
            parser.error(f"unknown grid points: {', '.join(sorted(unknown))}")
        for p in grid:
            if p["name"] in args.only:
                measure(p, digest, args.flat)
        return 0
    measured = []
    for p in grid:
        if args.refit:
            result = _cached(WORK / p["name"] / RESULT_FILE, p, digest)
            if result is None:
                print(f"[calibrate] {p['name']}: no result for the current RTL ({digest}); run without --refit",
                      file=sys.stderr)
                return 1
        else:
            result = measure(p, digest, args.flat)
        measured.append((p, result))
    coefficients = fit(measured)
    rows = evaluate(coefficients, measured)
    fitting = [r for r in rows if r["fits_xc7s15"]]
    first = measured[0][1]
    data = {
        "model_version": planner.MODEL_VERSION,
        "tool": first["tool"],
        "yosys": first["yosys"],
        "rtl_revision": first["rtl_revision"],
        "rtl_hash": digest,
        "fit": "non-negative least squares, relative errors; engine LUT/FF on every engine, rest on every point",
        "coefficients": coefficients,
        "max_lut_error": max(abs(r["lut_error"]) for r in fitting),
        "max_ff_error": max(abs(r["ff_error"]) for r in fitting),
        "max_lut_error_all": max(abs(r["lut_error"]) for r in rows),
        "points": rows,
    }
    args.out.write_text(json.dumps(data, indent=1) + "\n")
    print(f"{'point':<12} {'folding':<36} {'LUT':>6} {'pred':>6} {'err':>7} {'FF':>6} {'pred':>6} {'err':>7} "
          f"{'DSP':>4} {'pred':>4} {'BRAM':>4} {'pred':>4}")
    for r in rows:
        m, q = r["measured"], r["predicted"]
        print(f"{r['name']:<12} {r['folding']:<36} {m['lut']:>6} {q['lut']:>6} {100 * r['lut_error']:>6.1f}% "
              f"{m['ff']:>6} {q['ff']:>6} {100 * r['ff_error']:>6.1f}% {m['dsp']:>4} {q['dsp']:>4} "
              f"{m['bram18']:>4} {q['bram18']:>4}{'' if r['fits_xc7s15'] else '  (does not fit)'}")
    print(f"[calibrate] {args.out}: max LUT error {100 * data['max_lut_error']:.1f} %, max FF error "
          f"{100 * data['max_ff_error']:.1f} % over the {len(fitting)} points that fit the XC7S15 "
          f"({len(rows)} points; RTL {data['rtl_revision']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
