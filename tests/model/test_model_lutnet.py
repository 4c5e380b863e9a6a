"""The LUT-network contract (ARCHITECTURE.md section 7): spec checks, connectivity rule, input
quantiser, table enumeration, table inference, export and strict read-back."""

from __future__ import annotations

import json

import numpy as np
import pytest

from model.lutnet import (MAX_TABLE_ADDR_BITS, LutNetError, LutNetSpec, LutNetwork, draw_connectivity,
                          enumerate_tables, input_codes, quantize_input, round_half_up_codes, subnet_forward,
                          uniform_thresholds)
from model.lutnet_export import export_lutnet, load_lutnet_export, random_lutnet, table_file

SMALL = LutNetSpec(20, 2, ((12, 3, 2), (8, 4, 1), (6, 2, 3)), 3, 2)


def random_params(shape, width=5, depth=2, seed=0):
    rng = np.random.default_rng(seed)
    m, f, n = shape.n_out, shape.fan_in, width
    return {"w_in": rng.normal(size=(m, n, f)), "b_in": rng.normal(size=(m, n)),
            "w_hid": rng.normal(size=(depth, m, n, n)) * 0.3, "b_hid": rng.normal(size=(depth, m, n)),
            "w_out": rng.normal(size=(m, n)), "w_lin": rng.normal(size=(m, f)), "b_out": rng.normal(size=m) + 1}


@pytest.mark.parametrize("layers, message", [
    (((6, 3, 0),), "out_bits (beta) must be an integer in 1..8, got 0"),
    (((6, 3, 9),), "out_bits (beta) must be an integer in 1..8, got 9"),
    (((6, 21, 2),), "fan-in F = 21 must be in 1..20"),
    (((6, 7, 2),), "F*beta = 7*2 = 14 address bits gives tables of 2^14 = 16384 entries x 2 bits = 32768 bits"),
    (((5, 3, 2),), "5 partitions, expected num_classes * class_partitions = 3*2"),
])
def test_spec_refuses_bad_layers(layers, message):
    with pytest.raises(LutNetError, match=message.replace("*", r"\*").replace("^", r"\^").replace("(", r"\(").replace(")", r"\)")):
        LutNetSpec(20, 2, layers, 3, 2)


def test_spec_refuses_bad_input_bits():
    with pytest.raises(LutNetError, match="in_bits .* got 0"):
        LutNetSpec(20, 0, ((6, 3, 2),), 3, 2)
    with pytest.raises(LutNetError, match="in_bits .* got 9"):
        LutNetSpec(20, 9, ((6, 1, 2),), 3, 2)


