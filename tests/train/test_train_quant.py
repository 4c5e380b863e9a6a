"""The torch projection lands on storable weights, its gradients are LSQ's, and the torch
integer simulation equals the golden model."""

import numpy as np
import pytest
import torch

from model.delta import decode_layer, encode_layer
from model.formats import MULT_BITS, DeltaFormat, Scheme
from model.inference import run_network
from model.random_net import random_network
from train.intsim import IntegerSimulation
from train.quant import fake_quant_weights, max_delta_shift, project, requant_params

FORMATS = [
    DeltaFormat(Scheme.PLAIN, 4, 4),
    DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4),
    DeltaFormat(Scheme.FIXED_REFERENCE, 8, 2, 16),
    DeltaFormat(Scheme.CONSECUTIVE, 8, 4),
    DeltaFormat(Scheme.CONSECUTIVE, 6, 3, 8),
]


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.describe())
def test_projection_is_storable_and_close(fmt):
    rng = np.random.default_rng(1)
    for shift in range(max_delta_shift(fmt) + 1):
        step = 1 << shift
        wide = torch.from_numpy(rng.normal(0, 2 ** fmt.weight_bits, (6, 64))).float()
        projected = project(wide, fmt, shift)
        weights = projected.long().numpy()
        assert np.array_equal(decode_layer(encode_layer(weights, fmt, shift), fmt, shift), weights)
        # Targets the format can follow are met within half a step plus the rounding of the
        # reference: a group inside one window (fixed_reference), steps the deltas can make
        # (consecutive), anything in range (plain).
        if fmt.scheme == Scheme.CONSECUTIVE:
            reach = ((1 << (fmt.delta_bits - 1)) - 1) * step - step / 2 - 0.5
            followable = np.cumsum(rng.uniform(-reach, reach, (6, 64)), axis=1)
        else:
            span = ((1 << fmt.delta_bits) - 1) * step - 1
            followable = rng.uniform(-span / 2, span / 2, (6, 64)) + rng.uniform(-40, 40, (6, 1))
        followable = torch.from_numpy(followable).float()
        # (a step inside the weight range: the grid of a group need not reach its ends)
        followable = followable.clamp(fmt.weight_format.min + step, fmt.weight_format.max - step)
        error = (project(followable, fmt, shift) - followable).abs().max()
        assert error <= step / 2 + 0.5


def test_straight_through_gradients_are_lsq():
    fmt = DeltaFormat(Scheme.FIXED_REFERENCE, 8, 2)
    weights = torch.tensor([[0.0, 0.1, 0.2, 5.0]], requires_grad=True)  # 5.0 cannot be reached
    log_scale = torch.zeros(1, requires_grad=True)
    quantized, w_int = fake_quant_weights(weights, log_scale, fmt, 0)
    quantized.sum().backward()
    t = weights.detach()
    clipped = (w_int - t).abs() > 0.5
    assert clipped.tolist() == [[False, False, False, True]]
    assert weights.grad.tolist() == [[1.0, 1.0, 1.0, 0.0]]
    expected_scale_grad = torch.where(clipped, w_int, w_int - t).sum()
    assert torch.allclose(log_scale.grad, expected_scale_grad)


@pytest.mark.parametrize("ratio", [[1e-6, 3e-4], [0.9, 0.3], [1000.0, 7.5]])
def test_requant_params_use_the_largest_shift(ratio):
    mult, shift = requant_params(torch.tensor(ratio, dtype=torch.float64))
    assert int(mult.max()) < 1 << MULT_BITS
    assert int(mult.max()) * 2 >= 1 << MULT_BITS or shift == 62
    assert np.allclose(mult.double() / 2.0**shift, ratio, rtol=2.0**-14)


@pytest.mark.parametrize("activation", ["relu", "clamp"])
def test_integer_simulation_equals_golden(activation):
    fmt = DeltaFormat(Scheme.CONSECUTIVE, 8, 4)
    net = random_network((784, 48, 24, 10), fmt, seed=3, delta_shift=2, activation=activation)
    images = np.random.default_rng(4).integers(0, 256, (300, 784), dtype=np.uint8)
    assert torch.equal(IntegerSimulation(net).logits(images), torch.from_numpy(run_network(net, images)))
