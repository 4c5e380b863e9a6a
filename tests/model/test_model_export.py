import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.delta import encode_layer
from model.export import ExportError, export_network, load_export
from model.formats import DeltaFormat, FormatError, Scheme
from model.inference import run_network
from model.memfile import MemFileError
from model.random_net import random_network

TOPOLOGY = (64, 32, 5)


def _twos(value: int, bits: int) -> int:
    return value - (1 << bits) if value >> (bits - 1) else value


def _mem(path: Path) -> list[int]:
    return [int(line, 16) for line in path.read_text().split()]


@st.composite
def rtl_exports(draw):
    """A random network and a lane count whose groups the RTL can run."""
    lanes = draw(st.sampled_from([1, 2, 4, 8, 16, 32]))
    scheme = draw(st.sampled_from(list(Scheme)))
    weight_bits = draw(st.integers(2, 16))
    delta_bits = weight_bits if scheme == Scheme.PLAIN else draw(st.integers(1, 8))
    groups = [g for g in (lanes, 2 * lanes, 4 * lanes) if 32 % g == 0 and scheme != Scheme.PLAIN]
    group = draw(st.sampled_from([None, *groups]))
    shift = 0 if scheme == Scheme.PLAIN else draw(st.integers(0, min(2, weight_bits - 1)))
    activation = draw(st.sampled_from(["relu", "clamp"]))
    fmt = DeltaFormat(scheme, weight_bits, delta_bits, group)
    net = random_network(TOPOLOGY, fmt, seed=draw(st.integers(0, 2**16)), delta_shift=shift, activation=activation)
    return net, lanes


