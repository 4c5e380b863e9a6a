"""The generated SystemVerilog package `deltamac_net_pkg` (ARCHITECTURE.md section 4; the
dataflow architecture's constants: section 6).

Per-layer tables are packed vectors of 32-bit fields with layer 0 in the least significant
field, because Icarus 11 and Yosys 0.23 both accept them.
"""

from __future__ import annotations

from model.folding import check_folding, check_pixels_per_beat, format_folding, initiation_interval, layer_layouts
from model.formats import ACT_BITS, MULT_BITS
from model.network import QuantNetwork, describe_precision
from model.packing import RomLayout

PACKAGE_NAME = "deltamac_net_pkg"
FILE_NAME = f"{PACKAGE_NAME}.sv"


def _table(values: list[int]) -> str:
    # Concatenation lists the most significant field first, so the last layer comes first.
    return "{" + ", ".join(f"32'd{int(v)}" for v in reversed(values)) + "}"


def generate_package(net: QuantNetwork, layout: RomLayout, name: str) -> str:
    """Source text of the package for `net` exported with `layout`."""
    fmt = net.core_format
    scalars = [
        ("NUM_LAYERS", len(net.layers), ""),
        ("LANES", layout.lanes, "P"),
        ("SCHEME", int(fmt.scheme), "0 plain, 1 fixed_reference, 2 consecutive"),
        ("WEIGHT_BITS", fmt.weight_bits, ""),
        ("DELTA_BITS", fmt.delta_bits, "== WEIGHT_BITS for plain"),
        ("ACT_BITS", ACT_BITS, "activation buffer width; each layer's own width is LAYER_ACT_BITS"),
        ("ACC_BITS", net.acc_bits, ""),
        ("BIAS_BITS", net.acc_bits, ""),
        ("MULT_BITS", MULT_BITS, ""),
        ("IN_PIXELS", net.topology[0], ""),
        ("NUM_CLASSES", net.n_classes, ""),
        ("MAX_CHUNKS", layout.max_chunks, "max over layers of ceil(n_in/P): activation buffer depth"),
        ("DELTA_ROM_DEPTH", layout.delta_depth, ""),
        ("REF_ROM_DEPTH", layout.ref_depth, "0 for plain: no reference ROM"),
        ("NEURON_ROM_DEPTH", layout.neuron_depth, ""),
    ]
    tables = [
        ("LAYER_N_IN", [lay.n_in for lay in layout.layers], ""),
        ("LAYER_N_OUT", [lay.n_out for lay in layout.layers], ""),
        ("LAYER_CHUNKS", [lay.chunks for lay in layout.layers], "ceil(n_in/P)"),
        ("LAYER_GROUP_WORDS", [lay.group_words for lay in layout.layers], "words per reference group"),
        ("LAYER_DELTA_BASE", [lay.delta_base for lay in layout.layers], ""),
        ("LAYER_REF_BASE", [lay.ref_base for lay in layout.layers], ""),
        ("LAYER_NEURON_BASE", [lay.neuron_base for lay in layout.layers], ""),
        ("LAYER_DELTA_SHIFT", [layer.delta_shift for layer in net.layers], "s"),
        ("LAYER_REQ_SHIFT", [layer.req_shift for layer in net.layers], "k (0 for the last layer)"),
        ("LAYER_IN_SIGNED", [int(layer.in_signed) for layer in net.layers], "1: input activations signed"),
        ("LAYER_OUT_SIGNED", [int(layer.out_signed) for layer in net.layers], "1: clamp, 0: relu"),
        ("LAYER_ACT_BITS", [layer.act_bits for layer in net.layers], "output activation width (ACT_BITS for the last)"),
    ]
    title = f"{fmt.describe()}, topology " + "-".join(map(str, net.topology))
    return render_package(_net_header(net, name, title), scalars, tables)


