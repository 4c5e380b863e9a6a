"""The per-layer contract: precision specs, per-layer weight formats and activation widths,
requantisation to 2..8 bits, per-layer accumulator bounds, and export/read-back of mixed networks."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.export import ExportError, export_network, load_export
from model.formats import (ACT_BITS, DeltaFormat, FormatError, LayerPrecision, Scheme, activation_format,
                           core_format, layer_formats, parse_bits_spec, sum_bound)
from model.inference import accumulate, layer_activations, requantize, run_network
from model.network import NetworkError, QuantLayer, QuantNetwork, describe_precision
from model.random_net import random_network

FR4 = DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, None)


def test_full_spec_gives_each_layer_its_entry():
    spec = parse_bits_spec("w8a8, W2a2,w4d2a4,w8a8", 4)
    assert spec == (LayerPrecision(8, 8), LayerPrecision(2, 2), LayerPrecision(4, 4, 2), LayerPrecision(8, 8))


def test_short_form_keeps_first_and_last_layer_at_8_bits():
    assert parse_bits_spec("w2a2", 5) == (LayerPrecision(8, 8), *[LayerPrecision(2, 2)] * 3, LayerPrecision(8, 8))
    assert parse_bits_spec("w4a8", 1) == (LayerPrecision(4, 8),)  # one layer: the entry is the whole spec


@pytest.mark.parametrize(
    "spec, layers, message",
    [
        ("w8a8,w2a2", 3, "has 2 entries; the network has 3 layers"),
        ("w8a8,w2a1,w8a8", 3, r"entry 2 \(w2a1\): activation bits must be an integer in 2..8, got 1"),
        ("w8a8,w2a9,w8a8", 3, r"entry 2 \(w2a9\): activation bits must be an integer in 2..8, got 9"),
        ("w8a4,w2a2,w8a8", 3, "layer 0 reads the uint8 pixels, its inputs must be a8"),
        ("w8a8,w2x2,w8a8", 3, r"entry 2 'w2x2': expected w<W>a<A>"),
        ("w8a8,w1a2,w8a8", 3, "weight bits must be in 2..16, got 1"),
        ("w8a8,w3d4a2,w8a8", 3, r"delta bits must be in 1..3 \(at most the weight bits\), got 4"),
        ("w2a2", 2, "the short form keeps the first and the last layer at w8a8, so it needs at least 3 layers"),
    ],
)
def test_bad_specs_name_the_entry(spec, layers, message):
    with pytest.raises(FormatError, match=message):
        parse_bits_spec(spec, layers)


def test_layer_formats_store_narrow_layers_plain():
    spec = parse_bits_spec("w8a8,w4a4,w6d2a4,w3a8", 4)
    formats = layer_formats(spec, Scheme.FIXED_REFERENCE, 4, None)
    assert formats == (FR4, DeltaFormat(Scheme.PLAIN, 4, 4), DeltaFormat(Scheme.FIXED_REFERENCE, 6, 2),
                       DeltaFormat(Scheme.PLAIN, 3, 3))
    with pytest.raises(FormatError, match="scheme plain stores weights, not deltas"):
        layer_formats(spec, Scheme.PLAIN, 8, None)


def test_core_format_is_the_widest_of_one_scheme():
    formats = (DeltaFormat(Scheme.FIXED_REFERENCE, 6, 3), DeltaFormat(Scheme.PLAIN, 5, 5), FR4)
    assert core_format(formats) == DeltaFormat(Scheme.FIXED_REFERENCE, 8, 5)
    assert core_format([DeltaFormat(Scheme.PLAIN, 3, 3), DeltaFormat(Scheme.PLAIN, 6, 6)]) == DeltaFormat(Scheme.PLAIN, 6, 6)
    with pytest.raises(FormatError, match="layer 1 .* and layer 0 .* differ in scheme or group"):
        core_format([FR4, DeltaFormat(Scheme.CONSECUTIVE, 8, 4)])


@settings(max_examples=300, deadline=None)
@given(acc=st.lists(st.integers(-(2**38), 2**38), min_size=1, max_size=8), mult=st.integers(0, 65535),
       shift=st.integers(1, 62), signed=st.booleans(), bits=st.integers(2, 8))
def test_requantize_to_every_width_rounds_half_up_and_saturates(acc, mult, shift, signed, bits):
    got = requantize(np.array(acc), np.full(len(acc), mult), shift, signed, bits)
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    for value, y in zip(acc, got):
        exact = math.floor((value * mult + (1 << (shift - 1))) / (1 << shift))  # Python ints: exact
        assert y == min(max(exact, lo), hi)


@pytest.mark.parametrize("bits", [1, 9])
def test_requantize_refuses_widths_outside_2_to_8(bits):
    with pytest.raises(FormatError, match="activation bits must be an integer in 2..8"):
        requantize(np.array([5]), np.array([1]), 1, False, bits)


@pytest.mark.parametrize("in_bits, signed", [(2, False), (2, True), (5, False), (5, True), (8, False), (8, True)])
def test_sum_bound_is_reached_by_extreme_inputs(in_bits, signed):
    """The per-layer bound is tight: the most negative weights times the largest-magnitude inputs reach it."""
    n_in, weight_bits = 7, 3
    fmt = activation_format("clamp" if signed else "relu", in_bits)
    bound = sum_bound(n_in, weight_bits, signed, in_bits)
    layer = QuantLayer(np.full((1, n_in), -(1 << (weight_bits - 1))), [0], [0], 0, 0, "none", signed, ACT_BITS, in_bits)
    acc = accumulate(layer, np.full((1, n_in), fmt.min if signed else fmt.max), weight_bits)
    assert abs(int(acc[0, 0])) == bound


def _mixed_net(seed=3, activation="relu"):
    precisions = parse_bits_spec("w8a8,w3a3,w6d3a5", 3)
    formats = layer_formats(precisions, Scheme.FIXED_REFERENCE, 4, None)
    return random_network((64, 24, 12, 5), formats, seed=seed, activation=activation,
                          act_bits=[p.in_bits for p in precisions[1:]])


def test_mixed_network_carries_its_precision():
    net = _mixed_net()
    assert describe_precision(net) == "w8d4a8,w3a3,w6d3a5"
    assert [layer.act_bits for layer in net.layers] == [3, 5, ACT_BITS]
    assert [layer.in_bits for layer in net.layers] == [ACT_BITS, 3, 5]
    x = np.random.default_rng(0).integers(0, 256, size=(200, 64), dtype=np.uint8)
    acts = layer_activations(net, x)
    assert acts[0].max() <= 7 and acts[1].max() <= 31 and acts[0].min() >= 0


@pytest.mark.parametrize("activation", ["relu", "clamp"])
def test_mixed_network_round_trips_through_the_export(tmp_path, activation):
    net = _mixed_net(activation=activation)
    manifest = export_network(net, tmp_path, 4, "mixed")
    assert manifest["delta"] == {"scheme": "fixed_reference", "weight_bits": 8, "delta_bits": 4, "group": None}
    assert [e["act_bits"] for e in manifest["layers"]] == [3, 5, ACT_BITS]
    assert manifest["layers"][1]["format"] == {"scheme": "plain", "weight_bits": 3, "delta_bits": 3, "group": None}
    back, _ = load_export(tmp_path)
    assert back.formats == net.formats
    x = np.random.default_rng(1).integers(0, 256, size=(300, 64), dtype=np.uint8)
    assert np.array_equal(run_network(back, x), run_network(net, x))
    text = (tmp_path / "deltamac_net_pkg.sv").read_text()
    assert "LAYER_ACT_BITS    = {32'd8, 32'd5, 32'd3};" in text


def test_version_1_manifests_still_load_as_8_bit_networks(tmp_path):
    net = random_network((64, 16, 5), FR4, seed=2)
    export_network(net, tmp_path, 8, "old")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["format_version"] = 1
    for entry in manifest["layers"]:
        for key in ("format", "act_bits", "in_bits"):
            entry.pop(key)
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    back, _ = load_export(tmp_path)
    assert back.uniform and back.formats == (FR4, FR4)


def test_export_names_a_layer_the_core_format_cannot_hold(tmp_path):
    """A plain 8-bit layer inside a consecutive core with 4-bit deltas: its steps do not fit."""
    formats = (DeltaFormat(Scheme.CONSECUTIVE, 8, 4), DeltaFormat(Scheme.PLAIN, 4, 4))
    net = random_network((32, 8, 4), formats, seed=5)
    with pytest.raises(ExportError, match=r"layer 1 \(plain weight_bits=4 .*\) cannot be stored in the shared-lane core"):
        export_network(net, tmp_path, 4, "bad")


def test_manifest_whose_rom_format_is_not_the_core_format_is_refused(tmp_path):
    export_network(_mixed_net(), tmp_path, 4, "mixed")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["layers"][2]["format"]["delta_bits"] = 5  # the ROMs hold 4-bit deltas
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ExportError, match="ROMs are declared fixed_reference weight_bits=8 delta_bits=4 group=row, but "
                                          "the layers' formats need the core format .*delta_bits=5"):
        load_export(tmp_path)


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(act_bits=1), r"layer 0: activation bits must be an integer in 2..8, got 1"),
        (dict(act_bits=9), r"layer 0: activation bits must be an integer in 2..8, got 9"),
    ],
)
def test_network_refuses_hidden_widths_outside_2_to_8(change, message):
    net = _mixed_net()
    first = net.layers[0]
    fields = {name: getattr(first, name) for name in first.__dataclass_fields__} | change
    second = net.layers[1]
    rest = [QuantLayer(**({n: getattr(second, n) for n in second.__dataclass_fields__} | {"in_bits": change["act_bits"]})),
            net.layers[2]]
    with pytest.raises(NetworkError, match=message):
        QuantNetwork((QuantLayer(**fields), *rest), net.formats)


def test_network_refuses_an_input_width_that_is_not_the_previous_output():
    net = _mixed_net()
    second = net.layers[1]
    wrong = QuantLayer(**({n: getattr(second, n) for n in second.__dataclass_fields__} | {"in_bits": 8}))
    with pytest.raises(NetworkError, match="layer 1: in_bits=8 but layer 0 outputs 3 bits"):
        QuantNetwork((net.layers[0], wrong, net.layers[2]), net.formats)


def test_network_refuses_a_requantised_last_layer_width():
    net = _mixed_net()
    last = net.layers[2]
    wrong = QuantLayer(**({n: getattr(last, n) for n in last.__dataclass_fields__} | {"act_bits": 4}))
    with pytest.raises(NetworkError, match=r"layer 2 \(last\): logits are not requantised, act_bits must stay 8"):
        QuantNetwork((*net.layers[:2], wrong), net.formats)
