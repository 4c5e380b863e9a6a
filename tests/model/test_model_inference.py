import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model import formats
from model.formats import DeltaFormat, FormatError, Scheme
from model.inference import accumulate, layer_activations, predict, requantize, run_network
from model.network import QuantLayer, QuantNetwork
from model.random_net import random_network
from model_strategies import delta_formats

REPO = Path(__file__).resolve().parents[2]


def reference_requantize(acc: int, mult: int, shift: int, out_signed: bool) -> int:
    """acc * M / 2**k rounded half up (exact rational arithmetic), then saturated."""
    value = Fraction(acc * mult, 2**shift)
    rounded = int((value + Fraction(1, 2)).__floor__())
    lo, hi = (-128, 127) if out_signed else (0, 255)
    return min(max(rounded, lo), hi)


def reference_network(net: QuantNetwork, images: np.ndarray) -> list[list[int]]:
    """Python-int loops over ARCHITECTURE.md section 1, independent of model.inference."""
    results = []
    for image in images.tolist():
        x = image
        for layer in net.layers:
            w, b, m = layer.weights.tolist(), layer.bias.tolist(), layer.mult.tolist()
            acc = [sum(wi * xi for wi, xi in zip(w[j], x)) + b[j] for j in range(layer.n_out)]
            if layer.activation == "none":
                x = acc
            else:
                x = [reference_requantize(a, m[j], layer.req_shift, layer.out_signed) for j, a in enumerate(acc)]
        results.append(x)
    return results


@settings(max_examples=300, deadline=None)
@given(
    acc=st.integers(-(2**39) + 1, 2**39 - 1), mult=st.integers(0, 65535), shift=st.integers(1, 62),
    out_signed=st.booleans(),
)
def test_requantize_matches_exact_rounding(acc, mult, shift, out_signed):
    got = requantize(np.array([acc]), np.array([mult]), shift, out_signed)
    assert got.tolist() == [reference_requantize(acc, mult, shift, out_signed)]


def test_requantize_rounds_half_up_towards_plus_infinity():
    # acc * M / 2**k = -2.5, -1.5, 2.5 with M = 5, k = 1 -> acc = -1, ... (x2.5 values)
    got = requantize(np.array([-1, 1, 3, -3]), np.array([5, 5, 1, 1]), 1, True)
    assert got.tolist() == [-2, 3, 2, -1]


def test_requantize_rejects_bad_shift_and_wide_acc():
    with pytest.raises(FormatError, match="shift must be in 1..62, got 0"):
        requantize(np.array([1]), np.array([1]), 0, False)
    with pytest.raises(AssertionError, match="needs more than 40 bits"):
        requantize(np.array([2**39]), np.array([1]), 1, False)


@settings(max_examples=40, deadline=None)
@given(
    fmt_shift=delta_formats(12), hidden=st.lists(st.sampled_from([12, 24]), max_size=2),
    activation=st.sampled_from(["relu", "clamp"]), seed=st.integers(0, 2**32 - 1),
)
def test_run_network_matches_python_int_reference(fmt_shift, hidden, activation, seed):
    fmt, shift = fmt_shift
    net = random_network([12, *hidden, 3], fmt, seed=seed, delta_shift=shift, activation=activation)
    images = np.random.default_rng(seed).integers(0, 256, size=(20, 12), dtype=np.uint8)
    expected = reference_network(net, images)
    assert run_network(net, images).tolist() == expected
    assert predict(net, images).tolist() == [int(np.argmax(row)) for row in expected]
    assert layer_activations(net, images)[-1].tolist() == expected


def test_real_fashion_images_through_a_random_network_match_the_reference(fashion_test):
    images = fashion_test[0][:300]
    net = random_network((784, 24, 10), DeltaFormat(Scheme.CONSECUTIVE, 8, 4, 8), seed=5, calibration=images)
    assert run_network(net, images).tolist() == reference_network(net, images)


def _extreme_network(n_in: int, weight_bits: int, sign: int, n_out: int = 2) -> QuantNetwork:
    """One layer with every weight at -2**(wb-1) and the bias at -sign * sum_bound."""
    w_min = -(2 ** (weight_bits - 1))
    bound = formats.sum_bound(n_in, weight_bits, False)
    layer = QuantLayer(
        np.full((n_out, n_in), w_min), np.full(n_out, -sign * bound), np.zeros(n_out, np.int64), 0, 0, "none", False
    )
    return QuantNetwork((layer,), DeltaFormat(Scheme.PLAIN, weight_bits, weight_bits, None))


@pytest.mark.parametrize("weight_bits", [2, 8, 16])
@pytest.mark.parametrize("n_in", [1, 784, 4000])
def test_accumulator_bound_is_reached_on_extreme_inputs_and_tight(weight_bits, n_in):
    """All pixels 255, all weights at the negative extreme, bias at -sum_bound: acc = -2*sum_bound,
    which needs exactly acc_bits bits."""
    net = _extreme_network(n_in, weight_bits, sign=1)
    logits = run_network(net, np.full((1, n_in), 255, dtype=np.uint8))
    bound = formats.sum_bound(n_in, weight_bits, False)
    assert logits.tolist() == [[-2 * bound] * 2]
    bits = net.acc_bits
    assert -(2 ** (bits - 1)) <= logits.min() and not -(2 ** (bits - 2)) <= logits.min()
    assert bits <= formats.MAX_ACC_BITS


