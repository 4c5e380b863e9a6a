"""Export a QuantNetwork for the RTL and read an export back: the shared-lane core ("overlay",
ARCHITECTURE.md section 4, export_network) or the dataflow architecture (section 6, export_dataflow).

load_export rebuilds the network from the ROM files alone (decoding the deltas), checks it
against the manifest and weights.npz, so a round trip proves the ROMs hold exactly the weights.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from model.accounting import BitAccount, LayerBits, bram18_tiles, stored_bits
from model.delta import EncodedLayer, decode_layer, encode_layer
from model import formats
from model.cnn import CnnNetwork, LayerSpec, format_layers, parse_layers, weight_rows
from model.folding import LayerFolding, LaneKind, check_folding, check_folding_for, check_pixels_per_beat, \
    format_folding, initiation_interval, layer_layouts, parse_folding, words
from model.formats import MULT_BITS, MULT_FORMAT, DeltaFormat, FixedFormat, FormatError, Scheme
from model.loadimage import LOAD_FILE, image_words, to_bytes
from model.memfile import read_mem, write_coe, write_mem
from model.network import QuantLayer, QuantNetwork
from model.packing import LayerLayout, PaddingError, RomLayout, from_raw, pack_rows, to_raw, topology_rows, unpack_rows
from model.svpkg import FILE_NAME as SV_PACKAGE_FILE
from model.svpkg import generate_dataflow_package, generate_package

ROM_NAMES = ("delta", "ref", "bias", "mult")
ROM_SUFFIXES = (".mem", ".coe")
MANIFEST_FILE = "manifest.json"
WEIGHTS_FILE = "weights.npz"
FORMAT_VERSION = 2  # 2: per-layer weight formats and activation widths; 1 (read too): one format, 8-bit activations
READABLE_VERSIONS = (1, 2)
OVERLAY, DATAFLOW = "overlay", "dataflow"  # manifest "architecture"; a manifest without it is an overlay export
ARCHITECTURES = (OVERLAY, DATAFLOW)
MAX_DATAFLOW_LAYERS = 10  # the ROM files are named l<digit>_<rom>.mem
REQUIRED_KEYS = {
    OVERLAY: ("format_version", "topology", "delta", "lanes", "layers", "roms"),
    DATAFLOW: ("format_version", "topology", "folding", "acc_bits", "layers", "roms"),
}


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
    layout = RomLayout.from_rows(net.rows, core, lanes, net.acc_bits)
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
    rom_words = _rom_words(net, layout)
    for rom, words in rom_words.items():
        width, depth = layout.rom_shapes()[rom]
        write_mem(out / f"{rom}.mem", words, width)
        write_coe(out / f"{rom}.coe", words, width)
        roms[rom] = {"file": f"{rom}.mem", "coe": f"{rom}.coe", "width": width, "depth": depth,
                     "bram18": bram18_tiles(width, depth)}
    _remove_stale_roms(out, set(roms))
    _write_weights(out, net)
    cnn = isinstance(net, CnnNetwork)
    if cnn:  # the shared-lane core runs MLPs: no package for a CNN (and none left from an earlier export)
        (out / SV_PACKAGE_FILE).unlink(missing_ok=True)
    else:
        (out / SV_PACKAGE_FILE).write_text(generate_package(net, layout, name))
    manifest = {
        "format_version": FORMAT_VERSION,
        "architecture": OVERLAY,
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
    if cnn:
        del manifest["sv_package"]
        manifest["cnn"] = _cnn_entry(net)
        for entry, position in zip(manifest["layers"], net.positions):
            entry |= {"kind": net.specs[position].kind, "entry": position}
        (out / LOAD_FILE).unlink(missing_ok=True)
    else:  # the run-time weight load image (deltamac_top RUNTIME_WEIGHTS = 1), from the ROMs' words
        load = image_words(manifest, rom_words)
        (out / LOAD_FILE).write_bytes(to_bytes(load))
        manifest["load_image"] = {"file": LOAD_FILE, "words": len(load), "shape": f"{load[1]:08x}"}
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _cnn_entry(net: CnnNetwork) -> dict:
    """The manifest's "cnn": input shape, the layer list (model.cnn.parse_layers text and per
    entry its kind, options and shapes; "layer" is the index of a conv2d/dense layer's ROM rows)."""
    layer_of = {position: index for index, position in enumerate(net.positions)}
    return {
        "input_shape": list(net.input_shape),
        "text": format_layers(net.specs),
        "entries": [spec.to_dict() | {"in_shape": list(shape), "out_shape": list(out), "layer": layer_of.get(position)}
                    for position, (spec, (shape, out)) in enumerate(zip(net.specs, net.shapes))],
    }


