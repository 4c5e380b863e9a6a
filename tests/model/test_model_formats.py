import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model import formats
from model.formats import DeltaFormat, FixedFormat, FormatError, Scheme


def test_scheme_values_are_the_sv_package_codes():
    assert [int(s) for s in (Scheme.PLAIN, Scheme.FIXED_REFERENCE, Scheme.CONSECUTIVE)] == [0, 1, 2]


@pytest.mark.parametrize("scheme", list(Scheme))
def test_scheme_from_name_accepts_label_and_dash_spelling(scheme):
    assert Scheme.from_name(scheme.label) is scheme
    assert Scheme.from_name(scheme.label.upper().replace("_", "-")) is scheme


def test_scheme_from_name_unknown_lists_choices():
    with pytest.raises(FormatError, match="unknown delta scheme 'delta'.*plain, fixed_reference, consecutive"):
        Scheme.from_name("delta")


@settings(max_examples=50, deadline=None)
@given(bits=st.integers(1, 40), signed=st.booleans())
def test_fixed_format_range_counts_every_code(bits, signed):
    fmt = FixedFormat(bits, signed)
    assert fmt.max - fmt.min + 1 == 2**bits
    assert (fmt.min < 0) == signed


def test_fixed_format_check_names_index_and_value():
    with pytest.raises(FormatError, match=r"weights at index \(1, 2\): value 128 outside signed 8-bit \[-128, 127\]"):
        FixedFormat(8, True).check(np.array([[0, 1, 2], [3, 4, 128]]), "weights")
    FixedFormat(8, True).check(np.array([-128, 127]), "weights")


def test_fixed_format_saturate():
    assert FixedFormat(8, False).saturate([-5, 3, 300]).tolist() == [0, 3, 255]


def test_fixed_format_rejects_zero_bits():
    with pytest.raises(FormatError, match="positive integer"):
        FixedFormat(0, True)


@pytest.mark.parametrize(
    "args, message",
    [
        ((Scheme.FIXED_REFERENCE, 8, 0, None), "delta_bits must be in 1..8, got 0"),
        ((Scheme.CONSECUTIVE, 8, 9, None), "delta_bits must be in 1..8, got 9"),
        ((Scheme.FIXED_REFERENCE, 17, 4, None), "weight_bits must be in 2..16, got 17"),
        ((Scheme.FIXED_REFERENCE, 1, 1, None), "weight_bits must be in 2..16, got 1"),
        ((Scheme.PLAIN, 8, 4, None), "delta_bits must equal weight_bits"),
        ((Scheme.FIXED_REFERENCE, 8, 4, 0), "group must be a positive integer"),
        ((Scheme.PLAIN, 8, 8, 16), "plain scheme has no reference groups: group must be None"),
    ],
)
def test_illegal_delta_formats(args, message):
    with pytest.raises(FormatError, match=message):
        DeltaFormat(*args)


def test_group_must_divide_the_row():
    fmt = DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, 16)
    assert fmt.group_size(784) == 16
    assert DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, None).group_size(150) == 150
    with pytest.raises(FormatError, match="group 16 does not divide the row length n_in=150"):
        fmt.group_size(150)


def test_unknown_activation():
    with pytest.raises(FormatError, match="unknown activation 'tanh'"):
        formats.activation_format("tanh")


@settings(max_examples=60, deadline=None)
@given(n_in=st.integers(1, 5000), weight_bits=st.integers(2, 16), in_signed=st.booleans())
def test_acc_bits_holds_the_extreme_sum_and_is_tight(n_in, weight_bits, in_signed):
    """Brute force over the extreme products: the bound is reached and needs every bit."""
    w_min = -(2 ** (weight_bits - 1))
    a_values = [-128, 127] if in_signed else [0, 255]
    largest_product = max(abs(w * a) for w in (w_min, 2 ** (weight_bits - 1) - 1) for a in a_values)
    bound = formats.sum_bound(n_in, weight_bits, in_signed)
    assert bound == n_in * largest_product
    extreme_acc = -2 * bound  # all products at one extreme plus the extreme bias
    bits = formats.acc_bits(n_in, weight_bits, in_signed)
    fits = lambda value, b: -(2 ** (b - 1)) <= value <= 2 ** (b - 1) - 1  # noqa: E731
    assert fits(extreme_acc, bits) and fits(-extreme_acc, bits)
    assert not fits(-extreme_acc, bits - 1)