@pytest.mark.parametrize("weight_bits", [2, 8, 16])
def test_accumulator_bound_for_signed_inputs(weight_bits):
    """Signed inputs of -128 times the most negative weight give the largest positive sum."""
    n_in = 300
    bound = formats.sum_bound(n_in, weight_bits, True)
    layer = QuantLayer(
        np.full((1, n_in), -(2 ** (weight_bits - 1))), np.array([bound]), np.array([0]), 0, 0, "none", True
    )
    acc = accumulate(layer, np.full((1, n_in), -128), weight_bits)
    assert acc.tolist() == [[2 * bound]]
    bits = formats.acc_bits(n_in, weight_bits, True)
    assert 2 * bound <= 2 ** (bits - 1) - 1 and not 2 * bound <= 2 ** (bits - 2) - 1


def test_accumulate_asserts_the_bound_on_out_of_contract_inputs():
    layer = _extreme_network(8, 8, sign=1).layers[0]
    with pytest.raises(AssertionError, match="exceeds the bound 2\\*sum_bound"):
        accumulate(layer, np.full((1, 8), 1000), 8)


def test_float64_dot_products_are_exact_at_the_widest_accumulator():
    """Extreme 16-bit weights of mixed sign: the BLAS path equals int64 matmul bit for bit."""
    rng = np.random.default_rng(0)
    n_in = 4000
    weights = rng.choice([-(2**15), 2**15 - 1, -(2**15) + 1], size=(16, n_in))
    layer = QuantLayer(weights, np.zeros(16, np.int64), np.zeros(16, np.int64), 0, 0, "none", False)
    inputs = rng.choice([0, 254, 255], size=(32, n_in))
    assert np.array_equal(accumulate(layer, inputs, 16), inputs.astype(np.int64) @ weights.T)


def test_accumulators_up_to_40_bits_are_accepted_and_41_rejected():
    """2 * n_in * 2**15 * 255 needs 39 bits (acc 40) at 32000 inputs and 40 bits (acc 41) at 65000."""
    fmt = DeltaFormat(Scheme.PLAIN, 16, 16, None)

    def one_layer(n_in):
        return (QuantLayer(np.zeros((1, n_in), np.int64), [0], [0], 0, 0, "none", False),)

    assert QuantNetwork(one_layer(32_000), fmt).acc_bits == 40
    with pytest.raises(FormatError, match="layer 0: accumulator needs 41 bits, more than 40"):
        QuantNetwork(one_layer(65_000), fmt)


def test_argmax_ties_go_to_the_lowest_index():
    weights = np.array([[1, 0], [0, 1], [1, 0], [0, 1]])
    layer = QuantLayer(weights, [0, 0, 0, 0], [0, 0, 0, 0], 0, 0, "none", False)
    net = QuantNetwork((layer,), DeltaFormat(Scheme.PLAIN, 4, 4, None))
    images = np.array([[5, 5], [3, 9], [0, 0], [7, 1]], dtype=np.uint8)
    assert predict(net, images).tolist() == [0, 1, 0, 0]


@pytest.mark.parametrize(
    "images, message",
    [
        (np.zeros((2, 783), np.uint8), r"expected shape \[N, 784\], got \(2, 783\)"),
        (np.zeros((2, 784), np.float32), "expected uint8 pixels, got dtype float32"),
        (np.full((2, 784), 256, np.int64), "images at index \\(0, 0\\): value 256 outside unsigned 8-bit"),
        (np.full((2, 784), -1, np.int64), "value -1 outside unsigned 8-bit"),
    ],
)
def test_bad_images_are_rejected(images, message):
    net = random_network((784, 4, 3), seed=0)
    with pytest.raises(FormatError, match=message):
        run_network(net, images)


def test_full_test_set_through_the_lenet_sized_mlp_takes_seconds(fashion_test):
    """784-150-16-400-120-84-10 on all 10,000 test images; a per-image loop would take minutes."""
    images = fashion_test[0]
    net = random_network((784, 150, 16, 400, 120, 84, 10), seed=2, calibration=images[:256])
    start = time.perf_counter()
    predictions = predict(net, images)
    seconds = time.perf_counter() - start
    print(f"10,000 images through 784-150-16-400-120-84-10: {seconds:.2f} s")
    assert predictions.shape == (10_000,)
    assert seconds < 20
    sample = slice(0, 10)
    assert run_network(net, images[sample]).tolist() == reference_network(net, images[sample])


def test_model_imports_with_numpy_alone():
    """torch made unimportable: every model module must still import."""
    modules = ["model"] + [f"model.{p.stem}" for p in sorted((REPO / "model").glob("*.py")) if p.stem != "__init__"]
    code = "import sys; sys.modules['torch'] = None\n" + "".join(f"import {m}\n" for m in modules)
    code += "assert sys.modules['torch'] is None\nprint('ok')\n"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert len(modules) >= 12