def _write_weights(out: Path, net: QuantNetwork) -> None:
    """weights.npz: the plain integer copy load_export checks the decoded ROMs against."""
    arrays = {"k": np.array([layer.req_shift for layer in net.layers], dtype=np.int64)}
    for index, layer in enumerate(net.layers):
        arrays |= {f"w{index}": layer.weights, f"b{index}": layer.bias, f"m{index}": layer.mult}
    np.savez(out / WEIGHTS_FILE, **arrays)


def _dataflow_stem(index: int, rom: str) -> str:
    return f"l{index}_{rom}"


def _remove_stale_roms(out: Path, written) -> None:
    """Delete the ROM files of either architecture that this export did not write (the reference
    ROM of an earlier non-plain export, the other architecture's ROMs), so no stale ROM is left
    next to the manifest."""
    stems = [*ROM_NAMES, *(_dataflow_stem(i, rom) for i in range(MAX_DATAFLOW_LAYERS) for rom in ROM_NAMES)]
    for stem in set(stems) - set(written):
        for suffix in ROM_SUFFIXES:
            (out / f"{stem}{suffix}").unlink(missing_ok=True)


def _dataflow_rom_shapes(lay: LayerLayout, fmt: DeltaFormat, folding: LayerFolding,
                         acc_bits: int) -> dict[str, tuple[int, int]]:
    """rom -> (width, depth) of one layer's ROMs in the dataflow architecture (section 6); no
    reference ROM for a plain layer."""
    neuron_groups = lay.n_out // folding.neurons
    shapes = {"delta": (folding.neurons * folding.lanes * fmt.delta_bits, neuron_groups * lay.chunks)}
    if fmt.has_references:
        shapes["ref"] = (folding.neurons * fmt.weight_bits, neuron_groups * lay.groups_per_row)
    shapes["bias"] = (acc_bits, lay.n_out)
    shapes["mult"] = (MULT_BITS, lay.n_out)
    return shapes


def _join_neurons(row_words: list[int], per_row: int, width: int, neurons: int) -> list[int]:
    """Words of `neurons` rows side by side (section 6): word g*per_row + c holds word c of row
    g*neurons + k at bits [k*width +: width]; row_words is row-major, per_row words a row."""
    n_groups = len(row_words) // (per_row * neurons)
    return [sum(row_words[(g * neurons + k) * per_row + c] << (k * width) for k in range(neurons))
            for g in range(n_groups) for c in range(per_row)]


def _split_neurons(words: list[int], per_row: int, width: int, neurons: int) -> list[int]:
    """Inverse of _join_neurons: the row-major words of every row."""
    mask = (1 << width) - 1
    rows = [0] * (len(words) * neurons)
    for address, word in enumerate(words):
        group, column = divmod(address, per_row)
        for k in range(neurons):
            rows[(group * neurons + k) * per_row + column] = (word >> (k * width)) & mask
    return rows