@settings(max_examples=40, deadline=None)
@given(case=rtl_exports())
def test_rom_files_hold_exactly_the_encoded_network(case):
    net, lanes = case
    fmt = net.core_format
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        manifest = export_network(net, out, lanes, "t")
        words = _mem(out / "delta.mem")
        refs = _mem(out / "ref.mem") if fmt.has_references else []
        assert (out / "ref.mem").exists() == fmt.has_references == (out / "ref.coe").exists()
        biases, mults = _mem(out / "bias.mem"), _mem(out / "mult.mem")
        delta_base = ref_base = neuron_base = 0
        for index, layer in enumerate(net.layers):
            encoded = encode_layer(layer.weights, fmt, layer.delta_shift)
            n_chunks = -(-layer.n_in // lanes)
            for row in range(layer.n_out):
                for col in range(n_chunks * lanes):
                    word = words[delta_base + row * n_chunks + col // lanes]
                    lane = _twos((word >> (col % lanes * fmt.delta_bits)) & ((1 << fmt.delta_bits) - 1), fmt.delta_bits)
                    assert lane == (encoded.deltas[row, col] if col < layer.n_in else 0)
            n_refs = encoded.refs.size
            assert [_twos(r, fmt.weight_bits) for r in refs[ref_base:ref_base + n_refs]] == encoded.refs.ravel().tolist()
            neurons = slice(neuron_base, neuron_base + layer.n_out)
            assert [_twos(b, net.acc_bits) for b in biases[neurons]] == layer.bias.tolist()
            assert mults[neurons] == layer.mult.tolist()
            entry = manifest["layers"][index]
            assert (entry["delta_base"], entry["ref_base"], entry["neuron_base"]) == (delta_base, ref_base, neuron_base)
            delta_base += n_chunks * layer.n_out
            ref_base += n_refs
            neuron_base += layer.n_out
        assert (len(words), len(refs), len(biases)) == (delta_base, ref_base, neuron_base)
        back, _ = load_export(out)
        for a, b in zip(net.layers, back.layers):
            for name in ("weights", "bias", "mult", "req_shift", "delta_shift", "activation", "in_signed"):
                assert np.array_equal(getattr(a, name), getattr(b, name)), name
        images = np.random.default_rng(0).integers(0, 256, size=(8, TOPOLOGY[0]), dtype=np.uint8)
        assert np.array_equal(run_network(back, images), run_network(net, images))


def _package_values(out: Path, names: list[str], n_layers: int) -> dict[str, list[int]]:
    """Elaborate the generated package with Icarus and print every constant, per layer for tables."""
    iverilog = shutil.which("iverilog")
    assert iverilog, "iverilog not found: apt-get install iverilog (or run `make setup`)"
    lines = []
    for name in names:
        if name.startswith("LAYER_"):
            for layer in range(n_layers):
                lines.append(f'$display("{name} %0d", deltamac_net_pkg::{name}[{layer}*32 +: 32]);')
        else:
            lines.append(f'$display("{name} %0d", deltamac_net_pkg::{name});')
    (out / "tb.sv").write_text("module tb; initial begin\n" + "\n".join(lines) + "\nend endmodule\n")
    subprocess.run([iverilog, "-g2012", "-o", str(out / "tb.vvp"), str(out / "deltamac_net_pkg.sv"), str(out / "tb.sv")],
                   check=True, capture_output=True, timeout=60)
    run = subprocess.run(["vvp", "-n", str(out / "tb.vvp")], check=True, capture_output=True, text=True, timeout=60)
    values: dict[str, list[int]] = {}
    for line in run.stdout.splitlines():
        name, value = line.split()
        values.setdefault(name, []).append(int(value))
    return values


@pytest.mark.parametrize("scheme, group", [(Scheme.CONSECUTIVE, 8), (Scheme.PLAIN, None)])
def test_sv_package_constants_as_icarus_sees_them(tmp_path, scheme, group):
    fmt = DeltaFormat(scheme, 8, 8 if scheme == Scheme.PLAIN else 3, group)
    net = random_network((40, 24, 16, 10), fmt, seed=4, activation=["clamp", "relu"], delta_shift=0)
    lanes = 8
    manifest = export_network(net, tmp_path, lanes, "pkg")
    scalars = {
        "NUM_LAYERS": 3, "LANES": lanes, "SCHEME": int(scheme), "WEIGHT_BITS": 8, "DELTA_BITS": fmt.delta_bits,
        "ACT_BITS": 8, "ACC_BITS": net.acc_bits, "BIAS_BITS": net.acc_bits, "MULT_BITS": 16, "IN_PIXELS": 40,
        "NUM_CLASSES": 10, "MAX_CHUNKS": 5, "DELTA_ROM_DEPTH": 5 * 24 + 3 * 16 + 2 * 10,
        "REF_ROM_DEPTH": 0 if scheme == Scheme.PLAIN else 5 * 24 + 3 * 16 + 2 * 10,
        "NEURON_ROM_DEPTH": 50,
    }
    group_words = [5, 3, 2] if group is None or scheme == Scheme.PLAIN else [1, 1, 1]
    tables = {
        "LAYER_N_IN": [40, 24, 16], "LAYER_N_OUT": [24, 16, 10], "LAYER_CHUNKS": [5, 3, 2],
        "LAYER_GROUP_WORDS": group_words, "LAYER_DELTA_BASE": [0, 120, 168],
        "LAYER_REF_BASE": [0, 0, 0] if scheme == Scheme.PLAIN else [0, 120, 168],
        "LAYER_NEURON_BASE": [0, 24, 40], "LAYER_DELTA_SHIFT": [0, 0, 0],
        "LAYER_REQ_SHIFT": [layer.req_shift for layer in net.layers],
        "LAYER_IN_SIGNED": [0, 1, 0], "LAYER_OUT_SIGNED": [1, 0, 0],
    }
    values = _package_values(tmp_path, list(scalars) + list(tables), 3)
    assert values == {k: [v] for k, v in scalars.items()} | tables
    assert tables["LAYER_REQ_SHIFT"][-1] == 0 and min(tables["LAYER_REQ_SHIFT"][:-1]) >= 1
    assert manifest["roms"]["delta"]["depth"] == scalars["DELTA_ROM_DEPTH"]


def test_group_the_rtl_cannot_run_is_an_export_error(tmp_path):
    net = random_network((32, 16, 4), DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, 8), seed=0)
    with pytest.raises(ExportError, match="layer 0: group 8 is neither the whole row \\(32\\) nor a multiple of the 16 lanes"):
        export_network(net, tmp_path, 16, "bad")
    export_network(net, tmp_path, 4, "ok")  # 8 % 4 == 0: fine


def test_lanes_out_of_range_is_an_error(tmp_path):
    net = random_network((32, 4), seed=0)
    with pytest.raises(FormatError, match="lanes must be an integer in 1..32, got 33"):
        export_network(net, tmp_path, 33, "x")


@pytest.fixture
def exported(tmp_path):
    net = random_network((20, 12, 4), DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, None), seed=3)
    export_network(net, tmp_path, 8, "x")
    return tmp_path


def _edit_line(path: Path, line: int, new: str) -> None:
    lines = path.read_text().splitlines()
    lines[line - 1] = new
    path.write_text("\n".join(lines) + "\n")


def test_load_export_rejects_a_corrupt_rom_line(exported):
    _edit_line(exported / "delta.mem", 7, "zz" + (exported / "delta.mem").read_text().splitlines()[6][2:])
    with pytest.raises(MemFileError, match=r"delta\.mem:7: .*not lowercase hex"):
        load_export(exported)


def test_load_export_rejects_a_truncated_rom(exported):
    lines = (exported / "bias.mem").read_text().splitlines()
    (exported / "bias.mem").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(MemFileError, match=rf"bias\.mem:{len(lines)}: too few lines"):
        load_export(exported)


