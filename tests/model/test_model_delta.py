import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.delta import DecodeError, EncodedLayer, EncodeError, decode_layer, encode_layer, project_layer
from model.formats import DeltaFormat, FormatError, Scheme
from model_strategies import delta_formats, random_int_weights

N_IN = 24


@settings(max_examples=200, deadline=None)
@given(fmt_shift=delta_formats(N_IN), n_out=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_project_encode_decode_round_trip(fmt_shift, n_out, seed):
    """Any in-range weights project to representable ones that encode and decode back exactly."""
    fmt, shift = fmt_shift
    weights = random_int_weights(np.random.default_rng(seed), fmt, n_out, N_IN)
    projected, error = project_layer(weights, fmt, shift)
    assert error == np.abs(projected - weights).max()
    encoded = encode_layer(projected, fmt, shift)
    stored_format = fmt.delta_format if fmt.has_references else fmt.weight_format
    stored_format.check(encoded.deltas, "deltas")
    fmt.weight_format.check(encoded.refs, "refs")
    assert encoded.refs.shape == (n_out, N_IN // fmt.group_size(N_IN) if fmt.has_references else 0)
    assert np.array_equal(decode_layer(encoded, fmt, shift), projected)
    again, zero = project_layer(projected, fmt, shift)  # representable input is a fixed point
    assert zero == 0.0 and np.array_equal(again, projected)


@settings(max_examples=100, deadline=None)
@given(fmt_shift=delta_formats(N_IN, schemes=(Scheme.FIXED_REFERENCE,)), seed=st.integers(0, 2**32 - 1))
def test_fixed_reference_picks_valid_reference_closest_to_midpoint(fmt_shift, seed):
    fmt, shift = fmt_shift
    weights, _ = project_layer(random_int_weights(np.random.default_rng(seed), fmt, 3, N_IN), fmt, shift)
    refs = encode_layer(weights, fmt, shift).refs
    group = fmt.group_size(N_IN)
    wf, df = fmt.weight_format, fmt.delta_format
    every_ref = np.arange(wf.min, wf.max + 1)
    for row, g in itertools.product(range(3), range(N_IN // group)):
        values = weights[row, g * group:(g + 1) * group]
        offsets = values[None, :] - every_ref[:, None]
        valid = every_ref[np.all((offsets % 2**shift == 0) & (offsets >> shift >= df.min) & (offsets >> shift <= df.max), axis=1)]
        distance = np.abs(2 * valid - (values.min() + values.max()))
        assert refs[row, g] == valid[np.argmin(distance)]  # argmin: the lowest on a tie


def test_consecutive_reference_is_the_first_weight():
    fmt = DeltaFormat(Scheme.CONSECUTIVE, 8, 3, 4)
    weights = np.array([[10, 12, 8, 8, -3, -1, -5, -1]])
    encoded = encode_layer(weights, fmt, 1)
    assert encoded.refs.tolist() == [[10, -3]]
    assert encoded.deltas.tolist() == [[0, 1, -2, 0, 0, 1, -2, 2]]


def test_plain_stores_weights_without_references():
    fmt = DeltaFormat(Scheme.PLAIN, 6, 6, None)
    weights = np.array([[-32, 31, 0], [1, 2, 3]])
    encoded = encode_layer(weights, fmt, 0)
    assert encoded.refs.shape == (2, 0) and np.array_equal(encoded.deltas, weights)


def _with(value_at, shape=(4, 8), fill=0):
    weights = np.full(shape, fill, dtype=np.int64)
    for (row, col), value in value_at.items():
        weights[row, col] = value
    return weights


@pytest.mark.parametrize(
    "fmt, shift, weights, detail",
    [
        (DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, None), 0, _with({(2, 5): 100}), "spans \\[0, 100\\]"),
        (DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, 4), 1, _with({(2, 5): 3}), "non-multiple of the delta step"),
        (DeltaFormat(Scheme.CONSECUTIVE, 8, 4, None), 0, _with({(2, 5): 20}), "needs delta 20"),
        (DeltaFormat(Scheme.CONSECUTIVE, 8, 4, None), 2, _with({(2, 5): 2}), "not a multiple of the delta step"),
        (DeltaFormat(Scheme.PLAIN, 8, 8, None), 0, _with({(2, 5): 128}), "weight 128 outside signed 8-bit"),
        (DeltaFormat(Scheme.CONSECUTIVE, 8, 4, None), 0, _with({(2, 5): -129}), "weight -129 outside"),
    ],
)
def test_unrepresentable_weights_name_layer_row_col(fmt, shift, weights, detail):
    with pytest.raises(EncodeError, match=f"layer 3, row 2, col 5: .*{detail}"):
        encode_layer(weights, fmt, shift, layer=3)


def test_consecutive_error_names_the_column_after_the_jump():
    weights = _with({(1, 6): 9, (1, 7): 9})
    with pytest.raises(EncodeError, match="layer 0, row 1, col 6: step from 0 to 9"):
        encode_layer(weights, DeltaFormat(Scheme.CONSECUTIVE, 8, 4, None), 0)


def test_encode_refuses_float_weights_and_bad_groups():
    fmt = DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, 3)
    with pytest.raises(FormatError, match="layer 1 weights: expected integers, got dtype float64"):
        encode_layer(np.zeros((2, 6)), fmt, 0, layer=1)
    with pytest.raises(EncodeError, match="layer 1: group 3 does not divide the row length n_in=8"):
        encode_layer(np.zeros((2, 8), np.int64), fmt, 0, layer=1)


@pytest.mark.parametrize(
    "fmt, shift, message",
    [
        (DeltaFormat(Scheme.PLAIN, 8, 8, None), 1, "plain scheme has no delta step"),
        (DeltaFormat(Scheme.CONSECUTIVE, 8, 4, None), 8, "delta_shift must be an integer in 0..7, got 8"),
        (DeltaFormat(Scheme.CONSECUTIVE, 8, 4, None), -1, "delta_shift must be an integer in 0..7, got -1"),
    ],
)
def test_illegal_delta_shift(fmt, shift, message):
    with pytest.raises(FormatError, match=message):
        encode_layer(np.zeros((1, 4), np.int64), fmt, shift)


def test_decode_rejects_out_of_range_values():
    fmt = DeltaFormat(Scheme.CONSECUTIVE, 4, 3, None)
    with pytest.raises(DecodeError, match="layer 2, row 0, col 3: decoded weight 8 outside signed 4-bit"):
        decode_layer(EncodedLayer(np.array([[5]]), np.array([[0, 1, 1, 1]])), fmt, 0, layer=2)
    with pytest.raises(DecodeError, match="row 0, col 1: delta 4 outside signed 3-bit"):
        decode_layer(EncodedLayer(np.array([[0]]), np.array([[0, 4, 0, 0]])), fmt, 0)
    with pytest.raises(DecodeError, match="reference -9 outside signed 4-bit"):
        decode_layer(EncodedLayer(np.array([[-9]]), np.array([[0, 0, 0, 0]])), fmt, 0)
    with pytest.raises(DecodeError, match=r"references have shape \(1, 2\), expected \(1, 1\)"):
        decode_layer(EncodedLayer(np.array([[0, 0]]), np.array([[0, 0, 0, 0]])), fmt, 0)


def _all_group_values(fmt: DeltaFormat, shift: int, group: int):
    """Every decodable in-range group of the format (small formats only)."""
    wf, df = fmt.weight_format, fmt.delta_format
    for ref in range(wf.min, wf.max + 1):
        for deltas in itertools.product(range(df.min, df.max + 1), repeat=group):
            steps = np.array(deltas) << shift
            values = ref + (np.cumsum(steps) if fmt.scheme == Scheme.CONSECUTIVE else steps)
            if values.min() >= wf.min and values.max() <= wf.max:
                yield values


@pytest.mark.parametrize("shift", [0, 1])
def test_fixed_reference_projection_is_optimal_by_exhaustive_search(shift):
    """Per group, no representable group has a smaller max error than the projection."""
    fmt = DeltaFormat(Scheme.FIXED_REFERENCE, 4, 2, 3)
    targets = np.random.default_rng(7 + shift).uniform(-9.5, 8.5, size=(12, 3))
    candidates = np.unique(np.array(list(_all_group_values(fmt, shift, 3))), axis=0)
    projected, max_error = project_layer(targets, fmt, shift)
    assert max_error == pytest.approx(np.abs(projected - targets).max())
    encode_layer(projected, fmt, shift)
    optimum = np.abs(candidates[None, :, :] - targets[:, None, :]).max(axis=2).min(axis=1)
    assert np.allclose(np.abs(projected - targets).max(axis=1), optimum)


@pytest.mark.parametrize("delta_bits", [2, 3, 4])
def test_consecutive_projection_tracks_reachable_targets_to_half_a_unit(delta_bits):
    """With s = 0 and every step of the targets within the delta range, greedy tracking only rounds."""
    fmt = DeltaFormat(Scheme.CONSECUTIVE, 8, delta_bits, None)
    reach = fmt.delta_format.max - 0.5
    rng = np.random.default_rng(delta_bits)
    walk = np.cumsum(rng.uniform(-reach, reach, size=(5, 200)), axis=1) + rng.uniform(-50, 50, size=(5, 1))
    targets = np.clip(walk, -127.5, 126.5)  # clipping never lengthens a step
    projected, max_error = project_layer(targets, fmt, 0)
    assert max_error <= 0.5
    assert np.array_equal(decode_layer(encode_layer(projected, fmt, 0), fmt, 0), projected)


def test_projection_of_floats_rounds_half_up_and_saturates():
    fmt = DeltaFormat(Scheme.PLAIN, 4, 4, None)
    projected, error = project_layer(np.array([[-0.5, 0.5, 1.49, 100.0, -100.0]]), fmt, 0)
    assert projected.tolist() == [[0, 1, 1, 7, -8]]
    assert error == pytest.approx(93.0)


def test_shape_errors():
    fmt = DeltaFormat(Scheme.CONSECUTIVE, 8, 4, None)
    with pytest.raises(FormatError, match=r"layer 0 weights: expected a 2-D \[n_out, n_in\] array, got shape \(4,\)"):
        encode_layer(np.zeros(4, np.int64), fmt, 0)
    with pytest.raises(FormatError, match=r"project_layer: expected a 2-D \[n_out, n_in\] array, got shape \(2, 2, 2\)"):
        project_layer(np.zeros((2, 2, 2)), fmt, 0)