def _dataflow_rom_words(net: QuantNetwork, index: int, lay: LayerLayout, folding: LayerFolding) -> dict[str, list[int]]:
    """Raw words of layer `index`'s ROMs, its weights encoded in its own format."""
    layer, fmt = net.layers[index], net.formats[index]
    encoded = encode_layer(layer.weights, fmt, layer.delta_shift, index)  # cannot fail: the network validated it
    row_words = pack_rows(encoded.deltas, folding.lanes, fmt.delta_bits)
    words = {"delta": _join_neurons(row_words, lay.chunks, folding.lanes * fmt.delta_bits, folding.neurons)}
    if fmt.has_references:
        refs = to_raw(encoded.refs, fmt.weight_format, f"layer {index} references")
        words["ref"] = _join_neurons(refs, lay.groups_per_row, fmt.weight_bits, folding.neurons)
    words["bias"] = to_raw(layer.bias, FixedFormat(net.acc_bits, True), f"layer {index} bias")
    words["mult"] = to_raw(layer.mult, MULT_FORMAT, f"layer {index} multiplier")
    return words


def dataflow_stored_bits(net: QuantNetwork, folding) -> BitAccount:
    """Bits of the dataflow weight store: every layer in its own format at its own lanes."""
    foldings = check_folding(net, folding)
    layers = tuple(
        stored_bits({"topology": [layer.n_in, layer.n_out], "delta": _format_entry(fmt)}, f.lanes).layers[0]
        for layer, fmt, f in zip(net.layers, net.formats, foldings)
    )
    total = LayerBits(*(sum(getattr(layer, field) for layer in layers) for field in LayerBits.__dataclass_fields__))
    return BitAccount(layers, total)


