"""Export a QuantNetwork for the RTL (ARCHITECTURE.md section 4) and read an export back.

load_export rebuilds the network from the ROM files alone (decoding the deltas), checks it
against the manifest and weights.npz, so a round trip proves the ROMs hold exactly the weights.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from model.accounting import bram18_tiles, stored_bits
from model.delta import EncodedLayer, decode_layer, encode_layer
from model import formats
from model.formats import MULT_BITS, DeltaFormat, FixedFormat, FormatError, Scheme
from model.memfile import read_mem, write_coe, write_mem
from model.network import QuantLayer, QuantNetwork
from model.packing import PaddingError, RomLayout, from_raw, pack_rows, to_raw, unpack_rows
from model.svpkg import FILE_NAME as SV_PACKAGE_FILE
from model.svpkg import generate_package

ROM_NAMES = ("delta", "ref", "bias", "mult")
MANIFEST_FILE = "manifest.json"
WEIGHTS_FILE = "weights.npz"
FORMAT_VERSION = 2  # 2: per-layer weight formats and activation widths; 1 (read too): one format, 8-bit activations
READABLE_VERSIONS = (1, 2)


class ExportError(FormatError):
    pass


def _rom_words(net: QuantNetwork, layout: RomLayout) -> dict[str, list[int]]:
    """Raw words of every ROM of the layout (no reference ROM for plain), every layer encoded in
    the shared-lane core's format."""
    fmt = layout.delta
    delta_words, ref_words = [], []
    for index, layer in enumerate(net.layers):
        try:
            encoded = encode_layer(layer.weights, fmt, layer.delta_shift, index)
        except FormatError as exc:
            raise ExportError(f"layer {index} ({net.formats[index].describe()}) cannot be stored in the shared-lane "
                              f"core's format ({fmt.describe()}): {exc}") from None
        delta_words += pack_rows(encoded.deltas, layout.lanes, fmt.delta_bits)
        ref_words += to_raw(encoded.refs, fmt.weight_format, f"layer {index} references")
    biases = np.concatenate([layer.bias for layer in net.layers])
    mults = np.concatenate([layer.mult for layer in net.layers])
    words = {
        "delta": delta_words,
        "ref": ref_words,
        "bias": to_raw(biases, FixedFormat(net.acc_bits, True), "bias"),
        "mult": to_raw(mults, FixedFormat(MULT_BITS, False), "multiplier"),
    }
    return {name: words[name] for name in layout.rom_shapes()}


def _format_entry(fmt: DeltaFormat) -> dict:
    return {"scheme": fmt.scheme.label, "weight_bits": fmt.weight_bits, "delta_bits": fmt.delta_bits, "group": fmt.group}


def _format_from_entry(entry: dict) -> DeltaFormat:
    return DeltaFormat(Scheme.from_name(entry["scheme"]), entry["weight_bits"], entry["delta_bits"], entry["group"])