def test_load_export_rejects_nonzero_padding(exported):
    # Row 0 of layer 0 has 20 weights in 3 words of 8 lanes: lanes 4..7 of word 2 are padding.
    text = (exported / "delta.mem").read_text().splitlines()[2]
    _edit_line(exported / "delta.mem", 3, f"{int(text, 16) | (1 << 7 * 4):0{len(text)}x}")
    with pytest.raises(ExportError, match=r"delta\.mem:3: layer 0: row 0, word 2: padded lane 7 holds 1, expected 0"):
        load_export(exported)


def test_load_export_rejects_out_of_range_decoded_weight(exported):
    # Reference of layer 0 row 0 set to 127: decoded weights with positive deltas leave the 8-bit range.
    _edit_line(exported / "ref.mem", 1, "7f")
    with pytest.raises(ExportError, match="decode out of range: layer 0, row 0, col .*: decoded weight 1[3-9][0-9] outside signed 8-bit"):
        load_export(exported)


def test_load_export_detects_weights_npz_mismatch(exported):
    with np.load(exported / "weights.npz") as saved:
        arrays = dict(saved)
    arrays["b1"] = arrays["b1"] + 1
    np.savez(exported / "weights.npz", **arrays)
    with pytest.raises(ExportError, match=r"weights\.npz: b1 differs from the values decoded from the ROM files"):
        load_export(exported)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda m: m["roms"]["delta"].update(depth=1), "ROM 'delta' declared 32 x 1, the layout needs 32 bits x 44 words"),
        (lambda m: m.update(format_version=99), r"format_version 99, this reader knows \(1, 2\)"),
        (lambda m: m.pop("layers"), r"missing keys \['layers'\]"),
        (lambda m: m["delta"].update(scheme="zigzag"), "unknown delta scheme 'zigzag'"),
        (lambda m: m["layers"].pop(), "1 layer entries for topology"),
        (lambda m: m.update(lanes=0), "lanes must be an integer in 1..32, got 0"),
        (lambda m: m.update(lanes="eight"), "lanes must be an integer in 1..32, got 'eight'"),
        (lambda m: m.update(acc_bits=m["acc_bits"] + 1), "acc_bits 23 but the layers need 22"),
        (lambda m: m["layers"][0].pop("activation"), "malformed manifest \\(KeyError: 'activation'\\)"),
    ],
)
def test_load_export_rejects_inconsistent_manifests(exported, edit, message):
    manifest = json.loads((exported / "manifest.json").read_text())
    edit(manifest)
    (exported / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ExportError, match=message):
        load_export(exported)


def test_load_export_missing_and_malformed_manifest(tmp_path):
    with pytest.raises(ExportError, match=r"manifest\.json: not found; export a network first"):
        load_export(tmp_path)
    (tmp_path / "manifest.json").write_text('{"a": 1,\n oops}')
    with pytest.raises(ExportError, match=r"manifest\.json:2: not valid JSON"):
        load_export(tmp_path)


def test_load_export_missing_rom_file(exported):
    (exported / "mult.mem").unlink()
    with pytest.raises(MemFileError, match=r"mult\.mem: file not found"):
        load_export(exported)


def test_load_export_padding_error_names_the_file_line_of_a_later_layer(exported):
    # Layer 1 (12 inputs, 8 lanes: 2 words per row) starts at line 12*3 + 1; row 1's last word is line 40.
    path = exported / "delta.mem"
    line = path.read_text().splitlines()[39]
    _edit_line(path, 40, f"{int(line, 16) | (1 << 31):0{len(line)}x}")
    with pytest.raises(ExportError, match=r"delta\.mem:40: layer 1: row 1, word 1: padded lane 7 holds -?\d+, expected 0"):
        load_export(exported)


def test_load_export_rejects_a_manifest_breaking_the_contract(exported):
    manifest = json.loads((exported / "manifest.json").read_text())
    manifest["layers"][1]["in_signed"] = True
    manifest["acc_bits"] = 22  # unchanged: layer 1 (12 inputs) stays narrower than layer 0
    (exported / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ExportError, match="breaks the contract: layer 1: in_signed=True but layer 0 is relu"):
        load_export(exported)


def test_load_export_missing_npz_and_shift_mismatch(exported):
    with np.load(exported / "weights.npz") as saved:
        arrays = dict(saved)
    np.savez(exported / "weights.npz", **(arrays | {"k": arrays["k"] + 1}))
    with pytest.raises(ExportError, match="weights.npz: k differs from the manifest's req_shift values"):
        load_export(exported)
    (exported / "weights.npz").unlink()
    with pytest.raises(ExportError, match="weights.npz: not found"):
        load_export(exported)


def test_plain_export_over_an_earlier_export_leaves_no_stale_reference_rom(exported):
    assert (exported / "ref.mem").exists()
    plain = random_network((20, 12, 4), DeltaFormat(Scheme.PLAIN, 8, 8, None), seed=3)
    export_network(plain, exported, 8, "plain")
    assert not (exported / "ref.mem").exists() and not (exported / "ref.coe").exists()
    assert np.array_equal(load_export(exported)[0].layers[0].weights, plain.layers[0].weights)
