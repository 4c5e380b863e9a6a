import numpy as np
import pytest

from model.delta import EncodeError
from model.formats import DeltaFormat, FormatError, Scheme
from model.inference import layer_activations
from model.network import NetworkError, QuantLayer, QuantNetwork
from model.random_net import random_network

FMT = DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, None)


def _layers(**changes):
    """A valid 6-4-3 network (relu hidden layer) with fields of one layer replaced: changes = {"0.bias": ...}."""
    net = random_network((6, 4, 3), FMT, seed=1)
    layers = []
    for index, layer in enumerate(net.layers):
        fields = {name: getattr(layer, name) for name in QuantLayer.__dataclass_fields__}
        fields |= {key.split(".")[1]: value for key, value in changes.items() if key.startswith(f"{index}.")}
        layers.append(QuantLayer(**fields))
    return tuple(layers)


def test_valid_network_properties():
    net = QuantNetwork(_layers(), FMT)
    assert net.topology == (6, 4, 3) and net.n_classes == 3
    expected = tuple((2 * n_in * 128 * 255).bit_length() + 1 for n_in in (6, 4))
    assert net.layer_acc_bits == expected and net.acc_bits == max(expected)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"1.weights": np.zeros((3, 5), np.int64)}, "layer 1: n_in=5 but layer 0 has n_out=4"),
        ({"0.bias": np.zeros(3, np.int64)}, r"layer 0: bias has shape \(3,\), expected \(4,\)"),
        ({"0.mult": np.zeros(5, np.int64)}, r"layer 0: mult has shape \(5,\), expected \(4,\)"),
        ({"0.in_signed": True}, "layer 0: in_signed=True but pixels are unsigned"),
        ({"1.in_signed": True}, "layer 1: in_signed=True but layer 0 is relu"),
        ({"1.mult": np.ones(3, np.int64)}, "layer 1 \\(last\\): logits are not requantised"),
        ({"1.activation": "relu"}, "layer 1 \\(last\\): logits are not requantised"),
        ({"0.activation": "none"}, "layer 0: hidden activation must be one of"),
        ({"0.req_shift": 0}, "layer 0: req_shift must be in 1..62, got 0"),
        ({"0.req_shift": 63}, "layer 0: req_shift must be in 1..62, got 63"),
        ({"0.mult": np.full(4, 65536)}, "layer 0 multiplier at index \\(0,\\): value 65536 outside unsigned 16-bit"),
        ({"0.bias": np.array([0, 0, 6 * 128 * 255 + 1, 0])}, "layer 0, row 2: bias 195841 exceeds"),
        ({"0.delta_shift": 9}, "layer 0: delta_shift must be an integer in 0..7, got 9"),
        ({"0.weights": np.array([[0] * 6] * 3 + [[0, 0, 0, 0, 90, 0]])}, "layer 0, row 3, col 4: group cols 0..5 spans"),
        ({"1.weights": np.full((3, 4), 200)}, "layer 1, row 0, col 0: weight 200 outside signed 8-bit"),
    ],
)
def test_validation_names_the_broken_rule(changes, message):
    with pytest.raises(FormatError, match=message):
        QuantNetwork(_layers(**changes), FMT)


def test_unrepresentable_weights_raise_encode_error():
    with pytest.raises(EncodeError):
        QuantNetwork(_layers(**{"0.weights": np.array([[0] * 6] * 3 + [[0, 0, 0, 0, 90, 0]])}), FMT)


def test_layer_arrays_must_be_integers_and_are_frozen():
    with pytest.raises(NetworkError, match="QuantLayer.weights: expected a 2-D integer array, got shape \\(2, 2\\) dtype float64"):
        QuantLayer(np.zeros((2, 2)), [0, 0], [0, 0], 0, 0, "none", False)
    layer = _layers()[0]
    with pytest.raises(ValueError, match="read-only"):
        layer.weights[0, 0] = 1


def test_empty_network_is_rejected():
    with pytest.raises(NetworkError, match="at least one layer"):
        QuantNetwork((), FMT)


def test_random_network_is_seeded():
    a, b, c = (random_network((20, 6, 4), FMT, seed=s) for s in (3, 3, 4))
    assert all(np.array_equal(x.weights, y.weights) for x, y in zip(a.layers, b.layers))
    assert not np.array_equal(a.layers[0].weights, c.layers[0].weights)


@pytest.mark.parametrize("scheme, delta_bits, group, shift", [
    (Scheme.PLAIN, 8, None, 0), (Scheme.FIXED_REFERENCE, 3, 16, 1), (Scheme.CONSECUTIVE, 2, None, 0),
])
def test_random_network_activations_are_varied_on_real_images(fashion_test, scheme, delta_bits, group, shift):
    images = fashion_test[0][:400]
    fmt = DeltaFormat(scheme, 8, delta_bits, group)
    net = random_network((784, 32, 16, 10), fmt, seed=1, calibration=images, delta_shift=shift)
    hidden, second, logits = layer_activations(net, images)
    for acts in (hidden, second):
        assert len(np.unique(acts)) > 100  # spread over the 0..255 range
        assert 0.2 < np.mean(acts == 0) < 0.8 and np.mean(acts == 255) < 0.05
    assert len(np.unique(np.argmax(logits, axis=1))) >= 5


def test_random_network_clamp_layers_make_signed_inputs(fashion_test):
    images = fashion_test[0][:400]
    net = random_network((784, 32, 16, 10), FMT, seed=2, calibration=images, activation=["clamp", "relu"])
    assert [layer.in_signed for layer in net.layers] == [False, True, False]
    hidden = layer_activations(net, images)[0]
    assert np.mean(hidden < 0) > 0.3 and np.mean(hidden > 0) > 0.3 and len(np.unique(hidden)) > 150


def test_random_network_argument_errors():
    with pytest.raises(FormatError, match="activation needs 2 values"):
        random_network((8, 4, 4, 2), FMT, activation=["relu"])
    with pytest.raises(FormatError, match=r"calibration images must be \[N, 8\]"):
        random_network((8, 4, 2), FMT, calibration=np.zeros((3, 9), np.uint8))
    with pytest.raises(FormatError, match="topology needs >= 2 positive sizes"):
        random_network((8,), FMT)


def test_layers_must_be_quant_layers():
    with pytest.raises(NetworkError, match="layer 0: expected a QuantLayer, got dict"):
        QuantNetwork(({},), FMT)
