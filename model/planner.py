"""Folding planner of the dataflow architecture (ARCHITECTURE.md section 6, issue 11).

A resource model of `deltamac_dataflow_top` predicts each layer engine's LUT, FF, DSP48E1 and
RAMB18 from the layer's shape (n_in, n_out), its own format (scheme, weight bits, delta bits,
group), its input width and the folding (lanes P, neurons N, lane kind), plus the parts around
the engines (input stage, activation buffers, output stage). The planner searches each layer's
P, N and kind for the highest throughput (or the fewest resources at a given rate) that fits a
device budget, and refuses an over-budget folding naming the layer and the resource.

The model (docs/model.md, "Folding planner"):

* counts, from the RTL's structure, the bits of each kind of logic an engine builds: adder bits
  (adder trees, accumulators, decoder adders, the delta lanes' activation sum), LUT-multiplier
  cells (rows x product width of every LUT-product lane), delay-line bits that Yosys maps to
  shift registers, serialiser multiplexer bits, counter bits, register bits, and the LUTs of the
  distributed ROMs (a ROM is distributed when WIDTH * ceil(DEPTH/64) <= DIST_MAX_LUTS, as the
  engine decides; else it is a block ROM of model.accounting.bram18_tiles(WIDTH, DEPTH) RAMB18);
* weighs them with coefficients fitted by least squares to Yosys synth_xilinx runs of random
  networks (scripts/calibrate_planner.py writes model/planner_calibration.json with the grid,
  the fit and every point's error);
* counts DSP48E1 and RAMB18 by rule (a product of at least 9 bits goes to a DSP48E1, as Yosys's
  mul2dsp maps it; the requantiser takes one DSP48E1 per 17 accumulator bits).

NumPy only: importable without torch or Yosys.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from model.accounting import bram18_tiles
from model.folding import FoldingError, LaneKind, LayerFolding, check_folding_for, format_folding
from model.formats import ACT_BITS, MULT_BITS, DeltaFormat, Scheme, acc_bits as layer_acc_bits

CALIBRATION_FILE = Path(__file__).with_name("planner_calibration.json")
MODEL_VERSION = 1  # bump when the features change (the calibration file names the version it fits)

DIST_MAX_LUTS = 128  # deltamac_layer_engine: a ROM of at most this many LUT6 is distributed
DIST_MAX_WORDS = 128  # deltamac_dataflow_top: an activation buffer of at most this many words (both banks) is distributed
DSP_MIN_PRODUCT_BITS = 9  # Yosys mul2dsp (synth_xilinx): narrower products stay in LUTs
SRL_MIN_STAGES = 3  # Yosys shregmap -minlen for xc7: a delay line this long becomes SRL16E
REQUANT_CHUNK_BITS = 17  # deltamac_requant: one DSP48E1 per 17-bit accumulator chunk
MAX_LANES = 32
DEFAULT_CLOCK_HZ = 100e6  # images/s = clock / II for the min_resources objective


@dataclass(frozen=True)
class Budget:
    """A device's resources; bram18 counts RAMB18 tiles (a RAMB36 is two)."""

    name: str
    lut: int
    ff: int
    dsp: int
    bram18: int

    def limits(self) -> dict[str, int]:
        return {"lut": self.lut, "ff": self.ff, "dsp": self.dsp, "bram18": self.bram18}


XC7S15 = Budget("XC7S15", lut=8000, ff=16000, dsp=20, bram18=20)
BUDGETS = {"xc7s15": XC7S15}
RESOURCE_LABELS = {"lut": "LUT", "ff": "FF", "dsp": "DSP48E1", "bram18": "RAMB18"}


def budget_named(name: str | Budget) -> Budget:
    if isinstance(name, Budget):
        return name
    key = str(name).strip().lower()
    if key not in BUDGETS:
        raise FoldingError(f"unknown budget {name!r}; known: {', '.join(BUDGETS)}")
    return BUDGETS[key]


@dataclass(frozen=True)
class Resources:
    lut: float = 0.0
    ff: float = 0.0
    dsp: int = 0
    bram18: int = 0

    def __add__(self, other: Resources) -> Resources:
        return Resources(self.lut + other.lut, self.ff + other.ff, self.dsp + other.dsp, self.bram18 + other.bram18)

    def get(self, key: str) -> float:
        return getattr(self, key)

    def as_dict(self) -> dict:
        return {"lut": round(self.lut), "ff": round(self.ff), "dsp": self.dsp, "bram18": self.bram18}


# ------------------------------------------------------------------------------------------------
# The network's shape: what the model needs of a QuantNetwork (duck-typed for check_folding).

@dataclass(frozen=True)
class LayerShape:
    n_in: int
    n_out: int
    fmt: DeltaFormat
    in_bits: int = ACT_BITS
    in_signed: bool = False