def export_dataflow(net: QuantNetwork, out_dir, folding, name: str, pixels_per_beat: int = 1) -> dict:
    """Write the dataflow architecture's export of `net` (section 6) with `folding` (text or
    LayerFoldings) and the input's pixels per beat into out_dir; returns the manifest. Nothing is
    written for a refused folding."""
    if isinstance(net, CnnNetwork):
        raise ExportError("the dataflow architecture runs MLPs; export a CNN with export_network")
    if len(net.layers) > MAX_DATAFLOW_LAYERS:
        raise ExportError(f"the dataflow export names its ROMs l<digit>_<rom>.mem, so at most {MAX_DATAFLOW_LAYERS} "
                          f"layers; this network has {len(net.layers)}")
    foldings = check_folding(net, folding)
    check_pixels_per_beat(net.topology, foldings, pixels_per_beat)
    layouts = layer_layouts(net.topology, net.formats, foldings)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    roms = {}
    for index, (lay, fmt, f) in enumerate(zip(layouts, net.formats, foldings)):
        shapes = _dataflow_rom_shapes(lay, fmt, f, net.acc_bits)
        for rom, rom_words in _dataflow_rom_words(net, index, lay, f).items():
            width, depth = shapes[rom]
            stem = _dataflow_stem(index, rom)
            write_mem(out / f"{stem}.mem", rom_words, width)
            write_coe(out / f"{stem}.coe", rom_words, width)
            roms[stem] = {"layer": index, "rom": rom, "file": f"{stem}.mem", "coe": f"{stem}.coe", "width": width,
                          "depth": depth, "bram18": bram18_tiles(width, depth)}
    _remove_stale_roms(out, roms)
    (out / LOAD_FILE).unlink(missing_ok=True)  # run-time weights are a shared-lane core option
    _write_weights(out, net)
    (out / SV_PACKAGE_FILE).write_text(generate_dataflow_package(net, foldings, name, pixels_per_beat))
    folding_entries = [{"lanes": f.lanes, "neurons": f.neurons, "kind": f.kind.label} for f in foldings]
    manifest = {
        "format_version": FORMAT_VERSION,
        "architecture": DATAFLOW,
        "name": name,
        "topology": list(net.topology),
        "acc_bits": net.acc_bits,
        "bias_bits": net.acc_bits,
        "mult_bits": MULT_BITS,
        "folding": {"text": format_folding(foldings), "layers": folding_entries},
        "initiation_interval": initiation_interval(net, foldings),
        "pixels_per_beat": pixels_per_beat,
        "layers": [
            {"n_in": lay.n_in, "n_out": lay.n_out, "chunks": lay.chunks, "group": lay.group,
             "groups_per_row": lay.groups_per_row, "group_words": lay.group_words,
             "delta_shift": layer.delta_shift, "req_shift": layer.req_shift, "activation": layer.activation,
             "in_signed": layer.in_signed, "out_signed": layer.out_signed,
             "in_bits": layer.in_bits, "act_bits": layer.act_bits, "format": _format_entry(fmt),
             "acc_bits": layer.acc_bits(fmt.weight_bits)} | entry | {"words": layer_words}
            for lay, layer, fmt, entry, layer_words in zip(layouts, net.layers, net.formats, folding_entries,
                                                           words(net, foldings))
        ],
        "roms": roms,
        "sv_package": SV_PACKAGE_FILE,
        "weights": WEIGHTS_FILE,
        "accounting": dataflow_stored_bits(net, foldings).to_dict(),
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
    architecture = manifest.get("architecture", OVERLAY) if isinstance(manifest, dict) else OVERLAY
    if architecture not in ARCHITECTURES:
        raise ExportError(f"{path}: architecture {architecture!r}, this reader knows {ARCHITECTURES}")
    missing = [k for k in REQUIRED_KEYS[architecture] if k not in manifest]
    if missing:
        raise ExportError(f"{path}: missing keys {missing}")
    if manifest["format_version"] not in READABLE_VERSIONS:
        raise ExportError(f"{path}: format_version {manifest['format_version']}, this reader knows {READABLE_VERSIONS}")
    return manifest


def load_export(out_dir) -> tuple[QuantNetwork, dict]:
    """Rebuild the network from an export's ROM files; ExportError/MemFileError name what is wrong."""
    out = Path(out_dir)
    manifest = _read_manifest(out)
    if manifest.get("architecture", OVERLAY) == DATAFLOW:
        return _load_dataflow(out, manifest)
    where = out / MANIFEST_FILE
    try:
        fmt = _format_from_entry(manifest["delta"])
        topology, lanes, table = manifest["topology"], manifest["lanes"], manifest["layers"]
        acc_bits = int(manifest["acc_bits"])
        cnn = _read_cnn_entry(manifest["cnn"]) if "cnn" in manifest else None
        rows = weight_rows(*cnn) if cnn else topology_rows(topology)
        layout = RomLayout.from_rows(rows, fmt, lanes, acc_bits)
        per_layer = manifest["format_version"] >= 2
        layer_formats = [_format_from_entry(e["format"]) if per_layer else fmt for e in table]
        widths = [(int(e["act_bits"]), int(e["in_bits"])) if per_layer else (formats.ACT_BITS,) * 2 for e in table]
        shifts = [(int(e["delta_shift"]), int(e["req_shift"]), e["activation"], bool(e["in_signed"])) for e in table]
        needed_acc_bits = _needed_acc_bits([n_in for n_in, _ in rows], layer_formats, [s[3] for s in shifts],
                                           [w[1] for w in widths])
        declared_rows = [(int(e["n_in"]), int(e["n_out"])) for e in table] if cnn else list(rows)
    except (KeyError, TypeError, ValueError) as exc:
        raise _manifest_error(where, exc) from None
    if len(shifts) != len(layout.layers):
        raise ExportError(f"{where}: {len(shifts)} layer entries for "
                          + (f"CNN layers {cnn[1]}" if cnn else f"topology {topology}"))
    for index, (declared, needed) in enumerate(zip(declared_rows, rows)):
        if declared != needed:
            raise ExportError(f"{where}: layer {index} declares n_in, n_out = {declared}, the CNN layers need {needed}")
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
        if cnn:
            net = CnnNetwork(tuple(layers), tuple(layer_formats), specs=cnn[1], input_shape=cnn[0])
        else:
            net = QuantNetwork(tuple(layers), tuple(layer_formats))
    except FormatError as exc:
        raise ExportError(f"{out}: the exported network breaks the contract: {exc}") from None
    if cnn and list(net.topology) != list(topology):
        raise ExportError(f"{where}: topology {topology}, the CNN layers give {list(net.topology)}")
    if net.core_format != fmt:
        raise ExportError(f"{where}: the ROMs are declared {fmt.describe()}, but the layers' formats need the core "
                          f"format {net.core_format.describe()}")
    _check_against_npz(net, out / manifest.get("weights", WEIGHTS_FILE))
    return net, manifest


def _manifest_error(where: Path, exc: Exception) -> ExportError:
    """A manifest value that is missing, of the wrong type or breaking a format rule."""
    if isinstance(exc, FormatError):
        return ExportError(f"{where}: {exc}")
    return ExportError(f"{where}: malformed manifest ({type(exc).__name__}: {exc})")


def _needed_acc_bits(n_ins, layer_formats, in_signed, in_bits) -> int:
    """ACC_BITS the layers of a manifest need (the widest layer accumulator); n_ins: each layer's
    fan-in (an MLP's topology works: zip stops at the last layer)."""
    return max(formats.acc_bits(n_in, fmt.weight_bits, signed, bits)
               for n_in, fmt, signed, bits in zip(n_ins, layer_formats, in_signed, in_bits))


def _read_cnn_entry(entry: dict) -> tuple[tuple[int, ...], tuple[LayerSpec, ...]]:
    """(input shape, layer specs) of a manifest's "cnn"; the per-entry copy must say what the text says."""
    specs = parse_layers(entry["text"])
    declared = tuple(LayerSpec(e["kind"], e["out"], e["kernel"], e["padding"]) for e in entry["entries"])
    if declared != specs:
        raise ExportError(f"cnn entries {format_layers(declared)!r} differ from its text {entry['text']!r}")
    return tuple(int(n) for n in entry["input_shape"]), specs


def _load_dataflow(out: Path, manifest: dict) -> tuple[QuantNetwork, dict]:
    """load_export of a dataflow export: every layer's own ROMs, in its own format and folding."""
    where = out / MANIFEST_FILE
    try:
        topology = [int(n) for n in manifest["topology"]]
        table = list(manifest["layers"])
        acc_bits = int(manifest["acc_bits"])
        layer_formats = [_format_from_entry(e["format"]) for e in table]
        params = [(int(e["delta_shift"]), int(e["req_shift"]), e["activation"], bool(e["in_signed"]),
                   int(e["act_bits"]), int(e["in_bits"])) for e in table]
        text = manifest["folding"]["text"]
        declared = {key: [LayerFolding(int(e["lanes"]), int(e["neurons"]), LaneKind.from_name(e["kind"]))
                          for e in entries]
                    for key, entries in (("layers", table), ("folding", manifest["folding"]["layers"]))}
    except (KeyError, TypeError, ValueError) as exc:
        raise _manifest_error(where, exc) from None
    n_layers = len(topology) - 1
    if len(table) != n_layers:
        raise ExportError(f"{where}: {len(table)} layer entries for topology {topology}")
    if n_layers > MAX_DATAFLOW_LAYERS:
        raise ExportError(f"{where}: {n_layers} layers, a dataflow export has at most {MAX_DATAFLOW_LAYERS}")
    in_signed, in_bits = [p[3] for p in params], [p[5] for p in params]
    try:
        foldings = check_folding_for(topology, layer_formats, in_bits, parse_folding(text, n_layers))
    except FormatError as exc:
        raise ExportError(f"{where}: {exc}") from None
    try:
        check_pixels_per_beat(topology, foldings, manifest.get("pixels_per_beat", 1))
    except FormatError as exc:
        raise ExportError(f"{where}: {exc}") from None
    for key, entries in declared.items():  # the per-layer copies must say what the folding's text says
        if len(entries) != n_layers:
            raise ExportError(f"{where}: {key} has {len(entries)} folding entries for {n_layers} layers")
        for index, (entry, f) in enumerate(zip(entries, foldings)):
            if entry != f:
                raise ExportError(f"{where}: {key} entry {index} says {entry.label()}, the folding {text!r} says "
                                  f"{f.label()} for layer {index}")
    needed_acc_bits = _needed_acc_bits(topology, layer_formats, in_signed, in_bits)
    if acc_bits != needed_acc_bits:
        raise ExportError(f"{where}: acc_bits {acc_bits} but the layers need {needed_acc_bits}")
    layers = []
    for index, (lay, fmt, f, (delta_shift, req_shift, activation, signed, act_bits, bits)) in enumerate(
            zip(layer_layouts(topology, layer_formats, foldings), layer_formats, foldings, params)):
        weights, bias, mult = _read_dataflow_layer(out, manifest, index, lay, fmt, f, delta_shift, acc_bits)
        layers.append(QuantLayer(weights, bias, mult, req_shift, delta_shift, activation, signed, act_bits, bits))
    try:
        net = QuantNetwork(tuple(layers), tuple(layer_formats))
    except FormatError as exc:
        raise ExportError(f"{out}: the exported network breaks the contract: {exc}") from None
    _check_against_npz(net, out / manifest.get("weights", WEIGHTS_FILE), "export_dataflow")
    return net, manifest


def _read_dataflow_layer(out: Path, manifest: dict, index: int, lay: LayerLayout, fmt: DeltaFormat,
                         folding: LayerFolding, delta_shift: int, acc_bits: int):
    """Weights, biases and multipliers of layer `index` decoded from its ROM files."""
    shapes = _dataflow_rom_shapes(lay, fmt, folding, acc_bits)
    files = {rom: out / f"{_dataflow_stem(index, rom)}.mem" for rom in shapes}
    for rom, (width, depth) in shapes.items():
        entry = manifest["roms"].get(_dataflow_stem(index, rom), {})
        if (entry.get("width"), entry.get("depth")) != (width, depth):
            raise ExportError(f"{out / MANIFEST_FILE}: ROM {_dataflow_stem(index, rom)!r} declared {entry.get('width')} "
                              f"x {entry.get('depth')}, layer {index} needs {width} bits x {depth} words")
    rom_words = {rom: read_mem(files[rom], width, depth) for rom, (width, depth) in shapes.items()}
    row_width = folding.lanes * fmt.delta_bits
    rows = _split_neurons(rom_words["delta"], lay.chunks, row_width, folding.neurons)
    try:
        deltas = unpack_rows(rows, lay.n_out, lay.n_in, folding.lanes, fmt.delta_bits)
    except PaddingError as exc:
        row, column = divmod(exc.word_index, lay.chunks)  # word_index counts the rows' words, not the file's lines
        line = row // folding.neurons * lay.chunks + column + 1
        slot = f" (row {row} is bits [{row % folding.neurons * row_width} +: {row_width}] of the word)"
        raise ExportError(f"{files['delta']}:{line}: layer {index}: {exc}"
                          + (slot if folding.neurons > 1 else "")) from None
    if fmt.has_references:
        raw = _split_neurons(rom_words["ref"], lay.groups_per_row, fmt.weight_bits, folding.neurons)
        refs = from_raw(raw, fmt.weight_format).reshape(lay.n_out, lay.groups_per_row)
    else:
        refs = np.zeros((lay.n_out, 0), np.int64)
    try:
        weights = decode_layer(EncodedLayer(refs, deltas), fmt, delta_shift, index)
    except FormatError as exc:
        names = " and ".join(files[rom].name for rom in ("delta", "ref") if rom in files)
        raise ExportError(f"{out}: {names} decode out of range: {exc}") from None
    return weights, from_raw(rom_words["bias"], FixedFormat(acc_bits, True)), from_raw(rom_words["mult"], MULT_FORMAT)


def _check_against_npz(net: QuantNetwork, path: Path, writer: str = "export_network") -> None:
    """The decoded ROMs must equal the plain integer copy written next to them."""
    if not path.is_file():
        raise ExportError(f"{path}: not found (written by {writer} next to the ROMs)")
    with np.load(path) as saved:
        for index, layer in enumerate(net.layers):
            for key, value in ((f"w{index}", layer.weights), (f"b{index}", layer.bias), (f"m{index}", layer.mult)):
                if key not in saved or not np.array_equal(saved[key], value):
                    raise ExportError(f"{path}: {key} differs from the values decoded from the ROM files")
        shifts = np.array([layer.req_shift for layer in net.layers])
        if "k" not in saved or not np.array_equal(saved["k"], shifts):
            raise ExportError(f"{path}: k differs from the manifest's req_shift values")