def generate_dataflow_package(net: QuantNetwork, folding, name: str, pixels_per_beat: int = 1) -> str:
    """Source text of the dataflow architecture's package (section 6) for `net` with `folding`
    (text or LayerFoldings; checked, default kinds resolved) and the input's pixels per beat."""
    foldings = check_folding(net, folding)
    check_pixels_per_beat(net.topology, foldings, pixels_per_beat)
    layouts = layer_layouts(net.topology, net.formats, foldings)
    scalars = [
        ("ARCHITECTURE", 1, "1: dataflow, one engine per layer (a shared-lane package has no ARCHITECTURE)"),
        ("NUM_LAYERS", len(net.layers), ""),
        ("ACT_BITS", ACT_BITS, "pixel width, the widest activation; each layer's own widths: LAYER_IN_BITS, LAYER_ACT_BITS"),
        ("ACC_BITS", net.acc_bits, ""),
        ("BIAS_BITS", net.acc_bits, ""),
        ("MULT_BITS", MULT_BITS, ""),
        ("IN_PIXELS", net.topology[0], ""),
        ("NUM_CLASSES", net.n_classes, ""),
        ("PIXELS_PER_BEAT", pixels_per_beat, "default of deltamac_dataflow_top's PIXELS_PER_BEAT (s_axis_tdata 8x wide)"),
    ]
    tables = [
        ("LAYER_N_IN", [layer.n_in for layer in net.layers], ""),
        ("LAYER_N_OUT", [layer.n_out for layer in net.layers], ""),
        ("LAYER_LANES", [f.lanes for f in foldings], "P_l"),
        ("LAYER_NEURONS", [f.neurons for f in foldings], "N_l, neurons in parallel"),
        ("LAYER_LANE_KIND", [int(f.kind) for f in foldings], "0 dsp, 1 lut, 2 delta"),
        ("LAYER_SCHEME", [int(fmt.scheme) for fmt in net.formats], "0 plain, 1 fixed_reference, 2 consecutive"),
        ("LAYER_WEIGHT_BITS", [fmt.weight_bits for fmt in net.formats], ""),
        ("LAYER_DELTA_BITS", [fmt.delta_bits for fmt in net.formats], "== LAYER_WEIGHT_BITS for plain"),
        ("LAYER_CHUNKS", [lay.chunks for lay in layouts], "C_l = ceil(n_in/P_l)"),
        ("LAYER_GROUP_WORDS", [lay.group_words for lay in layouts], "words per reference group at P_l (C_l for G == n_in)"),
        ("LAYER_DELTA_SHIFT", [layer.delta_shift for layer in net.layers], "s"),
        ("LAYER_REQ_SHIFT", [layer.req_shift for layer in net.layers], "k (0 for the last layer)"),
        ("LAYER_IN_SIGNED", [int(layer.in_signed) for layer in net.layers], "1: input activations signed"),
        ("LAYER_OUT_SIGNED", [int(layer.out_signed) for layer in net.layers], "1: clamp, 0: relu"),
        ("LAYER_IN_BITS", [layer.in_bits for layer in net.layers], "input activation width"),
        ("LAYER_ACT_BITS", [layer.act_bits for layer in net.layers], "output activation width (ACT_BITS for the last)"),
    ]
    title = (f"dataflow, folding {format_folding(foldings)} (II {initiation_interval(net, foldings)} cycles), "
             "topology " + "-".join(map(str, net.topology)))
    return render_package(_net_header(net, name, title), scalars, tables)


def _net_header(net: QuantNetwork, name: str, title: str) -> list[str]:
    return [f"// Generated by `python -m model` for network {name!r}: {title}. Do not edit.",
            f"// Per layer (weights, input activations): {describe_precision(net)}."]


def render_package(header: list[str], scalars, tables, extra: tuple[str, ...] = ()) -> str:
    """The package text: header comments, aligned scalars, the per-layer tables, then `extra`
    declaration lines (an architecture's own wide constants)."""
    width = max(len(n) for n, _, _ in scalars + tables)
    lines = [*header, "`resetall", "`timescale 1ns / 1ps", "`default_nettype none", "", f"package {PACKAGE_NAME};"]
    for const, value, comment in scalars:
        lines.append(f"  localparam int {const:<{width}} = {value};" + (f"  // {comment}" if comment else ""))
    lines.append("  // Per-layer tables: 32-bit fields, layer 0 in the least significant field.")
    for const, values, comment in tables:
        lines.append(
            f"  localparam logic [NUM_LAYERS*32-1:0] {const:<{width}} = {_table(values)};"
            + (f"  // {comment}" if comment else "")
        )
    lines.extend(extra)
    lines.extend(["endpackage", "", "`resetall"])
    return "\n".join(lines) + "\n"