@dataclass(frozen=True)
class NetShape:
    """Topology, per-layer formats and input widths, ACC_BITS; pixels_per_beat of the input stage."""

    layers: tuple[LayerShape, ...]
    pixels_per_beat: int = 1

    @property
    def topology(self) -> tuple[int, ...]:
        return (self.layers[0].n_in, *(layer.n_out for layer in self.layers))

    @property
    def formats(self) -> tuple[DeltaFormat, ...]:
        return tuple(layer.fmt for layer in self.layers)

    @property
    def in_pixels(self) -> int:
        return self.layers[0].n_in

    @property
    def acc_bits(self) -> int:
        return max(layer_acc_bits(l.n_in, l.fmt.weight_bits, l.in_signed, l.in_bits) for l in self.layers)

    def describe(self) -> str:
        parts = []
        for l in self.layers:
            fmt = l.fmt
            d = "" if fmt.scheme == Scheme.PLAIN else f"d{fmt.delta_bits}"
            parts.append(f"{fmt.scheme.label[:5]} w{fmt.weight_bits}{d}a{l.in_bits}{'s' if l.in_signed else ''}")
        return f"{'-'.join(map(str, self.topology))} ({', '.join(parts)})"

    def to_dict(self) -> dict:
        return {"pixels_per_beat": self.pixels_per_beat,
                "layers": [{"n_in": l.n_in, "n_out": l.n_out, "scheme": l.fmt.scheme.label,
                            "weight_bits": l.fmt.weight_bits, "delta_bits": l.fmt.delta_bits, "group": l.fmt.group,
                            "in_bits": l.in_bits, "in_signed": l.in_signed} for l in self.layers]}

    @classmethod
    def from_dict(cls, data: dict) -> NetShape:
        layers = tuple(LayerShape(e["n_in"], e["n_out"], DeltaFormat(Scheme.from_name(e["scheme"]), e["weight_bits"],
                                                                       e["delta_bits"], e["group"]),
                                  e["in_bits"], bool(e["in_signed"])) for e in data["layers"])
        return cls(layers, data.get("pixels_per_beat", 1))

    @classmethod
    def of(cls, net_or_shape, pixels_per_beat: int | None = None) -> NetShape:
        """The shape of a QuantNetwork (or a NetShape itself)."""
        if isinstance(net_or_shape, NetShape):
            return net_or_shape if pixels_per_beat is None else replace(net_or_shape, pixels_per_beat=pixels_per_beat)
        try:
            layers = tuple(LayerShape(layer.n_in, layer.n_out, fmt, layer.in_bits, layer.in_signed)
                           for layer, fmt in zip(net_or_shape.layers, net_or_shape.formats))
        except AttributeError:
            raise FoldingError(f"planner: expected a QuantNetwork or a NetShape, got {type(net_or_shape).__name__}") from None
        return cls(layers, 1 if pixels_per_beat is None else pixels_per_beat)

    @classmethod
    def from_spec(cls, topology: Sequence[int], formats: DeltaFormat | Sequence[DeltaFormat],
                  act_bits: int | Sequence[int] = ACT_BITS, activation: str = "relu",
                  pixels_per_beat: int = 1) -> NetShape:
        """A shape from a topology, one format (or one per layer) and the hidden layers' output
        widths (one, or one per hidden layer); activation relu (unsigned) or clamp (signed)."""
        topology = [int(n) for n in topology]
        n_layers = len(topology) - 1
        if n_layers < 1 or min(topology) < 1:
            raise FoldingError(f"planner: topology needs at least two positive sizes, got {topology}")
        fmts = [formats] * n_layers if isinstance(formats, DeltaFormat) else list(formats)
        widths = [act_bits] * (n_layers - 1) if isinstance(act_bits, int) else list(act_bits)
        if len(fmts) != n_layers or len(widths) != n_layers - 1:
            raise FoldingError(f"planner: {n_layers} layers need {n_layers} formats and {n_layers - 1} activation "
                               f"widths, got {len(fmts)} and {len(widths)}")
        if activation not in ("relu", "clamp"):
            raise FoldingError(f"planner: activation must be relu or clamp, got {activation!r}")
        in_bits = [ACT_BITS, *widths]
        signed = [False] + [activation == "clamp"] * (n_layers - 1)
        return cls(tuple(LayerShape(topology[i], topology[i + 1], fmts[i], in_bits[i], signed[i])
                         for i in range(n_layers)), pixels_per_beat)


# ------------------------------------------------------------------------------------------------
# Structural bit counts of the RTL (the model's features).

def _clog2(value: int) -> int:
    return max(int(value) - 1, 0).bit_length()


def _aw(value: int) -> int:
    """$clog2(value > 1 ? value : 2): the address width the RTL gives a counter of `value` states."""
    return _clog2(max(value, 2))


