"""The run-time weight load image of the shared-lane core (ARCHITECTURE.md "Run-time weight load
image"; deltamac_top with RUNTIME_WEIGHTS = 1, rtl/deltamac_weight_loader.sv).

One encoder, `image_words`, turns an export's manifest and ROM words into the 32-bit words sent on
the core's s_axis_load stream: the exporter writes them as `load.bin` from the very words it writes
into the .mem files, and `load_image_words` rebuilds them on the host from an export directory's
.mem files. NumPy only (no torch).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping, Sequence

from model.formats import Scheme
from model.memfile import read_mem

MAGIC = 0x444D5731  # "DMW1": deltamac weights, image format 1
LOAD_FILE = "load.bin"  # the image as little-endian 32-bit words, in the export directory
MEMORIES = ("delta", "ref", "bias", "mult")  # in image order; no "ref" for plain
FNV_OFFSET, FNV_PRIME = 2166136261, 16777619
WORD_MASK = 0xFFFFFFFF


def shape_words(manifest: Mapping) -> list[int]:
    """What a load image must match to be accepted: LANES, SCHEME, WEIGHT_BITS, DELTA_BITS,
    BIAS_BITS, MULT_BITS, NUM_LAYERS, then per layer n_in, n_out, group words, input signed, output
    signed, activation bits (the memory shapes follow from them)."""
    delta = manifest["delta"]
    words = [manifest["lanes"], int(Scheme.from_name(delta["scheme"])), delta["weight_bits"], delta["delta_bits"],
             manifest["bias_bits"], manifest["mult_bits"], len(manifest["layers"])]
    for layer in manifest["layers"]:
        words += [layer["n_in"], layer["n_out"], layer["group_words"], int(layer["in_signed"]),
                  int(layer["out_signed"]), layer["act_bits"]]
    return [int(w) for w in words]


def shape_signature(manifest: Mapping) -> int:
    """SHAPE, the image's second word: FNV-1a over the 32-bit shape words (h = (h ^ word) *
    16777619 mod 2**32, from 2166136261), as deltamac_weight_loader computes it from its package."""
    h = FNV_OFFSET
    for word in shape_words(manifest):
        h = ((h ^ word) * FNV_PRIME) & WORD_MASK
    return h


def config_word(layer: Mapping) -> int:
    """A layer's shift word: [3:0] delta shift s, [13:8] requantisation shift k."""
    return int(layer["delta_shift"]) | int(layer["req_shift"]) << 8


def image_words(manifest: Mapping, rom_words: Mapping[str, Sequence[int]]) -> list[int]:
    """The load image: MAGIC, SHAPE, one shift word per layer, then every memory word of delta, ref
    (not for plain), bias and mult in address order, each in ceil(width/32) beats, least significant
    32 bits first (the last beat's upper bits 0)."""
    words = [MAGIC, shape_signature(manifest), *(config_word(layer) for layer in manifest["layers"])]
    for rom in MEMORIES:
        if rom not in manifest["roms"]:
            continue
        width, depth = manifest["roms"][rom]["width"], manifest["roms"][rom]["depth"]
        if len(rom_words[rom]) != depth:
            raise ValueError(f"{rom}: {len(rom_words[rom])} words, the manifest says {depth}")
        beats = -(-width // 32)
        for word in rom_words[rom]:
            words += [(int(word) >> (32 * b)) & WORD_MASK for b in range(beats)]
    return words


def to_bytes(words: Sequence[int]) -> bytes:
    """The image as bytes for a DMA: every word little-endian, word 0 first."""
    return b"".join(int(w).to_bytes(4, "little") for w in words)


def load_image_words(export_dir) -> list[int]:
    """The load image of a shared-lane export directory, from its manifest and .mem files."""
    out = Path(export_dir)
    manifest = json.loads((out / "manifest.json").read_text())
    if manifest.get("architecture", "overlay") != "overlay":
        raise ValueError(f"{out}: run-time weights are a shared-lane core option; this is a "
                         f"{manifest['architecture']} export")
    rom_words = {rom: read_mem(out / entry["file"], entry["width"], entry["depth"])
                 for rom, entry in manifest["roms"].items()}
    return image_words(manifest, rom_words)
