"""The golden model's CNN layers (ARCHITECTURE.md section 9): conv2d / maxpool2d / flatten against
direct Python loops, padding borders, accumulator bounds, export and read-back, refused options."""

import json

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from model import formats
from model.accounting import cnn_budget, stored_bits
from model.cnn import (FLATTEN, MAXPOOL2D, CnnError, CnnNetwork, conv2d, dense, feature_map_bits, format_layers,
                       layer_shapes, maxpool2d, parse_layers, patches)
from model.delta import project_layer
from model.export import ExportError, export_network, load_export
from model.formats import DeltaFormat, Scheme
from model.inference import accumulate, layer_activations, run_network
from model.network import NetworkError, QuantLayer

PLAIN8 = DeltaFormat(Scheme.PLAIN, 8, 8, None)
FIXED4 = DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, None)


def random_cnn(rng, specs, input_shape, fmt=PLAIN8, activation="relu", act_bits=8) -> CnnNetwork:
    """A CnnNetwork with random weights representable in `fmt`, biases and multipliers that keep
    the activations varied."""
    layers, in_signed, in_bits = [], False, formats.ACT_BITS
    shapes = layer_shapes(input_shape, specs)
    weighted = [(spec, shape) for spec, (shape, _) in zip(specs, shapes) if spec.weighted]
    for index, (spec, shape) in enumerate(weighted):
        n_in = spec.kernel ** 2 * shape[2] if spec.kind == "conv2d" else shape[0]
        wf = fmt.weight_format
        weights, _ = project_layer(rng.uniform(wf.min, wf.max, size=(spec.out, n_in)), fmt, 0)
        last = index == len(weighted) - 1
        bound = formats.sum_bound(n_in, fmt.weight_bits, in_signed, in_bits)
        bias = rng.integers(-bound // 4, bound // 4 + 1, size=spec.out)
        if last:
            mult, shift, act, bits = np.zeros(spec.out, np.int64), 0, "none", formats.ACT_BITS
        else:  # about 2**(bits) output steps over a typical accumulator
            shift, act, bits = 24, activation, act_bits
            scale = max(1, int(np.sqrt(n_in)) * (1 << (fmt.weight_bits - 2)) * (1 << (in_bits - 2)))
            mult = rng.integers(1, max(2, (1 << (shift + bits - 1)) // scale), size=spec.out)
            mult = np.minimum(mult, 65535)
        layers.append(QuantLayer(weights, bias, mult, shift, 0, act, in_signed, bits, in_bits))
        in_signed, in_bits = act == "clamp", bits
    return CnnNetwork(tuple(layers), fmt, specs=tuple(specs), input_shape=input_shape)


def loop_reference(net: CnnNetwork, image) -> list:
    """Every entry's output for one image by direct Python-int loops over the contract."""
    height, width, channels = net.input_shape
    x = [[[int(image[(y * width + xx) * channels + c]) for c in range(channels)] for xx in range(width)]
         for y in range(height)]
    outputs, layers = [], iter(net.layers)

    def requant(acc, layer, j):
        if layer.activation == "none":
            return acc
        out = layer.out_format
        return min(max((acc * int(layer.mult[j]) + (1 << (layer.req_shift - 1))) >> layer.req_shift, out.min), out.max)

    for spec in net.specs:
        if spec.kind == "conv2d":
            layer, k = next(layers), spec.kernel
            pad = (k - 1) // 2 if spec.padding == "same" else 0
            h, w, c_in = len(x), len(x[0]), len(x[0][0])
            out_h, out_w = h + 2 * pad - k + 1, w + 2 * pad - k + 1
            weights = layer.weights.tolist()
            result = []
            for y in range(out_h):
                row = []
                for xx in range(out_w):
                    pixel = []
                    for j in range(spec.out):
                        acc = int(layer.bias[j])
                        for ky in range(k):
                            for kx in range(k):
                                sy, sx = y + ky - pad, xx + kx - pad
                                if 0 <= sy < h and 0 <= sx < w:
                                    for ci in range(c_in):
                                        acc += weights[j][(ky * k + kx) * c_in + ci] * x[sy][sx][ci]
                        pixel.append(requant(acc, layer, j))
                    row.append(pixel)
                result.append(row)
            x = result
        elif spec.kind == "maxpool2d":
            x = [[[max(x[2 * y + dy][2 * xx + dx][c] for dy in (0, 1) for dx in (0, 1)) for c in range(len(x[0][0]))]
                  for xx in range(len(x[0]) // 2)] for y in range(len(x) // 2)]
        elif spec.kind == "flatten":
            x = [v for row in x for pixel in row for v in pixel]
        else:
            layer = next(layers)
            weights = layer.weights.tolist()
            x = [requant(sum(wi * xi for wi, xi in zip(weights[j], x)) + int(layer.bias[j]), layer, j)
                 for j in range(spec.out)]
        outputs.append(x)
    return outputs


@st.composite
def cnn_cases(draw):
    """Small random CNNs: 1-2 conv layers (kernel 1/3/5, same/valid), pooling where the map is
    even, flatten, 1-2 dense layers; relu or clamp at 2..8 bits; narrow pixel ranges (pooling ties)."""
    shape = (draw(st.integers(1, 7)), draw(st.integers(1, 7)), draw(st.integers(1, 3)))
    specs = []
    for _ in range(draw(st.integers(1, 2))):
        specs.append(conv2d(draw(st.integers(1, 4)), draw(st.sampled_from([1, 3, 5])),
                            draw(st.sampled_from(["same", "valid"]))))
        try:
            out = layer_shapes(shape, [*specs, FLATTEN, dense(1)])[-3][1]
        except CnnError:
            assume(False)
        if out[0] % 2 == 0 and out[1] % 2 == 0 and draw(st.booleans()):
            specs.append(MAXPOOL2D)
    specs += [FLATTEN, *(dense(draw(st.integers(1, 5))) for _ in range(draw(st.integers(1, 2))))]
    return shape, tuple(specs), draw(st.sampled_from(["relu", "clamp"])), draw(st.integers(2, 8)), \
        draw(st.integers(0, 2**32 - 1)), draw(st.sampled_from([3, 255]))


@settings(max_examples=60, deadline=None)
@given(case=cnn_cases())
def test_golden_cnn_equals_direct_loops(case):
    shape, specs, activation, act_bits, seed, pixel_max = case
    rng = np.random.default_rng(seed)
    net = random_cnn(rng, specs, shape, activation=activation, act_bits=act_bits)
    images = rng.integers(0, pixel_max + 1, size=(3, int(np.prod(shape))), dtype=np.uint8)
    golden = layer_activations(net, images)
    for n, image in enumerate(images):
        for position, (ours, theirs) in enumerate(zip(golden, loop_reference(net, image))):
            assert ours[n].tolist() == theirs, f"entry {position} ({specs[position].label()}), image {n}"


def test_same_padding_reads_zeros_outside_the_map():
    """All-ones 3x3 kernel on a flat image of 10s: corners see 4 pixels, edges 6, the inside 9."""
    layer = QuantLayer(np.ones((1, 9), np.int64), [0], [1], 1, 0, "relu", False)
    last = QuantLayer(np.ones((1, 16), np.int64), [0], [0], 0, 0, "none", False)
    net = CnnNetwork((layer, last), PLAIN8, specs=(conv2d(1), FLATTEN, dense(1)), input_shape=(4, 4, 1))
    out = layer_activations(net, np.full((1, 16), 10, np.uint8))[0][0, :, :, 0]
    assert out.tolist() == [[20, 30, 30, 20], [30, 45, 45, 30], [30, 45, 45, 30], [20, 30, 30, 20]]


def test_channel_last_layout_and_weight_order():
    """Element (y, x, c) is pixel index (y*W + x)*C + c; weight (ky*k + kx)*C_in + c multiplies the
    input at (y + ky - 1, x + kx - 1, c): a kernel with one weight picks one neighbour's channel."""
    shape = (3, 3, 2)
    image = np.arange(18, dtype=np.uint8)[None]
    weights = np.zeros((1, 18), np.int64)
    weights[0, (0 * 3 + 2) * 2 + 1] = 1  # ky=0, kx=2, c=1: the input at (y-1, x+1), channel 1
    layer = QuantLayer(weights, [0], [2], 1, 0, "relu", False)  # y = acc
    last = QuantLayer(np.ones((1, 9), np.int64), [0], [0], 0, 0, "none", False)
    net = CnnNetwork((layer, last), PLAIN8, specs=(conv2d(1), FLATTEN, dense(1)), input_shape=shape)
    out = layer_activations(net, image)[0][0, :, :, 0]
    expected = [[int(image[0, ((y - 1) * 3 + x + 1) * 2 + 1]) if 0 <= y - 1 < 3 and x + 1 < 3 else 0
                 for x in range(3)] for y in range(3)]
    assert out.tolist() == expected


@pytest.mark.parametrize("in_signed", [False, True], ids=["pixels", "clamp-input"])
def test_conv_accumulator_bound_is_reached_by_extreme_inputs(in_signed):
    """fan-in kh*kw*C_in sets sum_bound; extreme weights, inputs and bias reach 2*sum_bound exactly
    at a position whose window lies inside the map, and it needs every bit of acc_bits."""
    c_in, kernel = 3, 3
    fan_in = kernel * kernel * c_in
    bound = formats.sum_bound(fan_in, 8, in_signed)
    layer = QuantLayer(np.full((2, fan_in), -128), [-bound, bound], [1, 1], 1, 0, "relu", in_signed)
    value = -128 if in_signed else 255
    maps = np.full((1, 4, 4, c_in), value, np.int64)
    acc = accumulate(layer, patches(maps, kernel, "same").reshape(-1, fan_in), 8).reshape(4, 4, 2)
    extreme = 2 * bound if in_signed else -2 * bound
    assert acc[1, 1, 0 if not in_signed else 1] == extreme  # inside: the whole window
    assert abs(acc[0, 0, 0]) < 2 * bound  # a corner reads padding zeros
    assert extreme.bit_length() + 1 == layer.acc_bits(8) == formats.acc_bits(fan_in, 8, in_signed)
    assert abs(extreme) >= 1 << (layer.acc_bits(8) - 2)  # one bit fewer would not hold it
    with pytest.raises(AssertionError, match="exceeds the bound"):
        over = QuantLayer(np.full((1, fan_in), -128), [0], [1], 1, 0, "relu", in_signed)
        object.__setattr__(over, "bias", np.array([-bound - 1 if not in_signed else bound + 1]))
        accumulate(over, patches(maps, kernel, "same").reshape(-1, fan_in), 8)


def test_maxpool_takes_the_largest_of_each_window_signed_and_tied():
    maps = np.array([[-3, -3, 5, 5], [-3, -3, 5, 5], [-128, -1, 0, 0], [-2, -1, 0, -7]]).reshape(1, 4, 4, 1)
    assert maxpool2d(maps)[0, :, :, 0].tolist() == [[-3, 5], [-1, 0]]


def test_export_round_trip_of_a_cnn(tmp_path):
    specs = parse_layers("conv3x3:4,maxpool2x2,conv3x3:6:valid,flatten,dense:5,dense:3")
    net = random_cnn(np.random.default_rng(7), specs, (8, 8, 2), fmt=FIXED4)
    manifest = export_network(net, tmp_path, 4, "cnn-test")
    assert not (tmp_path / "deltamac_net_pkg.sv").exists() and "sv_package" not in manifest
    assert manifest["cnn"]["text"] == format_layers(specs) == "conv3x3:4,maxpool2x2,conv3x3:6:valid,flatten,dense:5,dense:3"
    assert [e["out_shape"] for e in manifest["cnn"]["entries"]] == [[8, 8, 4], [4, 4, 4], [2, 2, 6], [24], [5], [3]]
    assert [(e["kind"], e["n_in"], e["n_out"]) for e in manifest["layers"]] == [
        ("conv2d", 18, 4), ("conv2d", 36, 6), ("dense", 24, 5), ("dense", 5, 3)]
    loaded, _ = load_export(tmp_path)
    assert isinstance(loaded, CnnNetwork) and loaded.specs == specs and loaded.input_shape == (8, 8, 2)
    for ours, theirs in zip(net.layers, loaded.layers):
        for name in ("weights", "bias", "mult", "req_shift", "delta_shift", "activation", "in_signed", "act_bits"):
            assert np.array_equal(getattr(ours, name), getattr(theirs, name)), name
    images = np.random.default_rng(1).integers(0, 256, size=(50, 128), dtype=np.uint8)
    assert np.array_equal(run_network(loaded, images), run_network(net, images))
    assert stored_bits(manifest, 4) == stored_bits(net, 4) == stored_bits(loaded, 4)
    assert manifest["topology"] == [128, 256, 64, 24, 24, 5, 3]


def test_load_export_refuses_a_cnn_manifest_that_does_not_match_the_roms(tmp_path):
    specs = parse_layers("conv3x3:4,flatten,dense:3")
    export_network(random_cnn(np.random.default_rng(3), specs, (4, 4, 1), fmt=FIXED4), tmp_path, 4, "cnn")
    path = tmp_path / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["cnn"]["text"] = "conv3x3:4,flatten,dense:4"
    path.write_text(json.dumps(manifest))
    with pytest.raises(ExportError, match="differ from its text"):
        load_export(tmp_path)
    manifest["cnn"]["text"] = "conv3x3:4,maxpool2x2,flatten,dense:3"
    manifest["cnn"]["entries"].insert(1, {"kind": "maxpool2d", "out": None, "kernel": None, "padding": None})
    path.write_text(json.dumps(manifest))
    with pytest.raises(ExportError, match=r"layer 1 declares n_in, n_out = \(64, 3\), the CNN layers need \(16, 3\)"):
        load_export(tmp_path)


@pytest.mark.parametrize("text, message", [
    ("conv4x4:8,flatten,dense:10", r"CNN entry 0 \(conv4x4:8\): kernel 4x4 is not supported; supported: 1x1, 3x3, 5x5"),
    ("conv3x3:8:full,flatten,dense:10", r"CNN entry 0 \(conv3x3:8:full\): padding 'full' is unknown; expected one of: same, valid"),
    ("conv3x3:8:valid,maxpool2x2,maxpool2x2,flatten,dense:10", r"CNN entry 2 \(maxpool2x2\): the 13x13x8 map has an odd"),
    ("conv3x3:8,maxpool2x2,maxpool2x2,maxpool2x2,flatten,dense:10",
     r"CNN entry 3 \(maxpool2x2\): the 7x7x8 map has an odd side; 2x2 pooling with stride 2 needs even sides"),
    ("conv3x3:8,dense:10", r"CNN entry 1 \(dense:10\): its input is a 28x28x8 feature map; add a flatten entry"),
    ("conv3x3:8,flatten,conv3x3:8,dense:10", r"CNN entry 2 \(conv3x3:8\): its input is flat \(6272 values"),
    ("conv3x3:8,flatten", r"a CNN ends with a dense layer"),
    ("conv5x5:8:valid,conv5x5:8:valid,conv5x5:8:valid,conv5x5:8:valid,conv5x5:8:valid,conv5x5:8:valid,conv5x5:8:valid,"
     "flatten,dense:10", r"CNN entry 6 \(conv5x5:8:valid\): 'valid' padding needs a map of at least 5x5, the input is 4x4x8"),
])
def test_bad_cnn_layers_are_refused_naming_the_entry(text, message):
    with pytest.raises(CnnError, match=message):
        layer_shapes((28, 28, 1), parse_layers(text))


@pytest.mark.parametrize("text, message", [
    ("conv3x3,dense:10", r"entry 0 'conv3x3': expected conv<k>x<k>:<channels>"),
    ("conv3x5:8,flatten,dense:10", r"entry 0 \(conv3x5:8\): kernels are square"),
    ("maxpool3x3,flatten,dense:10", r"entry 0 \(maxpool3x3\): only 2x2 max pooling"),
])
def test_unparsable_cnn_layers_are_refused(text, message):
    with pytest.raises(CnnError, match=message):
        parse_layers(text)


def test_weights_that_do_not_match_the_channels_name_the_layer():
    """The second conv reads 4 channels: weights for 3 (27 per row) are refused, naming the layer."""
    rng = np.random.default_rng(0)
    good = random_cnn(rng, parse_layers("conv3x3:4,conv3x3:2,flatten,dense:3"), (4, 4, 1))
    wrong = QuantLayer(np.zeros((2, 27), np.int64), [0, 0], [1, 1], 24, 0, "relu", False)
    with pytest.raises(NetworkError, match=r"layer 1: conv3x3:2 \(CNN entry 1\) has n_in=27 weights per output channel, "
                                           r"but a 3x3 kernel over its 4 input channels \(4x4x4 map\) needs 36"):
        CnnNetwork((good.layers[0], wrong, good.layers[2]), PLAIN8, specs=good.specs, input_shape=(4, 4, 1))
    with pytest.raises(NetworkError, match=r"layer 2: dense:3 \(CNN entry 3\) has n_in=4, but its flattened input has 32"):
        CnnNetwork((*good.layers[:2], QuantLayer(np.zeros((3, 4), np.int64), [0] * 3, [0] * 3, 0, 0, "none", False)),
                   PLAIN8, specs=good.specs, input_shape=(4, 4, 1))
    with pytest.raises(CnnError, match="has 3 conv2d/dense layers, got 2 QuantLayers"):
        CnnNetwork(good.layers[:2], PLAIN8, specs=good.specs, input_shape=(4, 4, 1))


def test_per_layer_rules_still_hold_in_a_cnn():
    """The QuantNetwork rules (here: a bias above sum_bound) apply to conv layers with fan-in kh*kw*C_in."""
    good = random_cnn(np.random.default_rng(0), parse_layers("conv3x3:2,flatten,dense:3"), (4, 4, 1))
    bound = formats.sum_bound(9, 8, False)
    layer = good.layers[0]
    bad = QuantLayer(layer.weights, [bound + 1, 0], layer.mult, layer.req_shift, 0, "relu", False)
    with pytest.raises(NetworkError, match=f"layer 0, row 0: bias {bound + 1} exceeds"):
        CnnNetwork((bad, good.layers[1]), PLAIN8, specs=good.specs, input_shape=(4, 4, 1))


def test_feature_map_buffers_and_budget():
    """Largest map: conv3x3:4 at 5 bits on 8x8 (256 values x 5) beats the pixels (64 x 8)."""
    net = random_cnn(np.random.default_rng(2), parse_layers("conv3x3:4,maxpool2x2,flatten,dense:3"), (8, 8, 1),
                     act_bits=5)
    assert feature_map_bits(net) == 8 * 8 * 4 * 5
    budget = cnn_budget(net, 4)
    assert budget["buffer_bits"] == 2 * 1280
    assert budget["weight_bits"] == stored_bits(net, 4).total.stored_bits
    assert budget["bias_mult_bits"] == 7 * (net.acc_bits + 16)
    assert budget["total_bits"] == budget["weight_bits"] + budget["bias_mult_bits"] + budget["buffer_bits"]


def test_run_network_in_batches_equals_one_pass(fashion_test):
    """run_network takes a CNN `batch` images at a time (memory); the batches join seamlessly."""
    specs = parse_layers("conv3x3:4,maxpool2x2,conv3x3:8,maxpool2x2,flatten,dense:10")
    net = random_cnn(np.random.default_rng(5), specs, (28, 28, 1), fmt=FIXED4)
    images = fashion_test[0][:1100]
    assert np.array_equal(run_network(net, images, batch=500), layer_activations(net, images)[-1])
