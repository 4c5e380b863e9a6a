import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.formats import DeltaFormat, FixedFormat, Scheme
from model.packing import PackingError, RomLayout, chunks, from_raw, pack_rows, to_raw, unpack_rows


def _lane_of(word: int, lane: int, bits: int) -> int:
    """Lane `lane` of a word read bit by bit from its binary string (LSB = bit 0), two's complement."""
    text = format(word, "b")[::-1].ljust((lane + 1) * bits, "0")
    field = text[lane * bits:(lane + 1) * bits][::-1]
    value = int(field, 2)
    return value - 2**bits if field[0] == "1" else value


@settings(max_examples=120, deadline=None)
@given(
    lanes=st.integers(1, 32), bits=st.integers(1, 16), n_rows=st.integers(1, 5), n_in=st.integers(1, 70),
    seed=st.integers(0, 2**32 - 1),
)
def test_pack_unpack_round_trip_and_lane_positions(lanes, bits, n_rows, n_in, seed):
    fmt = FixedFormat(bits, True)
    values = np.random.default_rng(seed).integers(fmt.min, fmt.max + 1, size=(n_rows, n_in))
    words = pack_rows(values, lanes, bits)
    n_chunks = -(-n_in // lanes)
    assert len(words) == n_rows * n_chunks
    assert all(0 <= w < 2 ** (lanes * bits) for w in words)
    for row in range(n_rows):
        for col in range(n_chunks * lanes):
            expected = values[row, col] if col < n_in else 0  # padded lanes hold 0
            assert _lane_of(words[row * n_chunks + col // lanes], col % lanes, bits) == expected
    assert np.array_equal(unpack_rows(words, n_rows, n_in, lanes, bits), values)


def test_chunks_is_ceiling():
    assert [chunks(n, 16) for n in (1, 16, 17, 784, 150)] == [1, 1, 2, 49, 10]


def test_pack_rejects_values_too_wide_and_bad_lanes():
    with pytest.raises(ValueError, match="value 8 outside signed 4-bit"):
        pack_rows(np.array([[1, 8]]), 2, 4)
    for lanes in (0, 33):
        with pytest.raises(PackingError, match=f"lanes must be an integer in 1..32, got {lanes}"):
            pack_rows(np.zeros((1, 4), np.int64), lanes, 4)


def test_unpack_rejects_nonzero_padding_and_wrong_count():
    words = pack_rows(np.array([[1, 2, 3]]), 2, 4)
    with pytest.raises(PackingError, match="row 0, word 1: padded lane 1 holds 5, expected 0"):
        unpack_rows([words[0], words[1] | (5 << 4)], 1, 3, 2, 4)
    with pytest.raises(PackingError, match="expected 2 words for 1 rows, got 1"):
        unpack_rows(words[:1], 1, 3, 2, 4)


@settings(max_examples=50, deadline=None)
@given(bits=st.integers(1, 40), signed=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_raw_round_trip(bits, signed, seed):
    fmt = FixedFormat(bits, signed)
    values = np.random.default_rng(seed).integers(fmt.min, fmt.max, size=20, endpoint=True)
    raw = to_raw(values, fmt, "v")
    assert all(0 <= r < 2**bits for r in raw)
    assert [r == v % 2**bits for r, v in zip(raw, values.tolist())] == [True] * 20
    assert np.array_equal(from_raw(raw, fmt), values)


@settings(max_examples=60, deadline=None)
@given(
    topology=st.lists(st.sampled_from([4, 8, 12, 16, 24, 48]), min_size=2, max_size=5),
    lanes=st.sampled_from([1, 2, 4]), scheme=st.sampled_from(list(Scheme)), group=st.sampled_from([None, 4]),
)
def test_rom_layout_bases_match_a_sequential_walk(topology, lanes, scheme, group):
    group = None if scheme == Scheme.PLAIN else group
    fmt = DeltaFormat(scheme, 8, 8 if scheme == Scheme.PLAIN else 4, group)
    layout = RomLayout.build(topology, fmt, lanes, acc_bits=20)
    delta_address = ref_address = neuron_address = 0
    for lay, n_in, n_out in zip(layout.layers, topology[:-1], topology[1:]):
        assert (lay.delta_base, lay.ref_base, lay.neuron_base) == (delta_address, ref_address, neuron_address)
        for _row in range(n_out):
            delta_address += -(-n_in // lanes)
            if scheme != Scheme.PLAIN:
                ref_address += n_in // (group or n_in)
            neuron_address += 1
        assert lay.group_words == (lay.chunks if (group or n_in) == n_in else (group or n_in) // lanes)
    assert (layout.delta_depth, layout.ref_depth, layout.neuron_depth) == (delta_address, ref_address, neuron_address)
    assert ("ref" in layout.rom_shapes()) == (scheme != Scheme.PLAIN)
