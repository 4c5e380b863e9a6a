import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.memfile import MemFileError, read_mem, write_coe, write_mem


@settings(max_examples=60, deadline=None)
@given(width=st.integers(1, 200), data=st.data())
def test_write_read_round_trip(tmp_path_factory, width, data):
    words = data.draw(st.lists(st.integers(0, 2**width - 1), max_size=30))
    path = tmp_path_factory.mktemp("mem") / "rom.mem"
    write_mem(path, words, width)
    lines = path.read_text().splitlines()
    assert all(len(line) == -(-width // 4) and line == line.lower() for line in lines)
    assert read_mem(path, width, len(words)) == words


def test_coe_carries_the_same_words(tmp_path):
    words = [0, 5, 0x3ff]
    write_coe(tmp_path / "rom.coe", words, 10)
    text = (tmp_path / "rom.coe").read_text()
    assert "memory_initialization_radix=16;" in text
    vector = text.split("memory_initialization_vector=")[1].replace(";", "").split(",")
    assert [int(v, 16) for v in vector] == words


def test_write_rejects_values_too_wide(tmp_path):
    with pytest.raises(MemFileError, match="word 1 = 16 does not fit 4 unsigned bits"):
        write_mem(tmp_path / "x.mem", [1, 16], 4)
    with pytest.raises(MemFileError, match="word 0 = -1 does not fit"):
        write_mem(tmp_path / "x.mem", [-1], 4)


@pytest.mark.parametrize(
    "text, width, depth, message",
    [
        ("0a\n0g\n", 8, 2, r"x\.mem:2: '0g' has characters \['g'\] that are not lowercase hex"),
        ("0a\n0A\n", 8, 2, r"x\.mem:2: '0A' has characters \['A'\]"),
        ("0a\n0a // c\n", 8, 2, r"x\.mem:2: .*not lowercase hex"),
        ("@0\n0a\n", 8, 2, r"x\.mem:1: '@0' has characters \['@'\]"),
        ("0a\na\n", 8, 2, r"x\.mem:2: 'a' has 1 hex digits, expected 2 for 8 bits"),
        ("00a\n", 8, 1, r"x\.mem:1: '00a' has 3 hex digits, expected 2"),
        ("0a\n", 8, 2, r"x\.mem:2: too few lines, found 1, expected 2"),
        ("0a\n0b\n0c\n", 8, 2, r"x\.mem:3: too many lines, expected exactly 2"),
        ("1f\n20\n", 5, 2, r"x\.mem:2: '20' is wider than 5 bits"),
        ("0a\n\n", 8, 2, r"x\.mem:2: '' has 0 hex digits"),
    ],
)
def test_read_rejects_malformed_files_naming_file_and_line(tmp_path, text, width, depth, message):
    (tmp_path / "x.mem").write_text(text)
    with pytest.raises(MemFileError, match=message):
        read_mem(tmp_path / "x.mem", width, depth)


def test_read_missing_file(tmp_path):
    with pytest.raises(MemFileError, match=r"nope\.mem: file not found \(expected a ROM of 3 words x 8 bits\)"):
        read_mem(tmp_path / "nope.mem", 8, 3)


def test_write_rejects_zero_width(tmp_path):
    with pytest.raises(MemFileError, match="word width must be positive, got 0"):
        write_mem(tmp_path / "x.mem", [0], 0)
