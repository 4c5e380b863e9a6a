"""model.export.export_dataflow / load_export of the dataflow architecture (ARCHITECTURE.md section 6)."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from model.__main__ import main
from model.delta import encode_layer
from model.export import ExportError, export_dataflow, export_network, load_export
from model.folding import FoldingError
from model.formats import DeltaFormat, Scheme, layer_formats, parse_bits_spec
from model.inference import run_network
from model.memfile import MemFileError
from model.random_net import random_network
from model.svpkg import generate_dataflow_package

TOPOLOGY = (30, 12, 16, 4)
FOLDING = "7x3,5x2,3x2"  # C = 5, 3, 6: every layer's last word padded; N > 1 everywhere
MIXED_BITS = "w8a8,w3a3,w6d3a5"


def _mixed_net():
    precisions = parse_bits_spec(MIXED_BITS, 3)
    formats = layer_formats(precisions, Scheme.FIXED_REFERENCE, 4, None)  # w3 is not above d4: layer 1 plain
    return random_network(TOPOLOGY, formats, seed=5, activation=["clamp", "relu"],
                          act_bits=[p.in_bits for p in precisions[1:]])


def _uniform_net(fmt, shift=0, topology=TOPOLOGY, activation="relu"):
    return random_network(topology, fmt, seed=2, delta_shift=shift, activation=activation)


CASES = {
    "fixed_reference": (lambda: _uniform_net(DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, None), 1), FOLDING),
    "fixed_reference_groups": (lambda: _uniform_net(DeltaFormat(Scheme.FIXED_REFERENCE, 7, 3, 6), 1, (36, 12, 24, 4)),
                               "6x3,3x2:lut,2x2:dsp"),
    "consecutive": (lambda: _uniform_net(DeltaFormat(Scheme.CONSECUTIVE, 6, 3, None), 0, activation="clamp"),
                    "7x3:lut,5x2,3x2"),
    "plain": (lambda: _uniform_net(DeltaFormat(Scheme.PLAIN, 6, 6, None)), "7x3,5x2:lut,3x2"),
    "mixed": (_mixed_net, FOLDING),
}


def _mem(path: Path) -> list[int]:
    return [int(line, 16) for line in path.read_text().split()]


def _twos(value: int, bits: int) -> int:
    return value - (1 << bits) if value >> (bits - 1) else value


def _edit_line(path: Path, line: int, new: str) -> None:
    lines = path.read_text().splitlines()
    lines[line - 1] = new
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("case", CASES)
def test_round_trip_through_the_rom_files(tmp_path, case):
    make_net, folding = CASES[case]
    net = make_net()
    manifest = export_dataflow(net, tmp_path, folding, "t")
    back, read = load_export(tmp_path)
    assert read == manifest and manifest["architecture"] == "dataflow" and manifest["format_version"] == 2
    assert back.formats == net.formats
    for a, b in zip(net.layers, back.layers):
        for name in ("weights", "bias", "mult", "req_shift", "delta_shift", "activation", "in_signed", "in_bits",
                     "act_bits"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), name
    images = np.random.default_rng(0).integers(0, 256, size=(8, net.topology[0]), dtype=np.uint8)
    assert np.array_equal(run_network(back, images), run_network(net, images))
    for index, (layer, fmt) in enumerate(zip(net.layers, net.formats)):
        assert (tmp_path / f"l{index}_ref.mem").exists() == fmt.has_references == (tmp_path / f"l{index}_ref.coe").exists()
        for rom in ("delta", "bias", "mult"):
            assert (tmp_path / f"l{index}_{rom}.coe").exists()
    assert not any((tmp_path / f"{rom}.mem").exists() for rom in ("delta", "ref", "bias", "mult"))


def test_manifest_of_the_mixed_network(tmp_path):
    net = _mixed_net()
    manifest = export_dataflow(net, tmp_path, FOLDING, "mixed")
    assert manifest["folding"] == {"text": "7x3:delta,5x2:lut,3x2:delta", "layers": [
        {"lanes": 7, "neurons": 3, "kind": "delta"}, {"lanes": 5, "neurons": 2, "kind": "lut"},
        {"lanes": 3, "neurons": 2, "kind": "delta"}]}
    assert [e["words"] for e in manifest["layers"]] == [20, 24, 12] and manifest["initiation_interval"] == 24
    first = manifest["layers"][0]
    assert {k: first[k] for k in ("n_in", "n_out", "chunks", "group", "groups_per_row", "group_words", "lanes",
                                  "neurons", "kind", "in_bits", "act_bits")} == {
        "n_in": 30, "n_out": 12, "chunks": 5, "group": 30, "groups_per_row": 1, "group_words": 5, "lanes": 7,
        "neurons": 3, "kind": "delta", "in_bits": 8, "act_bits": 3}
    assert manifest["layers"][1]["format"] == {"scheme": "plain", "weight_bits": 3, "delta_bits": 3, "group": None}
    shapes = {name: (rom["width"], rom["depth"]) for name, rom in manifest["roms"].items()}
    acc = net.acc_bits
    assert shapes == {
        "l0_delta": (3 * 7 * 4, 4 * 5), "l0_ref": (3 * 8, 4), "l0_bias": (acc, 12), "l0_mult": (16, 12),
        "l1_delta": (2 * 5 * 3, 8 * 3), "l1_bias": (acc, 16), "l1_mult": (16, 16),
        "l2_delta": (2 * 3 * 3, 2 * 6), "l2_ref": (2 * 6, 2), "l2_bias": (acc, 4), "l2_mult": (16, 4)}
    assert all(rom["file"] == f"{name}.mem" and rom["coe"] == f"{name}.coe" and rom["bram18"] >= 1
               for name, rom in manifest["roms"].items())
    total = manifest["accounting"]["total"]
    assert total["delta_bits"] == 12 * 30 * 4 + 16 * 12 * 3 + 4 * 16 * 3
    assert total["reference_bits"] == 12 * 8 + 4 * 6
    assert total["padding_bits"] == 12 * 5 * 4 + 16 * 3 * 3 + 4 * 2 * 3  # 5, 3, 2 padded lanes per row
    assert manifest["bias_bits"] == manifest["acc_bits"] == acc and manifest["mult_bits"] == 16


def test_delta_word_layout_by_hand(tmp_path):
    # Layer 0: 30 inputs, P = 7 (C = 5, lanes 2..6 of word 4 padded), N = 3, 4-bit deltas.
    net = _uniform_net(DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, None), 1)
    export_dataflow(net, tmp_path, FOLDING, "t")
    deltas = encode_layer(net.layers[0].weights, net.formats[0], 1).deltas
    words = _mem(tmp_path / "l0_delta.mem")
    group, word = 2, 4
    value = words[group * 5 + word]  # address g*C + c
    for k in range(3):  # row g*N + k at bits [k*P*db +: P*db]
        row_word = (value >> (k * 28)) & ((1 << 28) - 1)
        for lane in range(7):  # lane p at bits [p*db +: db], column c*P + p
            column = word * 7 + lane
            expected = deltas[group * 3 + k, column] if column < 30 else 0
            assert _twos((row_word >> (lane * 4)) & 0xF, 4) == expected
    assert value >> 84 == 0


def test_reference_word_layout_by_hand(tmp_path):
    # Layer 0: groups of 6 over 36 inputs (6 references a row), N = 3, 7-bit references.
    make_net, folding = CASES["fixed_reference_groups"]
    net = make_net()
    export_dataflow(net, tmp_path, folding, "t")
    refs = encode_layer(net.layers[0].weights, net.formats[0], 1).refs
    assert refs.shape == (12, 6)
    words = _mem(tmp_path / "l0_ref.mem")
    assert len(words) == 12 // 3 * 6
    group, q = 3, 4
    value = words[group * 6 + q]  # address g*(n_in/G) + q
    assert [_twos((value >> (k * 7)) & 0x7F, 7) for k in range(3)] == [refs[group * 3 + k, q] for k in range(3)]


# Every constant of ARCHITECTURE.md section 6, and nothing else.
SCALARS = ("ARCHITECTURE", "NUM_LAYERS", "ACT_BITS", "ACC_BITS", "BIAS_BITS", "MULT_BITS", "IN_PIXELS", "NUM_CLASSES",
           "PIXELS_PER_BEAT")
TABLES = ("LAYER_N_IN", "LAYER_N_OUT", "LAYER_LANES", "LAYER_NEURONS", "LAYER_LANE_KIND", "LAYER_SCHEME",
          "LAYER_WEIGHT_BITS", "LAYER_DELTA_BITS", "LAYER_CHUNKS", "LAYER_GROUP_WORDS", "LAYER_DELTA_SHIFT",
          "LAYER_REQ_SHIFT", "LAYER_IN_SIGNED", "LAYER_OUT_SIGNED", "LAYER_IN_BITS", "LAYER_ACT_BITS")


def _package_constants(text: str) -> dict:
    """name -> int (scalar) or per-layer list (table, layer 0 first) from the package text."""
    values = {}
    for name, value in re.findall(r"^  localparam int (\w+) += (\d+);", text, re.M):
        values[name] = int(value)
    for name, fields in re.findall(r"^  localparam logic \[NUM_LAYERS\*32-1:0\] (\w+) += \{([^}]*)\};", text, re.M):
        values[name] = [int(f.strip().removeprefix("32'd")) for f in fields.split(",")][::-1]
    assert len(re.findall(r"localparam", text)) == len(values)
    return values


def test_package_constants_of_the_mixed_network(tmp_path):
    net = _mixed_net()
    export_dataflow(net, tmp_path, FOLDING, "mixed")
    text = (tmp_path / "deltamac_net_pkg.sv").read_text()
    assert text == generate_dataflow_package(net, FOLDING, "mixed")
    lines = text.splitlines()
    assert lines[0].startswith("// Generated by `python -m model` for network 'mixed': dataflow, folding "
                               "7x3:delta,5x2:lut,3x2:delta (II 24 cycles), topology 30-12-16-4")
    assert lines[1] == "// Per layer (weights, input activations): w8d4a8,w3a3,w6d3a5."
    assert lines[2:7] == ["`resetall", "`timescale 1ns / 1ps", "`default_nettype none", "", "package deltamac_net_pkg;"]
    assert lines[-3:] == ["endpackage", "", "`resetall"]
    values = _package_constants(text)
    assert set(values) == set(SCALARS) | set(TABLES)
    assert {k: values[k] for k in SCALARS} == {
        "ARCHITECTURE": 1, "NUM_LAYERS": 3, "ACT_BITS": 8, "ACC_BITS": net.acc_bits, "BIAS_BITS": net.acc_bits,
        "MULT_BITS": 16, "IN_PIXELS": 30, "NUM_CLASSES": 4, "PIXELS_PER_BEAT": 1}
    assert {k: values[k] for k in TABLES} == {
        "LAYER_N_IN": [30, 12, 16], "LAYER_N_OUT": [12, 16, 4], "LAYER_LANES": [7, 5, 3], "LAYER_NEURONS": [3, 2, 2],
        "LAYER_LANE_KIND": [2, 1, 2], "LAYER_SCHEME": [1, 0, 1], "LAYER_WEIGHT_BITS": [8, 3, 6],
        "LAYER_DELTA_BITS": [4, 3, 3], "LAYER_CHUNKS": [5, 3, 6], "LAYER_GROUP_WORDS": [5, 3, 6],
        "LAYER_DELTA_SHIFT": [0, 0, 0], "LAYER_REQ_SHIFT": [net.layers[0].req_shift, net.layers[1].req_shift, 0],
        "LAYER_IN_SIGNED": [0, 1, 0], "LAYER_OUT_SIGNED": [1, 0, 0], "LAYER_IN_BITS": [8, 3, 5],
        "LAYER_ACT_BITS": [3, 5, 8]}
    assert min(values["LAYER_REQ_SHIFT"][:2]) >= 1


def test_package_group_words_of_grouped_layers():
    make_net, folding = CASES["fixed_reference_groups"]
    values = _package_constants(generate_dataflow_package(make_net(), folding, "g"))
    # G = 6 at P = 6, 3, 2: G / P words per group; C = 6, 4, 12.
    assert values["LAYER_GROUP_WORDS"] == [1, 2, 3] and values["LAYER_CHUNKS"] == [6, 4, 12]
    assert values["LAYER_DELTA_SHIFT"] == [1, 1, 1] and values["LAYER_LANE_KIND"] == [2, 1, 0]


def test_package_elaborates_in_icarus(tmp_path):
    iverilog = shutil.which("iverilog")
    assert iverilog, "iverilog not found: apt-get install iverilog (or run `make setup`)"
    net = _mixed_net()
    export_dataflow(net, tmp_path, FOLDING, "mixed")
    displays = [f'$display("ARCHITECTURE %0d", deltamac_net_pkg::ARCHITECTURE);']
    displays += [f'$display("{name} %0d", deltamac_net_pkg::{name}[{layer}*32 +: 32]);'
                 for name in TABLES for layer in range(3)]
    (tmp_path / "tb.sv").write_text("module tb; initial begin\n" + "\n".join(displays) + "\nend endmodule\n")
    subprocess.run([iverilog, "-g2012", "-o", str(tmp_path / "tb.vvp"), str(tmp_path / "deltamac_net_pkg.sv"),
                    str(tmp_path / "tb.sv")], check=True, capture_output=True, timeout=60)
    run = subprocess.run(["vvp", "-n", str(tmp_path / "tb.vvp")], check=True, capture_output=True, text=True, timeout=60)
    seen = {}
    for line in run.stdout.splitlines():
        name, value = line.split()
        seen.setdefault(name, []).append(int(value))
    expected = _package_constants((tmp_path / "deltamac_net_pkg.sv").read_text())
    assert seen == {"ARCHITECTURE": [1]} | {name: expected[name] for name in TABLES}


@pytest.fixture
def exported(tmp_path):
    export_dataflow(_mixed_net(), tmp_path, FOLDING, "x")
    return tmp_path


def test_nonzero_padded_lane_names_file_and_line(exported):
    # Layer 1: 12 inputs at P = 5 (C = 3, lanes 2..4 of word 2 padded), N = 2, 3-bit values: a word is 2 x 15 bits.
    # Row 3 is slot 1 of neuron group 1, whose word 2 is line 1*3 + 2 + 1 = 6; its lane 4 at bit 15 + 4*3.
    path = exported / "l1_delta.mem"
    line = path.read_text().splitlines()[5]
    _edit_line(path, 6, f"{int(line, 16) | (1 << 15 + 12):0{len(line)}x}")
    with pytest.raises(ExportError, match=r"l1_delta\.mem:6: layer 1: row 3, word 2: padded lane 4 holds 1, expected 0 "
                                          r"\(row 3 is bits \[15 \+: 15\] of the word\)"):
        load_export(exported)


def test_corrupt_line_and_missing_file_name_the_file(exported):
    path = exported / "l2_ref.mem"
    _edit_line(path, 2, "x" + path.read_text().splitlines()[1][1:])
    with pytest.raises(MemFileError, match=r"l2_ref\.mem:2: .*not lowercase hex"):
        load_export(exported)
    (exported / "l2_mult.mem").unlink()
    (exported / "l2_ref.mem").unlink()
    with pytest.raises(MemFileError, match=r"l2_ref\.mem: file not found"):
        load_export(exported)


def test_truncated_rom_and_out_of_range_reference(exported):
    lines = (exported / "l0_bias.mem").read_text().splitlines()
    (exported / "l0_bias.mem").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(MemFileError, match=rf"l0_bias\.mem:{len(lines)}: too few lines"):
        load_export(exported)
    (exported / "l0_bias.mem").write_text("\n".join(lines) + "\n")
    _edit_line(exported / "l0_ref.mem", 1, "7f7f7f")  # 127 references: positive deltas leave the 8-bit range
    with pytest.raises(ExportError, match=r"l0_delta\.mem and l0_ref\.mem decode out of range: layer 0, row \d+"):
        load_export(exported)


def test_weights_npz_must_match(exported):
    with np.load(exported / "weights.npz") as saved:
        arrays = dict(saved)
    np.savez(exported / "weights.npz", **(arrays | {"w1": arrays["w1"] * 0}))
    with pytest.raises(ExportError, match=r"weights\.npz: w1 differs from the values decoded from the ROM files"):
        load_export(exported)
    (exported / "weights.npz").unlink()
    with pytest.raises(ExportError, match=r"weights\.npz: not found \(written by export_dataflow"):
        load_export(exported)


@pytest.mark.parametrize("edit, message", [
    (lambda m: m["roms"]["l1_delta"].update(depth=3), "ROM 'l1_delta' declared 30 x 3, layer 1 needs 30 bits x 24 words"),
    (lambda m: m["roms"].pop("l2_ref"), "ROM 'l2_ref' declared None x None, layer 2 needs 12 bits x 2 words"),
    (lambda m: m["folding"].update(text="7x3,5x2"), "folding '7x3,5x2' has 2 entries; the network has 3 layers"),
    (lambda m: m["folding"].update(text="7x3,5x3,3x2"), "layer 1 .*3 parallel neurons do not divide n_out 16"),
    (lambda m: m["layers"][2].update(neurons=1), "layers entry 2 says 3:delta, the folding .* says 3x2:delta"),
    (lambda m: m["folding"]["layers"][0].update(kind="lut"), "folding entry 0 says 7x3:lut, .* says 7x3:delta"),
    (lambda m: m["layers"][0].update(kind="gpu"), "unknown lane kind 'gpu'"),
    (lambda m: m.pop("folding"), r"missing keys \['folding'\]"),
    (lambda m: m.update(architecture="systolic"), "architecture 'systolic', this reader knows"),
    (lambda m: m.update(acc_bits=m["acc_bits"] + 1), "acc_bits .* but the layers need"),
    (lambda m: m["layers"][1].pop("in_bits"), r"malformed manifest \(KeyError: 'in_bits'\)"),
])
def test_inconsistent_manifest(exported, edit, message):
    manifest = json.loads((exported / "manifest.json").read_text())
    edit(manifest)
    (exported / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ExportError, match=message):
        load_export(exported)


def test_invalid_folding_and_too_many_layers_write_nothing(tmp_path):
    with pytest.raises(FoldingError, match=r"layer 1 \(12 inputs, 16 outputs\): 13 lanes exceed the layer's n_in 12"):
        export_dataflow(_mixed_net(), tmp_path / "a", "7,13,2", "bad")
    deep = random_network((8,) * 11 + (4,), DeltaFormat(Scheme.PLAIN, 4, 4, None), seed=0)
    with pytest.raises(ExportError, match="at most 10 layers; this network has 11"):
        export_dataflow(deep, tmp_path / "b", ",".join(["2"] * 11), "deep")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    ten = random_network((8,) * 10 + (4,), DeltaFormat(Scheme.PLAIN, 4, 4, None), seed=0)
    export_dataflow(ten, tmp_path / "c", ",".join(["2"] * 10), "ten")
    assert load_export(tmp_path / "c")[1]["roms"]["l9_delta"]["depth"] == 4 * 4


def test_each_architecture_removes_the_others_roms(tmp_path):
    net = _uniform_net(DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, None))
    manifest = export_network(net, tmp_path, 2, "overlay")
    assert manifest["architecture"] == "overlay"
    export_dataflow(_mixed_net(), tmp_path, FOLDING, "dataflow")
    assert not list(tmp_path.glob("delta.*")) + list(tmp_path.glob("ref.*"))
    assert (tmp_path / "l0_ref.mem").exists() and not (tmp_path / "l1_ref.mem").exists()
    export_network(net, tmp_path, 2, "overlay")
    assert not list(tmp_path.glob("l[0-9]_*")) and (tmp_path / "ref.coe").exists()
    assert load_export(tmp_path)[1]["architecture"] == "overlay"


def test_overlay_manifest_without_the_key_reads_as_overlay(tmp_path):
    net = _uniform_net(DeltaFormat(Scheme.CONSECUTIVE, 8, 4, None))
    export_network(net, tmp_path, 4, "old")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    del manifest["architecture"]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    back, read = load_export(tmp_path)
    assert "architecture" not in read and np.array_equal(back.layers[0].weights, net.layers[0].weights)


def test_cli_export_random_with_a_folding(tmp_path, capsys):
    out = tmp_path / "df"
    argv = ["export-random", "--out", str(out), "--topology", "30-12-4", "--calibration", "random", "--seed", "3"]
    assert main(argv + ["--folding", "7x3,4:lut"]) == 0
    assert "dataflow (w8d4a8,w8d4a8), folding 7x3:delta,4:lut, II 20 cycles" in capsys.readouterr().out
    net, manifest = load_export(out)
    assert manifest["architecture"] == "dataflow" and net.topology == (30, 12, 4)
    assert main(["report", "--build", str(out)]) == 0
    report = capsys.readouterr().out
    assert "folding 7x3:delta,4:lut" in report and re.search(r"ROM l0_delta +84 bits x +20 words", report)

    assert main(argv + ["--folding", "7x5,4"]) == 1
    err = capsys.readouterr().err
    assert err == ("python -m model export-random: error: folding '7x5,4', layer 0 (30 inputs, 12 outputs): "
                   "5 parallel neurons do not divide n_out 12\n")
    assert main(argv + ["--folding", "7,4y"]) == 1
    assert "entry 2 '4y': expected P[xN][:kind]" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(argv + ["--folding", "7,4", "--lanes", "4"])
    assert exit_info.value.code == 2
    assert "argument --lanes: not allowed with argument --folding" in capsys.readouterr().err


def test_pixels_per_beat_is_recorded_and_checked(tmp_path):
    """The input's pixels per beat goes into the package and the manifest; the pixels of an image
    and layer 0's lanes must be multiples of it (the message says which), and a manifest that
    breaks the rule is refused on read-back."""
    from model.folding import FoldingError, check_pixels_per_beat, parse_folding

    net = random_network((784, 16, 10), DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, None), seed=2)
    manifest = export_dataflow(net, tmp_path / "ppb", "28x2:delta,4", "ppb", pixels_per_beat=4)
    assert manifest["pixels_per_beat"] == 4
    assert "localparam int PIXELS_PER_BEAT" in (tmp_path / "ppb" / "deltamac_net_pkg.sv").read_text()
    assert "= 4;" in [line for line in (tmp_path / "ppb" / "deltamac_net_pkg.sv").read_text().splitlines()
                      if "PIXELS_PER_BEAT" in line][0]
    foldings = parse_folding("28x2,4", 2)
    with pytest.raises(FoldingError, match="layer 0's 28 lanes are not a multiple of it"):
        check_pixels_per_beat((784, 16, 10), foldings, 8)
    with pytest.raises(FoldingError, match="must be one of 1, 2, 4, 8, got 3"):
        check_pixels_per_beat((784, 16, 10), foldings, 3)
    with pytest.raises(FoldingError, match="the 30 pixels of an image are not a multiple of it"):
        check_pixels_per_beat((30, 4), parse_folding("4", 1), 4)
    with pytest.raises(FoldingError, match="not a multiple"):
        export_dataflow(net, tmp_path / "bad", "28x2:delta,4", "bad", pixels_per_beat=8)
    assert not (tmp_path / "bad").exists()
    path = tmp_path / "ppb" / "manifest.json"
    content = json.loads(path.read_text())
    content["pixels_per_beat"] = 8
    path.write_text(json.dumps(content))
    with pytest.raises(ExportError, match="layer 0's 28 lanes are not a multiple"):
        load_export(tmp_path / "ppb")
