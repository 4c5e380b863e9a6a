"""The run-time weight load image (model/loadimage.py, ARCHITECTURE.md section 3): the exporter's
load.bin equals the host function's words, its layout follows the documented order and beat split,
and SHAPE tells shapes apart but not networks of one shape."""

from __future__ import annotations

import json

import numpy as np
import pytest

from model.export import export_dataflow, export_network
from model.formats import DeltaFormat, Scheme
from model.loadimage import LOAD_FILE, MAGIC, load_image_words, shape_signature, to_bytes
from model.memfile import read_mem
from model.random_net import random_network

FR = DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, None)
PLAIN = DeltaFormat(Scheme.PLAIN, 6, 6, None)


def export(tmp_path, name, topology=(64, 16, 10), delta=FR, lanes=12, seed=0, delta_shift=0):
    net = random_network(topology, delta, seed=seed, delta_shift=delta_shift, activation="clamp")
    out = tmp_path / name
    return out, export_network(net, out, lanes=lanes, name=name)


@pytest.mark.parametrize("delta", [FR, PLAIN], ids=["fixed_reference", "plain"])
def test_load_bin_is_the_host_image(tmp_path, delta):
    out, manifest = export(tmp_path, "a", delta=delta)
    words = load_image_words(out)
    assert (out / LOAD_FILE).read_bytes() == to_bytes(words)
    assert manifest["load_image"] == {"file": LOAD_FILE, "words": len(words), "shape": f"{words[1]:08x}"}
    assert words[0] == MAGIC and words[1] == shape_signature(manifest)
    layers = manifest["layers"]
    assert words[2:2 + len(layers)] == [lay["delta_shift"] | lay["req_shift"] << 8 for lay in layers]
    # every memory in order, every word split into 32-bit beats, least significant first
    position = 2 + len(layers)
    roms = [rom for rom in ("delta", "ref", "bias", "mult") if rom in manifest["roms"]]
    assert ("ref" in roms) == (delta.scheme != Scheme.PLAIN)
    for rom in roms:
        entry = manifest["roms"][rom]
        beats = -(-entry["width"] // 32)
        for word in read_mem(out / entry["file"], entry["width"], entry["depth"]):
            assert sum(b << (32 * i) for i, b in enumerate(words[position:position + beats])) == word
            position += beats
    assert position == len(words)


def test_delta_words_span_beats(tmp_path):
    """12 lanes of 4-bit deltas: 48-bit words, two beats each, the second one's upper half 0."""
    out, manifest = export(tmp_path, "a")
    words = load_image_words(out)
    start = 2 + len(manifest["layers"])
    delta = read_mem(out / "delta.mem", 48, manifest["roms"]["delta"]["depth"])
    assert words[start] == delta[0] & 0xFFFFFFFF and words[start + 1] == delta[0] >> 32
    assert all(w >> 16 == 0 for w in words[start + 1:start + 2 * len(delta):2])


def test_shape_signature(tmp_path):
    """Same shape (other seed, delta shifts): same SHAPE, other words; another topology, lane count,
    format or activation: another SHAPE."""
    base = shape_signature(export(tmp_path, "a")[1])
    out_b, manifest_b = export(tmp_path, "b", seed=5, delta_shift=1)
    assert shape_signature(manifest_b) == base
    assert load_image_words(out_b) != load_image_words(tmp_path / "a")
    others = [export(tmp_path, "t", topology=(64, 8, 10)), export(tmp_path, "l", lanes=8),
              export(tmp_path, "p", delta=PLAIN)]
    assert len({base, *(shape_signature(m) for _, m in others)}) == 1 + len(others)
    relu = json.loads((tmp_path / "a" / "manifest.json").read_text())
    relu["layers"][0]["out_signed"] = relu["layers"][1]["in_signed"] = False
    assert shape_signature(relu) != base


def test_dataflow_export_has_no_load_image(tmp_path):
    out, _ = export(tmp_path, "a")
    net = random_network((64, 16, 10), FR, seed=0)
    export_dataflow(net, out, "4,2", "df")
    assert not (out / LOAD_FILE).exists()
    with pytest.raises(ValueError, match="shared-lane core option"):
        load_image_words(out)
    assert np.array_equal(np.frombuffer(to_bytes([1, 0x01020304]), "<u4"), [1, 0x01020304])
