"""cocotb testbench for deltamac_dataflow_top: the dataflow core checked bit for bit against model/.

The dataflow top has deltamac_top's ports and behaviour, so it runs deltamac_top's cocotb tests
(TB class and tests imported from sim/deltamac_top): back-to-back streaming with the cycles-per-
image bound (the slowest layer's words, or one pixel per cycle), idle source and backpressure, a
stalled sink backing the core up to TREADY low, reset in the middle of an image, wrong-length
images. Each parameter set exports a seeded random network with model.export.export_dataflow
(one engine per layer in its own format, folding P[xN][:kind]); illegal packages stop elaboration.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from model.export import export_dataflow
from model.formats import Scheme
from scripts.corefile import require_files, resolve_target
from sim.deltamac_top.test_deltamac_top import config_network, expect_illegal_package
from sim.deltamac_top.test_deltamac_top import (  # noqa: F401  (cocotb runs these tests on this top)
    test_handshake_defined_at_power_up,
    test_back_to_back,
    test_idle_and_backpressure,
    test_reset_mid_image,
    test_stalled_output,
    test_wrong_length,
)
from sim.runner import SIM_BUILD, run_cocotb, sv_string

TOP = "deltamac_dataflow_top"


@dataclass(frozen=True)
class NetConfig:
    """One exported dataflow network and the OUT_LOGITS it is simulated with."""

    topology: tuple[int, ...]
    scheme: Scheme
    weight_bits: int
    delta_bits: int
    folding: str
    out_logits: int
    pixels_per_beat: int = 1
    activation: tuple[str, ...] = ()
    delta_shift: tuple[int, ...] | int = 0
    group: int | None = None
    seed: int = 1
    bits: str | None = None  # per-layer precision spec; None: uniform, 8-bit activations
    dist_max_words: int = 128  # DIST_MAX_WORDS: 0 puts every activation buffer in block RAM (READ_LATENCY 3)


CONFIGS = {
    # delta-domain lanes with 2 parallel neurons, then LUT lanes with 2 neurons (padded words)
    "fr_784_32_10_delta": NetConfig((784, 32, 10), Scheme.FIXED_REFERENCE, 8, 4, "16x2:delta,6x2:lut", 1, seed=11),
    # mixed precision: one engine per kind, the w3a3 layer plain in LUT lanes, 3-bit and 5-bit
    # buffers, a clamp layer (signed activations), padded words, delta shift; 4 pixels per beat
    # (224 words per image in layer 0, faster than the 784 pixels at one per beat)
    "mixed_784_32_16_10": NetConfig(
        (784, 32, 16, 10), Scheme.FIXED_REFERENCE, 8, 4, "28x4:delta,8x2:lut,3:dsp", 1, 4, ("clamp", "relu"),
        (1, 0, 0), seed=12, bits="w8a8,w3a3,w6d3a5",
    ),
    # consecutive deltas through decoder + multiplier lanes, groups of 16 (words of P = 16 and 8);
    # 8 pixels per beat
    "cons_784_48_16_10": NetConfig(
        (784, 48, 16, 10), Scheme.CONSECUTIVE, 8, 4, "16x3:dsp,8x2:dsp,4", 0, 8, ("clamp", "relu"), group=16, seed=13
    ),
    # delta lanes on several reference groups per row (G = 16: a delta MAC array per neuron, not
    # the shared activation sum), delta shift; every activation buffer in block RAM (READ_LATENCY 3)
    "fr_g16_784_32_10_delta": NetConfig(
        (784, 32, 10), Scheme.FIXED_REFERENCE, 8, 3, "16x4:delta,8x2:delta", 0, delta_shift=(1, 0), group=16, seed=15,
        dist_max_words=0,
    ),
    # plain weights, one layer, P = 5 (padded last word), 2 neurons: images go straight to the output stage
    "plain_64_10": NetConfig((64, 10), Scheme.PLAIN, 6, 6, "5x2:lut", 1, seed=14),
}

NETS_DIR = SIM_BUILD / TOP / "nets"


def export_config(name: str, out: Path) -> Path:
    """Export the configuration's network (dataflow package and ROMs) into `out`."""
    cfg = CONFIGS[name]
    net = config_network(cfg)
    export_dataflow(net, out, cfg.folding, name=name, pixels_per_beat=cfg.pixels_per_beat)
    return out


def sources(net_dir: Path) -> list[Path]:
    """The dataflow target's files in dependency order, from deltamac.core."""
    target = resolve_target("dataflow", net_dir)
    require_files(target)
    return list(target.sources)


def parameters(out_logits: int, net_dir: Path, dist_max_words: int = 128) -> dict:
    return {"OUT_LOGITS": out_logits, "ROM_DIR": sv_string(net_dir.resolve()), "DIST_MAX_WORDS": dist_max_words}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_deltamac_dataflow_top(name):
    net_dir = export_config(name, NETS_DIR / name)
    run_cocotb(
        TOP,
        sources(net_dir),
        test_file=__file__,
        parameters=parameters(CONFIGS[name].out_logits, net_dir, CONFIGS[name].dist_max_words),
        extra_env={"DELTAMAC_NET": str(net_dir), "DELTAMAC_CONFIG": name},
        tag=name,
    )


ILLEGAL = {
    # package constant to change -> (pattern, replacement, message that must appear)
    "architecture": (r"(ARCHITECTURE\s*=\s*)\d+", r"\g<1>0", "is not a dataflow export"),
    "neurons": (r"(LAYER_NEURONS\s*=\s*\{32'd2, 32'd)2", r"\g<1>3", "NEURONS (3) must divide N_OUT (32)"),
    "lanes": (r"(LAYER_LANES\s*=\s*\{32'd6, 32'd)16", r"\g<1>33", "LANES must be in 1..32"),
    "kind": (r"(LAYER_LANE_KIND\s*=\s*\{32'd1, 32'd)2", r"\g<1>3", "LANE_KIND must be 0 (dsp), 1 (lut) or 2 (delta"),
    "in_bits": (r"(LAYER_IN_BITS\s*=\s*\{32'd8, 32'd)8", r"\g<1>7", "layer 0 must take the IN_PIXELS (784) 8-bit pixels"),
    "chain": (r"(LAYER_ACT_BITS\s*=\s*\{32'd8, 32'd)8", r"\g<1>5", "layer 1: its 32 inputs of 8 bits are not the previous layer's outputs"),
}


@pytest.mark.parametrize("case", list(ILLEGAL))
def test_illegal_parameters(case, tmp_path):
    """An illegal dataflow package (one constant changed) stops elaboration with a clear $fatal message."""
    net_dir = export_config("fr_784_32_10_delta", tmp_path / "net")
    expect_illegal_package(TOP, net_dir, sources, parameters(1, net_dir), ILLEGAL[case], tmp_path)