def test_largest_table_is_accepted():
    spec = LutNetSpec(20, 2, ((6, MAX_TABLE_ADDR_BITS // 2, 1),), 3, 2)
    assert spec.shapes[0].entries == 1 << MAX_TABLE_ADDR_BITS


def test_connectivity_rule_is_deterministic_distinct_and_balanced():
    spec = LutNetSpec(100, 1, ((60, 6, 2), (40, 5, 2)), 10, 4)
    a, b = draw_connectivity(spec, 3), draw_connectivity(spec, 3)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], draw_connectivity(spec, 4)[0])
    for conn, n_in in zip(a, (100, 60)):
        assert all(len(set(row)) == len(row) for row in conn.tolist())
        uses = np.bincount(conn.ravel(), minlength=n_in)
        assert uses.max() - uses.min() <= 1
    candidates = np.arange(10, 90)
    limited = draw_connectivity(spec, 3, candidates)[0]
    assert set(limited.ravel()) <= set(candidates.tolist())


def test_input_quantiser_counts_thresholds():
    pixels = np.arange(256, dtype=np.uint8)[None, :]
    for bits in range(1, 9):
        assert np.array_equal(quantize_input(pixels, uniform_thresholds(bits))[0], np.arange(256) >> (8 - bits))
    custom = np.array([10, 11, 200])
    assert quantize_input(np.array([[9, 10, 11, 199, 200, 255]], dtype=np.uint8), custom).tolist() == [[0, 1, 2, 2, 3, 3]]
    with pytest.raises(LutNetError, match="must be uint8"):
        quantize_input(np.array([[1.0]]), custom)


@pytest.mark.parametrize("thresholds", [[10, 10, 20], [0, 5, 6], [1, 2, 256], [1, 2]])
def test_network_refuses_bad_thresholds(thresholds):
    net = random_lutnet(SMALL, 0)
    with pytest.raises(LutNetError, match="thresholds"):
        LutNetwork(SMALL, np.array(thresholds), net.conns, net.tables)


def test_enumeration_equals_the_sub_network_entry_by_entry():
    shape = SMALL.shapes[0]
    params = random_params(shape)
    tables = enumerate_tables(shape, params, chunk=5)
    codes = input_codes(shape.fan_in, shape.in_bits)
    for e in range(shape.entries):
        x = np.broadcast_to(codes[e] / 3.0, (1, shape.n_out, shape.fan_in))
        expected = round_half_up_codes(subnet_forward(params, x), shape.out_bits)[0]
        assert np.array_equal(tables[:, e], expected), e
    assert tables.min() == 0 and tables.max() == 3  # the random sub-networks use the whole range


def test_round_half_up_and_saturation():
    assert round_half_up_codes(np.array([-3.0, 0.49, 0.5, 1.5, 2.5, 7.4, 9.0]), 3).tolist() == [0, 0, 1, 2, 3, 7, 7]


def test_table_inference_equals_a_partition_by_partition_loop():
    net = random_lutnet(SMALL, 5)
    x = np.random.default_rng(1).integers(0, 256, size=(300, SMALL.in_features), dtype=np.uint8)
    codes = net.layer_codes(x)
    for b in range(0, 300, 37):
        prev = quantize_input(x[b], net.thresholds)
        assert np.array_equal(prev, codes[0][b])
        for shape, conn, table, got in zip(SMALL.shapes, net.conns, net.tables, codes[1:]):
            out = [table[m][sum(int(prev[conn[m, j]]) << (j * shape.in_bits) for j in range(shape.fan_in))]
                   for m in range(shape.n_out)]
            assert out == got[b].tolist()
            prev = np.array(out)
        scores = prev.reshape(3, 2).sum(axis=1)
        assert net.predict(x[b:b + 1])[0] == int(np.argmax(scores))


def test_ties_go_to_the_lowest_class():
    spec = LutNetSpec(4, 1, ((4, 1, 1),), 2, 2)
    tables = [np.array([[0, 1]] * 4)]  # every partition copies its input bit
    net = LutNetwork(spec, uniform_thresholds(1), [np.array([[0], [1], [2], [3]])], tables)
    x = np.array([[255, 0, 0, 255], [0, 0, 0, 0], [0, 0, 255, 255], [255, 0, 255, 0]], dtype=np.uint8)
    assert net.scores(x).tolist() == [[1, 1], [0, 0], [0, 2], [1, 1]]
    assert net.predict(x).tolist() == [0, 0, 1, 0]


def test_export_reads_back_exactly(tmp_path):
    net = random_lutnet(SMALL, 2)
    manifest = export_lutnet(net, tmp_path, "small", pixels_per_beat=5)
    assert manifest["architecture"] == "lutnet" and manifest["pixels_per_beat"] == 5
    back = load_lutnet_export(tmp_path)
    for a, b in zip(net.tables, back.tables):
        assert np.array_equal(a, b)
    for a, b in zip(net.conns, back.conns):
        assert np.array_equal(a, b)
    package = (tmp_path / "deltamac_net_pkg.sv").read_text()
    assert "localparam int ARCHITECTURE     = 2;" in package and "CONN_FIELDS      = 80;" in package
    assert "IN_THRESHOLDS = 24'hc08040;" in package


def test_export_refuses_pixels_per_beat_that_does_not_divide(tmp_path):
    with pytest.raises(LutNetError, match="must divide the 20 input features, got 3"):
        export_lutnet(random_lutnet(SMALL, 2), tmp_path, "small", pixels_per_beat=3)


@pytest.mark.parametrize("corrupt, message", [
    (lambda lines: lines[:-1], ":8: too few lines, found 7, expected 8"),
    (lambda lines: lines + [lines[0]], ":9: too many lines, expected exactly 8"),
    (lambda lines: [lines[0][:-1] + "g"] + lines[1:], ":1: .* not lowercase hex digits"),
    (lambda lines: lines[:3] + [lines[3][1:]] + lines[4:], ":4: .* has 63 hex digits, expected 64 for 256 bits"),
])
def test_read_back_names_the_line_of_a_malformed_table(tmp_path, corrupt, message):
    export_lutnet(random_lutnet(SMALL, 2), tmp_path, "small")
    path = tmp_path / table_file(1)
    path.write_text("\n".join(corrupt(path.read_text().split())) + "\n")
    with pytest.raises(LutNetError, match=f"lut_l1.mem{message}"):
        load_lutnet_export(tmp_path)


def test_read_back_refuses_another_architecture(tmp_path):
    export_lutnet(random_lutnet(SMALL, 2), tmp_path, "small")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    (tmp_path / "manifest.json").write_text(json.dumps(manifest | {"architecture": "dataflow"}))
    with pytest.raises(LutNetError, match="architecture 'dataflow', not a LUT network export"):
        load_lutnet_export(tmp_path)
    (tmp_path / "manifest.json").unlink()
    with pytest.raises(LutNetError, match="no manifest"):
        load_lutnet_export(tmp_path)
