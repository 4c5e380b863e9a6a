"""model.folding: the dataflow architecture's per-layer folding (ARCHITECTURE.md section 6)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from model.folding import (FoldingError, LaneKind, LayerFolding, check_folding, check_folding_for, default_kind,
                           format_folding, initiation_interval, parse_folding, words)
from model.formats import DeltaFormat, FormatError, Scheme
from model.random_net import random_network

FR4 = DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, None)


@pytest.fixture(scope="module")
def net():
    """30-12-16-4: layer 1 consecutive with groups of 4, layer 2 plain."""
    formats = [FR4, DeltaFormat(Scheme.CONSECUTIVE, 6, 3, 4), DeltaFormat(Scheme.PLAIN, 5, 5, None)]
    return random_network((30, 12, 16, 4), formats, seed=1, activation=["clamp", "relu"], act_bits=[4, 6])


def test_lane_kind_values_are_the_package_codes():
    assert [(k.label, int(k)) for k in LaneKind] == [("dsp", 0), ("lut", 1), ("delta", 2)]
    assert issubclass(FoldingError, FormatError)


def test_parse_the_documented_example():
    assert parse_folding("28x10:delta,8:lut,2", 3) == (
        LayerFolding(28, 10, LaneKind.DELTA), LayerFolding(8, 1, LaneKind.LUT), LayerFolding(2, 1, None))
    assert parse_folding(" 8X2:LUT , 4 ", 2) == (LayerFolding(8, 2, LaneKind.LUT), LayerFolding(4))


foldings = st.lists(st.builds(LayerFolding, st.integers(1, 32), st.integers(1, 64),
                              st.none() | st.sampled_from(list(LaneKind))), min_size=1, max_size=10)


@given(foldings)
def test_format_and_parse_round_trip(layers):
    text = format_folding(layers)
    assert parse_folding(text, len(layers)) == tuple(layers)
    assert format_folding(parse_folding(text, len(layers))) == text


@pytest.mark.parametrize("spec, message", [
    ("16,8y3", r"entry 2 '8y3': expected P\[xN\]\[:kind\]"),
    ("16,", r"entry 2 '': expected P\[xN\]\[:kind\]"),
    ("x2,4", r"entry 1 'x2': expected P\[xN\]\[:kind\]"),
    ("16:gpu,4", r"entry 1 '16:gpu': unknown lane kind 'gpu'; expected one of: dsp, lut, delta"),
    ("16,4,2", r"folding '16,4,2' has 3 entries; the network has 2 layers"),
])
def test_parse_refuses_bad_syntax_and_counts(spec, message):
    with pytest.raises(FoldingError, match=message):
        parse_folding(spec, 2)


@pytest.mark.parametrize("spec, message", [
    ("7,4", "folding '7,4' has 2 entries; the network has 3 layers"),
    ("0,4,2", r"layer 0 \(30 inputs, 12 outputs\): lanes must be an integer in 1..32, got 0"),
    ("33,4,2", r"layer 0 \(30 inputs, 12 outputs\): lanes must be an integer in 1..32, got 33"),
    ("7,16,2", r"layer 1 \(12 inputs, 16 outputs\): 16 lanes exceed the layer's n_in 12"),
    ("7x0,4,2", r"layer 0 \(30 inputs, 12 outputs\): neurons must be a positive integer, got 0"),
    ("7x5,4,2", r"layer 0 \(30 inputs, 12 outputs\): 5 parallel neurons do not divide n_out 12"),
    ("7,4,8x4", r"layer 2 \(16 inputs, 4 outputs\): 4 parallel neurons exceed C = ceil\(16/8\) = 2 words per row"),
    ("7,3,2", r"layer 1 \(12 inputs, 16 outputs\): group 4 is neither the whole row \(12\) nor a multiple of the 3 lanes"),
    ("7,4:delta,2", r"layer 1 \(12 inputs, 16 outputs\): kind delta multiplies fixed_reference deltas, the layer is "
                    "consecutive weight_bits=6 delta_bits=3 group=4"),
    ("7,4,2:delta", r"layer 2 \(16 inputs, 4 outputs\): kind delta multiplies fixed_reference deltas, the layer is plain"),
])
def test_check_folding_refusals_name_layer_and_rule(net, spec, message):
    with pytest.raises(FoldingError, match=message):
        check_folding(net, spec)


def test_check_folding_takes_layer_foldings_and_checks_their_count(net):
    with pytest.raises(FoldingError, match="folding '7' has 1 entries; the network has 3 layers"):
        check_folding(net, [LayerFolding(7)])
    with pytest.raises(FoldingError, match="expected a text spec or LayerFoldings"):
        check_folding(net, [7, 4, 2])


def test_limits_that_just_pass(net):
    # P == n_in (layer 0), G == P (layer 1), N == C (layer 2: ceil(16/8) = 2); then G a multiple of P, P == 1.
    assert check_folding(net, "30,4:lut,8x2") == (
        LayerFolding(30, 1, LaneKind.DELTA), LayerFolding(4, 1, LaneKind.LUT), LayerFolding(8, 2, LaneKind.DSP))
    assert check_folding_for((30, 12, 16, 4), net.formats, [8, 4, 6], "1x12,2,16") == check_folding(net, "1x12,2,16")


@pytest.mark.parametrize("fmt, in_bits, kind", [
    (DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, None), 8, LaneKind.DELTA),
    (DeltaFormat(Scheme.FIXED_REFERENCE, 3, 2, 8), 3, LaneKind.DELTA),
    (DeltaFormat(Scheme.FIXED_REFERENCE, 8, 5, None), 8, LaneKind.DSP),
    (DeltaFormat(Scheme.FIXED_REFERENCE, 4, 5, None), 4, LaneKind.LUT),  # deltas too wide, but 4-bit weights and inputs
    (DeltaFormat(Scheme.CONSECUTIVE, 8, 2, None), 8, LaneKind.DSP),
    (DeltaFormat(Scheme.CONSECUTIVE, 4, 2, None), 4, LaneKind.LUT),
    (DeltaFormat(Scheme.PLAIN, 4, 4, None), 4, LaneKind.LUT),
    (DeltaFormat(Scheme.PLAIN, 4, 4, None), 5, LaneKind.DSP),
    (DeltaFormat(Scheme.PLAIN, 5, 5, None), 2, LaneKind.DSP),
])
def test_default_kind_rule(fmt, in_bits, kind):
    assert default_kind(fmt, in_bits) == kind


def test_check_folding_resolves_only_missing_kinds(net):
    # Layer 0: fixed_reference d4 -> delta; layer 1: consecutive, 6-bit weights -> dsp; layer 2: plain 5-bit -> dsp.
    assert [f.kind for f in check_folding(net, "7,4,2")] == [LaneKind.DELTA, LaneKind.DSP, LaneKind.DSP]
    assert [f.kind for f in check_folding(net, "7:dsp,4:lut,2:lut")] == [LaneKind.DSP, LaneKind.LUT, LaneKind.LUT]


def test_words_and_initiation_interval(net):
    # words_l = ceil(n_in/P) * n_out / N: 5*12/3, 3*16/2, 6*4/2
    assert words(net, "7x3,5x2,3x2") == (20, 24, 12)
    assert words((30, 12, 16, 4), parse_folding("7x3,5x2,3x2", 3)) == (20, 24, 12)
    assert initiation_interval(net, "7x3,5x2,3x2") == 24
    assert words((784, 32, 10), "28x2,8") == (448, 40)
    assert initiation_interval((784, 32, 10), "1,32") == 784 * 32
    with pytest.raises(FoldingError, match="has 1 entries; the network has 2 layers"):
        words((784, 32, 10), "28")