def export_network(net: QuantNetwork, out_dir, lanes: int, name: str) -> dict:
    """Write every export file of `net` for `lanes` MAC lanes into out_dir; returns the manifest."""
    try:
        core = net.core_format
    except FormatError as exc:
        raise ExportError(str(exc)) from None
    layout = RomLayout.build(net.topology, core, lanes, net.acc_bits)
    problems = layout.rtl_group_problems()
    if problems:
        raise ExportError(
            "the RTL needs every memory word inside one reference group (group == n_in or group % lanes == 0): "
            + "; ".join(problems)
            + ". Choose group=row or a multiple of the lane count."
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    roms = {}
    for rom, words in _rom_words(net, layout).items():
        width, depth = layout.rom_shapes()[rom]
        write_mem(out / f"{rom}.mem", words, width)
        write_coe(out / f"{rom}.coe", words, width)
        roms[rom] = {"file": f"{rom}.mem", "coe": f"{rom}.coe", "width": width, "depth": depth,
                     "bram18": bram18_tiles(width, depth)}
    for rom in set(ROM_NAMES) - set(roms):  # e.g. the ref ROM of an earlier non-plain export
        for suffix in (".mem", ".coe"):
            (out / f"{rom}{suffix}").unlink(missing_ok=True)
    arrays = {"k": np.array([layer.req_shift for layer in net.layers], dtype=np.int64)}
    for index, layer in enumerate(net.layers):
        arrays |= {f"w{index}": layer.weights, f"b{index}": layer.bias, f"m{index}": layer.mult}
    np.savez(out / WEIGHTS_FILE, **arrays)
    (out / SV_PACKAGE_FILE).write_text(generate_package(net, layout, name))
    manifest = {
        "format_version": FORMAT_VERSION,
        "name": name,
        "topology": list(net.topology),
        "delta": _format_entry(core),
        "lanes": lanes,
        "acc_bits": net.acc_bits,
        "bias_bits": net.acc_bits,
        "mult_bits": MULT_BITS,
        "layers": [
            {"n_in": lay.n_in, "n_out": lay.n_out, "chunks": lay.chunks, "group": lay.group,
             "groups_per_row": lay.groups_per_row, "group_words": lay.group_words,
             "delta_base": lay.delta_base, "ref_base": lay.ref_base, "neuron_base": lay.neuron_base,
             "delta_shift": layer.delta_shift, "req_shift": layer.req_shift, "activation": layer.activation,
             "in_signed": layer.in_signed, "out_signed": layer.out_signed,
             "in_bits": layer.in_bits, "act_bits": layer.act_bits, "format": _format_entry(fmt),
             "acc_bits": layer.acc_bits(fmt.weight_bits)}
            for lay, layer, fmt in zip(layout.layers, net.layers, net.formats)
        ],
        "roms": roms,
        "sv_package": SV_PACKAGE_FILE,
        "weights": WEIGHTS_FILE,
        "accounting": stored_bits(net, lanes).to_dict(),
    }
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _read_manifest(out: Path) -> dict:
    path = out / MANIFEST_FILE
    if not path.is_file():
        raise ExportError(f"{path}: not found; export a network first (e.g. `make rom-random`)")
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ExportError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    missing = [k for k in ("format_version", "topology", "delta", "lanes", "layers", "roms") if k not in manifest]
    if missing:
        raise ExportError(f"{path}: missing keys {missing}")
    if manifest["format_version"] not in READABLE_VERSIONS:
        raise ExportError(f"{path}: format_version {manifest['format_version']}, this reader knows {READABLE_VERSIONS}")
    return manifest


def load_export(out_dir) -> tuple[QuantNetwork, dict]:
    """Rebuild the network from an export's ROM files; ExportError/MemFileError name what is wrong."""
    out = Path(out_dir)
    manifest = _read_manifest(out)
    where = out / MANIFEST_FILE
    try:
        fmt = _format_from_entry(manifest["delta"])
        topology, lanes, table = manifest["topology"], manifest["lanes"], manifest["layers"]
        acc_bits = int(manifest["acc_bits"])
        layout = RomLayout.build(topology, fmt, lanes, acc_bits)
        per_layer = manifest["format_version"] >= 2
        layer_formats = [_format_from_entry(e["format"]) if per_layer else fmt for e in table]
        widths = [(int(e["act_bits"]), int(e["in_bits"])) if per_layer else (formats.ACT_BITS,) * 2 for e in table]
        shifts = [(int(e["delta_shift"]), int(e["req_shift"]), e["activation"], bool(e["in_signed"])) for e in table]
        needed_acc_bits = max(
            formats.acc_bits(n_in, lf.weight_bits, in_signed, in_bits)
            for n_in, lf, (*_, in_signed), (_, in_bits) in zip(topology, layer_formats, shifts, widths)
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, FormatError):
            raise ExportError(f"{where}: {exc}") from None
        raise ExportError(f"{where}: malformed manifest ({type(exc).__name__}: {exc})") from None
    if len(shifts) != len(layout.layers):
        raise ExportError(f"{where}: {len(shifts)} layer entries for topology {topology}")
    if acc_bits != needed_acc_bits:
        raise ExportError(f"{where}: acc_bits {acc_bits} but the layers need {needed_acc_bits}")
    for rom, (width, depth) in layout.rom_shapes().items():
        entry = manifest["roms"].get(rom, {})
        if (entry.get("width"), entry.get("depth")) != (width, depth):
            raise ExportError(
                f"{where}: ROM {rom!r} declared {entry.get('width')} x {entry.get('depth')}, "
                f"the layout needs {width} bits x {depth} words"
            )
    words = {rom: read_mem(out / f"{rom}.mem", width, depth) for rom, (width, depth) in layout.rom_shapes().items()}
    biases = from_raw(words["bias"], FixedFormat(acc_bits, True))
    mults = from_raw(words["mult"], FixedFormat(MULT_BITS, False))
    refs = from_raw(words.get("ref", []), fmt.weight_format)
    layers = []
    for index, (lay, (delta_shift, req_shift, activation, in_signed), (act_bits, in_bits)) in enumerate(
            zip(layout.layers, shifts, widths)):
        rows = words["delta"][lay.delta_base: lay.delta_base + lay.chunks * lay.n_out]
        try:
            deltas = unpack_rows(rows, lay.n_out, lay.n_in, lanes, fmt.delta_bits)
        except PaddingError as exc:
            raise ExportError(f"{out / 'delta.mem'}:{lay.delta_base + exc.word_index + 1}: layer {index}: {exc}") from None
        n_refs = lay.groups_per_row * lay.n_out if fmt.has_references else 0
        layer_refs = refs[lay.ref_base: lay.ref_base + n_refs].reshape(lay.n_out, -1)
        try:
            weights = decode_layer(EncodedLayer(layer_refs, deltas), fmt, delta_shift, index)
        except FormatError as exc:
            raise ExportError(f"{out}: the delta/reference ROMs decode out of range: {exc}") from None
        neurons = slice(lay.neuron_base, lay.neuron_base + lay.n_out)
        layers.append(QuantLayer(weights, biases[neurons], mults[neurons], req_shift, delta_shift, activation, in_signed,
                                 act_bits, in_bits))
    try:
        net = QuantNetwork(tuple(layers), tuple(layer_formats))
    except FormatError as exc:
        raise ExportError(f"{out}: the exported network breaks the contract: {exc}") from None
    if net.core_format != fmt:
        raise ExportError(f"{where}: the ROMs are declared {fmt.describe()}, but the layers' formats need the core "
                          f"format {net.core_format.describe()}")
    _check_against_npz(net, out / manifest.get("weights", WEIGHTS_FILE))
    return net, manifest


def _check_against_npz(net: QuantNetwork, path: Path) -> None:
    """The decoded ROMs must equal the plain integer copy written next to them."""
    if not path.is_file():
        raise ExportError(f"{path}: not found (written by export_network next to the ROMs)")
    with np.load(path) as saved:
        for index, layer in enumerate(net.layers):
            for key, value in ((f"w{index}", layer.weights), (f"b{index}", layer.bias), (f"m{index}", layer.mult)):
                if key not in saved or not np.array_equal(saved[key], value):
                    raise ExportError(f"{path}: {key} differs from the values decoded from the ROM files")
        shifts = np.array([layer.req_shift for layer in net.layers])
        if "k" not in saved or not np.array_equal(saved["k"], shifts):
            raise ExportError(f"{path}: k differs from the manifest's req_shift values")
