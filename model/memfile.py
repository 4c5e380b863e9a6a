"""ROM contents as `$readmemh` .mem files and Vivado .coe files (ARCHITECTURE.md section 3).

.mem: one word per line, exactly ceil(width/4) lowercase hex digits, no address markers, no
comments, exactly `depth` lines. Words are the raw (non-negative) bit patterns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

HEX_DIGITS = set("0123456789abcdef")


class MemFileError(ValueError):
    """A ROM file that breaks the format; the message names the file and line."""


def hex_digits(width: int) -> int:
    return -(-width // 4)


def _format_words(words: Sequence[int], width: int, path: Path) -> list[str]:
    if width < 1:
        raise MemFileError(f"{path}: word width must be positive, got {width}")
    digits = hex_digits(width)
    lines = []
    for index, word in enumerate(words):
        word = int(word)
        if not 0 <= word < 1 << width:
            raise MemFileError(f"{path}: word {index} = {word} does not fit {width} unsigned bits")
        lines.append(f"{word:0{digits}x}")
    return lines


def write_mem(path, words: Sequence[int], width: int) -> None:
    path = Path(path)
    lines = _format_words(words, width, path)
    path.write_text("".join(line + "\n" for line in lines))


def write_coe(path, words: Sequence[int], width: int) -> None:
    """The same words for Vivado's Block Memory Generator (radix 16, comma separated, ';' last)."""
    path = Path(path)
    lines = _format_words(words, width, path)
    body = ",\n".join(lines) + ";\n" if lines else ";\n"
    path.write_text(
        f"; {path.name}: {len(lines)} words of {width} bits\n"
        "memory_initialization_radix=16;\nmemory_initialization_vector=\n" + body
    )


def read_mem(path, width: int, depth: int) -> list[int]:
    """Words of a .mem file, rejecting anything but exactly `depth` lines of the right hex digits."""
    path = Path(path)
    if not path.is_file():
        raise MemFileError(f"{path}: file not found (expected a ROM of {depth} words x {width} bits)")
    digits = hex_digits(width)
    text = path.read_text(encoding="ascii", errors="replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline ending the last word
    words = []
    for number, line in enumerate(lines, start=1):
        where = f"{path}:{number}"
        if number > depth:
            raise MemFileError(f"{where}: too many lines, expected exactly {depth}")
        bad = sorted(set(line) - HEX_DIGITS)
        if bad:
            raise MemFileError(f"{where}: {line!r} has characters {bad} that are not lowercase hex digits")
        if len(line) != digits:
            raise MemFileError(f"{where}: {line!r} has {len(line)} hex digits, expected {digits} for {width} bits")
        word = int(line, 16)
        if word >= 1 << width:
            raise MemFileError(f"{where}: {line!r} is wider than {width} bits")
        words.append(word)
    if len(words) != depth:
        raise MemFileError(f"{path}:{len(words) + 1}: too few lines, found {len(words)}, expected {depth}")
    return words