def rom_placement(width: int, depth: int) -> tuple[int, int]:
    """(LUTs, RAMB18) of a deltamac_rom as the engine places it: distributed (WIDTH*ceil(DEPTH/64)
    LUT6) when that is at most DIST_MAX_LUTS, else block RAM (model.accounting.bram18_tiles); a
    one-word ROM is a constant."""
    if depth == 1:
        return 0, 0  # one word: a constant (Yosys removes the memory)
    luts = width * -(-depth // 64)
    return (luts, 0) if luts <= DIST_MAX_LUTS else (0, bram18_tiles(width, depth))


def _dist_ram_luts(bits: int, depth: int) -> int:
    """LUTs of a bits x depth simple dual-port distributed RAM: RAM32M (6 bits x 32), RAM64M
    (3 bits x 64) or RAM128X1D (1 bit x 128, 4 LUTs as counted by scripts/open_flow.py)."""
    if depth <= 32:
        return 4 * -(-bits // 6)
    if depth <= 64:
        return 4 * -(-bits // 3)
    return 4 * bits * -(-depth // 128)


@lru_cache(maxsize=None)
def _tree(inputs: int, in_bits: int, out_bits: int) -> tuple[int, int]:
    """(adder bits, register bits) of deltamac_adder_tree: every level registered, an adder of
    min(in_bits + level, out_bits) bits per pair."""
    levels = _clog2(inputs) if inputs > 1 else 0
    adders = registers = 0
    for level in range(levels + 1):
        nodes = -(-inputs // (1 << level))
        bits = min(in_bits + level, out_bits)
        registers += nodes * bits
        if level:
            adders += (-(-inputs // (1 << (level - 1))) // 2) * bits
    return adders, registers


def _lut_mult_cells(weight_bits: int, value_bits: int) -> int:
    """deltamac_lut_mult: min(w, a) shifted rows of w + a bits summed by rows - 1 adders of the
    product width."""
    return (min(weight_bits, value_bits) - 1) * (weight_bits + value_bits)


def _srl(bits: int, stages: int) -> tuple[int, int]:
    """(SRL16E LUTs, flip-flops) of a delay line of `bits` x `stages` registers."""
    if stages >= SRL_MIN_STAGES:
        return bits * -(-stages // 16), 0
    return 0, bits * stages


ENGINE_LUT_FEATURES = ("const", "ctrl", "rom", "add", "lutmul", "srl", "ser", "mask", "requant")
ENGINE_FF_FEATURES = ("const", "ctrl", "rom", "reg", "dsplane", "lutlane", "ser", "requant")
REST_LUT_FEATURES = ("const", "buffer", "ram", "lanes")
REST_FF_FEATURES = ("const", "buffer", "regs")


@dataclass(frozen=True)
class EngineFeatures:
    lut: dict[str, float]
    ff: dict[str, float]
    dsp: int
    bram18: int
    roms: dict[str, tuple[int, int, int, int]]  # name -> (width, depth, LUTs, RAMB18)


def _mac_array(lanes: int, weight_bits: int, act_bits: int, acc_bits: int, lut_lanes: bool,
               user_bits: int, value_bits: int | None = None) -> dict[str, float]:
    """One deltamac_mac_array (its activation registers are shared with the engine's other neurons,
    counted apart): products, adder tree, accumulator, tag delay line."""
    prod = weight_bits + act_bits
    tree_add, tree_reg = _tree(lanes, prod, acc_bits)
    levels = _clog2(lanes) if lanes > 1 else 0
    srl_lut, srl_ff = _srl(2 + user_bits, 4 + levels)  # first / last / user tags, TAG_STAGES deep
    in_dsp = not lut_lanes and prod >= DSP_MIN_PRODUCT_BITS
    out = {"add": tree_add + acc_bits, "reg": acc_bits + srl_ff, "srl": srl_lut,
           "lutmul": 0.0, "dsplane": 0.0, "lutlane": 0.0, "dsp": 0}
    if in_dsp:  # weights_q, weights_q2, the product and the tree's first level can go into the DSP48E1
        out["dsp"] = lanes
        out["dsplane"] = tree_reg
    else:  # weights_q, weights_q2, product_q, the tree
        out["lutmul"] = lanes * _lut_mult_cells(weight_bits, act_bits if value_bits is None else value_bits)
        out["lutlane"] = tree_reg + 2 * lanes * weight_bits + lanes * prod
    return out


def engine_features(shape: NetShape, index: int, folding: LayerFolding) -> EngineFeatures:
    """Structural counts of layer `index`'s deltamac_layer_engine with `folding` (kind resolved)."""
    layer, acc = shape.layers[index], shape.acc_bits
    last = index == len(shape.layers) - 1
    fmt, kind = layer.fmt, LaneKind(folding.kind)
    P, N = folding.lanes, folding.neurons
    wb, db = fmt.weight_bits, fmt.delta_bits
    ab = layer.in_bits + (0 if layer.in_signed else 1)  # MAC_ACT_W
    chunks = -(-layer.n_in // P)
    groups = layer.n_out // N
    group = fmt.group_size(layer.n_in)
    group_words = chunks if group == layer.n_in else group // P
    ref_groups = chunks // group_words
    levels = _clog2(P) if P > 1 else 0
    shared_ref = kind == LaneKind.DELTA and group_words == chunks
    plain = fmt.scheme == Scheme.PLAIN

    roms = {"delta": (N * P * db, groups * chunks), "bias": (acc, layer.n_out)}
    if not plain:
        roms["ref"] = (N * wb, groups * ref_groups)
    if not last:
        roms["mult"] = (MULT_BITS, layer.n_out)
    placed = {name: (w, d, *rom_placement(w, d)) for name, (w, d) in roms.items()}
    rom_luts = sum(p[2] for p in placed.values())
    rom_ffs = sum(p[0] for p in placed.values() if p[2])  # a distributed ROM's output register
    bram = sum(p[3] for p in placed.values())

    ctrl = (_aw(chunks) + _aw(group_words) + _aw(groups) + _aw(groups * chunks) + _aw(groups * ref_groups)
            + _aw(layer.n_out) + _aw(N) + _clog2(N + 1))
    last_lanes = layer.n_in - (chunks - 1) * P
    lut = dict.fromkeys(ENGINE_LUT_FEATURES, 0.0)
    ff = dict.fromkeys(ENGINE_FF_FEATURES, 0.0)
    lut.update(const=1, ctrl=ctrl, rom=rom_luts, mask=(P - last_lanes) * ab)
    ff.update(const=1, ctrl=ctrl, rom=rom_ffs)
    dsp = 0

    if kind == LaneKind.DELTA:
        for k in range(N):
            user = (3 if k == 0 else 1) + (wb if shared_ref else 0)
            mac = _mac_array(P, db, ab, acc, True, user, layer.in_bits)
            lut["add"] += mac["add"]
            lut["lutmul"] += mac["lutmul"]
            lut["srl"] += mac["srl"]
            ff["reg"] += mac["reg"]
            ff["lutlane"] += mac["lutlane"]
        act_add, act_reg = _tree(P, ab, ab + levels)  # the activation sum's tree (one per engine)
        lut["add"] += act_add
        ff["reg"] += act_reg
        if shared_ref:
            sum_w = ab + _clog2(layer.n_in + 1)
            align_lut, align_ff = _srl(sum_w, 4)  # asum_line_q
            lut["add"] += sum_w + acc  # A's accumulator, (sum << s) + r * A
            lut["srl"] += align_lut
            lut["ser"] += (N - 1) * wb if N > 1 else 0
            ff["reg"] += 2 * sum_w + align_ff + 3 * acc  # asum_q, ser_asum_q, line, p_delta, p_ref, s_acc
            ff["ser"] += N * wb
            dsp += 1  # r * A
        else:
            for _ in range(N):  # deltamac_delta_mac_array: a reference MAC (DSP48E1) and the join
                ref = _mac_array(1, wb, ab + levels, acc, False, 1)
                lut["add"] += ref["add"] + acc
                ff["reg"] += ref["reg"] + (1 + levels) * wb + acc
                ff["dsplane"] += ref["dsplane"]
                dsp += ref["dsp"]
    else:
        lut_lanes = kind == LaneKind.LUT
        for k in range(N):
            if plain:
                dec_add, dec_reg, dec_stages = 0, P * db + P * wb, 2
            else:
                prefix = 0
                if fmt.scheme == Scheme.CONSECUTIVE:
                    prefix = sum(sum(1 for p in range(P) if (p >> (lv - 1)) % 2 == 1) for lv in range(1, levels + 1))
                dec_add = (P + prefix) * wb
                dec_reg = P * db + 2 * P * wb + 2 * wb + (levels * P * wb if prefix else 0)
                dec_stages = 3 + (levels if fmt.scheme == Scheme.CONSECUTIVE else 0)
            carried = (P * ab + 5) if k == 0 else 2  # neuron 0's decoder carries the activations
            srl_lut, srl_ff = _srl(carried, dec_stages)
            mac = _mac_array(P, wb, ab, acc, lut_lanes, 3 if k == 0 else 1, layer.in_bits)
            lut["add"] += dec_add + mac["add"]
            lut["lutmul"] += mac["lutmul"]
            lut["srl"] += srl_lut + mac["srl"]
            ff["reg"] += dec_reg + srl_ff + mac["reg"]
            ff["dsplane"] += mac["dsplane"]
            ff["lutlane"] += mac["lutlane"]
            dsp += mac["dsp"]
    # the lanes' activation registers (acts_q, acts_q2): one copy per engine (the neurons' are merged)
    acts_in_dsp = kind == LaneKind.DSP and wb + ab >= DSP_MIN_PRODUCT_BITS
    ff["dsplane" if acts_in_dsp else "lutlane"] += 2 * P * ab
    if N > 1:
        lut["ser"] += N * acc
    ff["ser"] += N * acc
    if last:
        lut["add"] += acc  # logit = sum + bias
        ff["reg"] += 2 * acc
    else:
        lut["requant"] = 1
        ff["requant"] = 1
        dsp += (acc - 2) // REQUANT_CHUNK_BITS + 1
    return EngineFeatures(lut, ff, dsp, bram, placed)


@dataclass(frozen=True)
class BufferFeatures:
    lut: dict[str, float]
    ff: dict[str, float]
    bram18: int
    distributed: bool


def buffer_features(shape: NetShape, index: int, folding: LayerFolding) -> BufferFeatures:
    """Layer `index`'s input buffer: the input stage (layer 0) or the activation buffer feeding
    it, P lanes of in_bits, both banks of 2**AW words (distributed when <= DIST_MAX_WORDS)."""
    layer = shape.layers[index]
    P, bits = folding.lanes, layer.in_bits
    chunks = -(-layer.n_in // P)
    depth = 2 * 2 ** _aw(chunks)
    dist = depth <= DIST_MAX_WORDS
    elems = shape.pixels_per_beat if index == 0 else 1
    lut = dict.fromkeys(REST_LUT_FEATURES, 0.0)
    ff = dict.fromkeys(REST_FF_FEATURES, 0.0)
    lut.update(buffer=1, lanes=P // elems, ram=P * _dist_ram_luts(bits, depth) if dist else 0)
    ff.update(buffer=1, regs=2 * P * bits + (P * (_aw(chunks) + 2) if dist else 0))
    return BufferFeatures(lut, ff, 0 if dist else bram18_tiles(P * bits, depth), dist)


def fixed_features(shape: NetShape) -> tuple[dict[str, float], dict[str, float]]:
    """The parts that no folding changes: output stage, status counters, the top's glue."""
    lut = dict.fromkeys(REST_LUT_FEATURES, 0.0)
    ff = dict.fromkeys(REST_FF_FEATURES, 0.0)
    lut["const"] = ff["const"] = 1
    return lut, ff


# ------------------------------------------------------------------------------------------------
# Calibration: the coefficients.

@dataclass(frozen=True)
class Calibration:
    engine_lut: dict[str, float]
    engine_ff: dict[str, float]
    rest_lut: dict[str, float]
    rest_ff: dict[str, float]
    source: str = ""
    max_lut_error: float | None = None
    max_ff_error: float | None = None

    @classmethod
    def from_dict(cls, data: dict, source: str = "") -> Calibration:
        if data.get("model_version") != MODEL_VERSION:
            raise FoldingError(f"{source or 'planner calibration'}: fits model version {data.get('model_version')}, "
                               f"the planner is version {MODEL_VERSION}; rerun python -m scripts.calibrate_planner")
        coef = data["coefficients"]
        return cls(dict(coef["engine_lut"]), dict(coef["engine_ff"]), dict(coef["rest_lut"]), dict(coef["rest_ff"]),
                   source, data.get("max_lut_error"), data.get("max_ff_error"))


@lru_cache(maxsize=4)
def _load_calibration(path: str) -> Calibration:
    file = Path(path)
    if not file.is_file():
        raise FoldingError(f"planner calibration {file} is missing; run python -m scripts.calibrate_planner")
    return Calibration.from_dict(json.loads(file.read_text()), str(file))


def load_calibration(path: str | Path | None = None) -> Calibration:
    return _load_calibration(str(path or CALIBRATION_FILE))


def _dot(coef: dict[str, float], feats: dict[str, float]) -> float:
    return sum(coef.get(name, 0.0) * value for name, value in feats.items())


# ------------------------------------------------------------------------------------------------
# Estimates.

@dataclass(frozen=True)
class LayerEstimate:
    index: int
    folding: LayerFolding
    words: int
    engine: Resources
    buffer: Resources
    roms: dict[str, tuple[int, int, int, int]]

    @property
    def total(self) -> Resources:
        return self.engine + self.buffer


@dataclass(frozen=True)
class Estimate:
    shape: NetShape
    foldings: tuple[LayerFolding, ...]
    layers: tuple[LayerEstimate, ...]
    fixed: Resources
    budget: Budget
    calibration: Calibration = field(repr=False, compare=False, default=None)

    @property
    def folding_text(self) -> str:
        return format_folding(self.foldings)

    @property
    def interval(self) -> int:
        """II = max_l words_l (cycles between images, hand-over cycles not counted)."""
        return max(layer.words for layer in self.layers)

    @property
    def total(self) -> Resources:
        total = self.fixed
        for layer in self.layers:
            total = total + layer.total
        return total

    def over(self) -> list[tuple[str, float, int]]:
        """(resource, estimate, limit) of every resource above the budget."""
        total = self.total
        return [(key, total.get(key), limit) for key, limit in self.budget.limits().items()
                if round(total.get(key)) > limit]

    @property
    def fits(self) -> bool:
        return not self.over()

    def images_per_second(self, clock_hz: float = DEFAULT_CLOCK_HZ, min_interval: int | None = None) -> float:
        bound = self.shape.in_pixels // self.shape.pixels_per_beat if min_interval is None else min_interval
        return clock_hz / max(self.interval, bound)

    def as_dict(self) -> dict:
        return {
            "folding": self.folding_text, "interval": self.interval, "budget": self.budget.name,
            "fits": self.fits, "total": self.total.as_dict(), "fixed": self.fixed.as_dict(),
            "layers": [{"layer": l.index, "folding": l.folding.label(), "words": l.words,
                        "engine": l.engine.as_dict(), "buffer": l.buffer.as_dict()} for l in self.layers],
        }

    def table(self) -> str:
        """The estimate as a text table (one row per layer, the fixed parts, the total, the budget)."""
        head = f"{'layer':>5} {'shape':>9} {'folding':>11} {'words':>6} {'LUT':>6} {'FF':>6} {'DSP':>4} {'RAMB18':>6}"
        lines = [head]
        for l in self.layers:
            s = self.shape.layers[l.index]
            t = l.total
            lines.append(f"{l.index:>5} {f'{s.n_in}x{s.n_out}':>9} {l.folding.label():>11} {l.words:>6} "
                         f"{round(t.lut):>6} {round(t.ff):>6} {t.dsp:>4} {t.bram18:>6}")
        f = self.fixed
        lines.append(f"{'fixed':>5} {'':>9} {'':>11} {'':>6} {round(f.lut):>6} {round(f.ff):>6} {f.dsp:>4} {f.bram18:>6}")
        t = self.total
        lines.append(f"{'total':>5} {'':>9} {'':>11} {self.interval:>6} {round(t.lut):>6} {round(t.ff):>6} "
                     f"{t.dsp:>4} {t.bram18:>6}")
        b = self.budget
        lines.append(f"{b.name:>5} {'':>9} {'':>11} {'':>6} {b.lut:>6} {b.ff:>6} {b.dsp:>4} {b.bram18:>6}")
        verdict = "fits" if self.fits else "does NOT fit"
        lines.append(f"II {self.interval} cycles; {verdict} the {b.name}"
                     + ("" if self.fits else ": " + ", ".join(f"{RESOURCE_LABELS[k]} {round(v):,} > {lim:,}"
                                                              for k, v, lim in self.over())))
        cal = self.calibration
        if cal is not None and cal.max_lut_error is not None:
            lines.append(f"(LUT and FF estimated by the resource model; its largest error on the calibration grid: "
                         f"LUT {100 * cal.max_lut_error:.1f} %, FF {100 * cal.max_ff_error:.1f} %)")
        return "\n".join(lines)


def _check(shape: NetShape, folding) -> tuple[LayerFolding, ...]:
    foldings = check_folding_for(shape.topology, shape.formats, [l.in_bits for l in shape.layers], folding)
    ppb = shape.pixels_per_beat
    if ppb != 1 and foldings[0].lanes % ppb:
        raise FoldingError(f"folding {format_folding(foldings)!r}, layer 0: {foldings[0].lanes} lanes are not a "
                           f"multiple of the {ppb} pixels per beat")
    return foldings


def _layer_estimate(shape: NetShape, index: int, folding: LayerFolding, cal: Calibration) -> LayerEstimate:
    eng = engine_features(shape, index, folding)
    buf = buffer_features(shape, index, folding)
    layer = shape.layers[index]
    engine = Resources(max(_dot(cal.engine_lut, eng.lut), 0.0), max(_dot(cal.engine_ff, eng.ff), 0.0),
                       eng.dsp, eng.bram18)
    buffer = Resources(max(_dot(cal.rest_lut, buf.lut), 0.0), max(_dot(cal.rest_ff, buf.ff), 0.0), 0, buf.bram18)
    n_words = -(-layer.n_in // folding.lanes) * layer.n_out // folding.neurons
    return LayerEstimate(index, folding, n_words, engine, buffer, eng.roms)


def estimate(net_or_shape, folding, budget: str | Budget = XC7S15, calibration: Calibration | None = None) -> Estimate:
    """Resources of the dataflow core of `net_or_shape` (QuantNetwork or NetShape) with `folding`
    (text or LayerFoldings; checked, kinds resolved), per layer and in total, and the verdict
    against `budget`."""
    shape = NetShape.of(net_or_shape)
    cal = calibration or load_calibration()
    foldings = _check(shape, folding)
    layers = tuple(_layer_estimate(shape, i, f, cal) for i, f in enumerate(foldings))
    flut, fff = fixed_features(shape)
    fixed = Resources(_dot(cal.rest_lut, flut), _dot(cal.rest_ff, fff), 0, 0)
    return Estimate(shape, foldings, layers, fixed, budget_named(budget), cal)


def check_budget(net_or_shape, folding, budget: str | Budget = XC7S15,
                 calibration: Calibration | None = None) -> Estimate:
    """The estimate, or FoldingError naming the resource over the budget and the layer that uses
    most of it, e.g. "folding '28x10:delta,2,1': over the XC7S15 budget: LUT 9,120 > 8,000
    (layer 0: 6,300 LUT, 28x10:delta)"."""
    est = estimate(net_or_shape, folding, budget, calibration)
    over = est.over()
    if over:
        parts = []
        for key, value, limit in over:
            worst = max(est.layers, key=lambda l: l.total.get(key))
            label = RESOURCE_LABELS[key]
            parts.append(f"{label} {round(value):,} > {limit:,} (layer {worst.index}: {round(worst.total.get(key)):,} "
                         f"{label}, {worst.folding.label()})")
        raise FoldingError(f"folding {est.folding_text!r}: over the {est.budget.name} budget: {'; '.join(parts)}")
    return est


# ------------------------------------------------------------------------------------------------
# The planner.

def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def layer_candidates(shape: NetShape, index: int, max_lanes: int = MAX_LANES,
                     kinds: Sequence[LaneKind] | None = None) -> list[LayerFolding]:
    """Every legal folding of one layer (section 6's rules, lanes up to max_lanes, layer 0's lanes a
    multiple of the pixels per beat). No dsp kind where the products are narrower than
    DSP_MIN_PRODUCT_BITS (Yosys would build them in LUTs: the lut kind is that path)."""
    layer = shape.layers[index]
    allowed = [LaneKind(k) for k in (kinds or LaneKind)]
    if layer.fmt.scheme != Scheme.FIXED_REFERENCE:
        allowed = [k for k in allowed if k != LaneKind.DELTA]
    if layer.fmt.weight_bits + layer.in_bits + (0 if layer.in_signed else 1) < DSP_MIN_PRODUCT_BITS:
        # Yosys builds products this narrow in LUTs anyway: the lut kind is the LUT path the model is calibrated on
        allowed = [k for k in allowed if k != LaneKind.DSP] or [LaneKind.LUT]
    group = layer.fmt.group_size(layer.n_in)
    out = []
    for lanes in range(1, min(max_lanes, MAX_LANES, layer.n_in) + 1):
        if group != layer.n_in and group % lanes:
            continue
        if index == 0 and lanes % shape.pixels_per_beat:
            continue
        chunks = -(-layer.n_in // lanes)
        for neurons in _divisors(layer.n_out):
            if neurons > chunks:
                break
            out += [LayerFolding(lanes, neurons, kind) for kind in allowed]
    return out


_RESOURCE_KEYS = ("lut", "ff", "dsp", "bram18")


def _pareto(options: list[tuple[LayerEstimate, Resources]]) -> list[tuple[LayerEstimate, Resources]]:
    """The options no other option beats in every resource (fewer or equal, one fewer)."""
    options = sorted(options, key=lambda o: (o[1].lut, o[1].ff, o[1].dsp, o[1].bram18))
    kept = []
    for est, res in options:
        if not any(all(k.get(key) <= res.get(key) for key in _RESOURCE_KEYS) for _, k in kept):
            kept.append((est, res))
    return kept


def _search(per_layer: list[list[LayerEstimate]], fixed: Resources, budget: Budget, limit: int,
            score) -> tuple[LayerEstimate, ...] | None:
    """The cheapest (by `score` of the total) choice of one estimate per layer with words <= limit
    that fits `budget`: dynamic programme over the DSP48E1 and RAMB18 used, least LUT per state."""
    states = {(fixed.dsp, fixed.bram18): (fixed, ())}
    for options in per_layer:
        choices = _pareto([(o, o.total) for o in options if o.words <= limit])
        new: dict[tuple[int, int], tuple[Resources, tuple]] = {}
        for (dsp, bram), (res, picked) in states.items():
            for option, cost in choices:
                d, b = dsp + cost.dsp, bram + cost.bram18
                if d > budget.dsp or b > budget.bram18:
                    continue
                total = res + cost
                if total.lut > budget.lut or total.ff > budget.ff:
                    continue
                key = (d, b)
                if key not in new or (total.lut, total.ff) < (new[key][0].lut, new[key][0].ff):
                    new[key] = (total, picked + (option,))
        states = new
        if not states:
            return None
    best = min(states.values(), key=lambda s: score(s[0]))
    return best[1]


def plan(net_or_shape, budget: str | Budget = XC7S15, objective="throughput", max_lanes: int = MAX_LANES,
         min_interval: int | None = None, clock_hz: float = DEFAULT_CLOCK_HZ,
         kinds: Sequence[LaneKind] | None = None, calibration: Calibration | None = None,
         margin: float = 0.0) -> tuple[LayerFolding, ...]:
    """Each layer's P, N and lane kind, chosen by the resource model.

    objective "throughput": the smallest II = max_l words_l whose folding fits `budget`, the fewest
    LUTs among those. An II below `min_interval` buys nothing: the input stage takes one beat per
    cycle, so an image needs IN_PIXELS / pixels_per_beat cycles to arrive (the default
    min_interval); the planner then takes the cheapest folding at that interval. Give a smaller
    min_interval to buy parallelism beyond the input rate (e.g. for a wider input).

    objective ("min_resources", images_per_second): the folding with II <= clock_hz /
    images_per_second that fits, with the smallest sum of device fractions (LUT/lut + FF/ff +
    DSP/dsp + RAMB18/bram18); refused when that II is below min_interval (the input cannot keep up).

    margin: plan against a budget with this fraction of the LUTs and FFs held back (e.g. 0.1 for
    the model's error; the default 0 plans to the estimate's full budget).

    Raises FoldingError when nothing fits."""
    shape = NetShape.of(net_or_shape)
    budget = budget_named(budget)
    if not 0 <= margin < 1:
        raise FoldingError(f"planner: margin must be in [0, 1), got {margin}")
    if margin:
        budget = replace(budget, name=f"{budget.name} less {100 * margin:g} %", lut=int(budget.lut * (1 - margin)),
                         ff=int(budget.ff * (1 - margin)))
    cal = calibration or load_calibration()
    bound = shape.in_pixels // shape.pixels_per_beat if min_interval is None else int(min_interval)
    if bound < 1:
        raise FoldingError(f"planner: min_interval must be >= 1, got {min_interval}")
    flut, fff = fixed_features(shape)
    fixed = Resources(_dot(cal.rest_lut, flut), _dot(cal.rest_ff, fff), 0, 0)
    per_layer = [[_layer_estimate(shape, i, f, cal) for f in layer_candidates(shape, i, max_lanes, kinds)]
                 for i in range(len(shape.layers))]
    if any(not options for options in per_layer):
        empty = next(i for i, options in enumerate(per_layer) if not options)
        raise FoldingError(f"planner: layer {empty} has no legal folding with at most {max_lanes} lanes")
    fractions = lambda r: r.lut / budget.lut + r.ff / budget.ff + r.dsp / budget.dsp + r.bram18 / budget.bram18
    by_lut = lambda r: (r.lut, fractions(r))

    if objective == "throughput":
        limits = sorted({o.words for options in per_layer for o in options if o.words > bound} | {bound})
        lo, hi, found = 0, len(limits) - 1, None
        while lo <= hi:  # fitting is monotone in the limit: binary search for the smallest
            mid = (lo + hi) // 2
            picked = _search(per_layer, fixed, budget, limits[mid], by_lut)
            if picked is None:
                lo = mid + 1
            else:
                found, hi = picked, mid - 1
        if found is None:
            raise FoldingError(f"planner: no folding of {shape.describe()} fits the {budget.name} budget "
                               f"({budget.lut:,} LUT, {budget.ff:,} FF, {budget.dsp} DSP48E1, {budget.bram18} RAMB18), "
                               "not even the slowest")
        return tuple(o.folding for o in found)

    if isinstance(objective, (tuple, list)) and len(objective) == 2 and objective[0] == "min_resources":
        rate = float(objective[1])
        if rate <= 0:
            raise FoldingError(f"planner: images per second must be positive, got {objective[1]}")
        limit = math.floor(clock_hz / rate)
        if limit < bound:
            raise FoldingError(f"planner: {rate:,.0f} images/s at {clock_hz / 1e6:g} MHz needs II <= {limit} cycles, "
                               f"below the input's {bound} cycles per image (min_interval)")
        found = _search(per_layer, fixed, budget, limit, fractions)
        if found is None:
            raise FoldingError(f"planner: no folding of {shape.describe()} with II <= {limit} cycles fits the "
                               f"{budget.name} budget")
        return tuple(o.folding for o in found)
    raise FoldingError(f"planner: objective must be 'throughput' or ('min_resources', images_per_second), "
                       f"got {objective!r}")
