"""cocotb testbench for deltamac_sequencer: issue order, addresses, tags, masking and scheduling.

The sequencer is built against a package exported by model.export; every issued word is
compared with the ROM layout in the export's manifest (ARCHITECTURE.md section 3): delta address
DELTA_BASE + j*C + c, reference address REF_BASE + j*groups + c/group_words, activation word c
from the input buffer (layer 0) or hidden bank (l-1)%2, first/last/group-start flags, neuron
address and per-layer shifts; the decoder-side activations must be the read word with lanes
>= n_in zeroed and each lane sign- or zero-extended by the layer's input signedness.
Scheduling: no gaps inside a layer, a hidden layer starts only after `layer_done`, the last
layer only while `out_ready` (and it claims), the input slot is released with layer 0's last
read. The testbench plays input stage, hidden-buffer writer and output stage with random delays.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import cocotb
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge

from model.export import export_network
from model.formats import DeltaFormat, Scheme
from model.random_net import random_network
from sim.runner import SIM_BUILD, rtl, run_cocotb

IMAGES = 3
DONE_DELAY = 12  # cycles from a hidden layer's last issued word to its layer_done pulse


def expected_words(manifest: dict, lanes: int) -> list[dict]:
    """Every word of one image in issue order, from the manifest's ROM layout."""
    words = []
    layers = manifest["layers"]
    for l, lay in enumerate(layers):
        chunks, gwords = lay["chunks"], lay["group_words"]
        for j in range(lay["n_out"]):
            for c in range(chunks):
                words.append({
                    "layer": l,
                    "delta": lay["delta_base"] + j * chunks + c,
                    "ref": lay["ref_base"] + j * (chunks // gwords) + c // gwords,
                    "addr": c,
                    "input": l == 0,
                    "bank": (l - 1) % 2,
                    "first": c == 0,
                    "last": c == chunks - 1,
                    "group_start": c % gwords == 0,
                    "lanes": min(lanes, lay["n_in"] - c * lanes),
                    "in_signed": lay["in_signed"],
                    "shift": lay["delta_shift"],
                    "neuron": lay["neuron_base"] + j,
                    "req_shift": lay["req_shift"],
                    "out_signed": lay["out_signed"],
                    "last_layer": l == len(layers) - 1,
                    "neuron_first": j == 0,
                    "neuron_last": j == lay["n_out"] - 1,
                    "wr_bank": l % 2,
                })
    return words


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.manifest = json.loads((Path(os.environ["DELTAMAC_NET"]) / "manifest.json").read_text())
        self.lanes = self.manifest["lanes"]
        self.rng = random.Random(self.lanes)
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
        self.in_word = self.rng.getrandbits(8 * self.lanes)
        self.hid_word = self.rng.getrandbits(8 * self.lanes)
        dut.in_rd_data.value = self.in_word
        dut.hid_rd_data.value = self.hid_word
        dut.img_valid.value = 0
        dut.layer_done.value = 0
        dut.out_ready.value = 0
        self.issued: list[tuple[int, dict]] = []  # (cycle, issue-side fields)
        self.decoded: list[dict] = []
        self.releases: list[int] = []
        self.claims: list[int] = []
        self.cycle = 0

    async def reset(self):
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, 3)
        self.dut.rst.value = 0

    def acts(self, word: int, lanes: int, signed: bool) -> int:
        """The decoder-side activation vector: lanes < `lanes` extended to 9 bits, others 0."""
        value = 0
        for p in range(lanes):
            byte = (word >> (8 * p)) & 0xFF
            bit8 = (byte >> 7) & int(signed)
            value |= (byte | (bit8 << 8)) << (9 * p)
        return value

    async def monitor(self):
        dut = self.dut
        request = (0, 0, 0, 0)  # buffer read requested in the previous cycle for this one
        while True:
            await RisingEdge(dut.clk)
            self.cycle += 1
            if int(dut.rst.value):
                request = (0, 0, 0, 0)
                continue
            in_en, hid_en, addr, bank = request
            assert in_en + hid_en == int(dut.rom_rd_en.value), (
                "exactly one activation buffer read must be requested, a cycle ahead, per issued word")
            if int(dut.rom_rd_en.value):
                self.issued.append((self.cycle, {
                    "delta": int(dut.delta_rd_addr.value),
                    "ref": int(dut.ref_rd_addr.value),
                    "addr": addr,
                    "input": bool(in_en),
                    "bank": bank,
                }))
            in_en, hid_en = int(dut.in_rd_en_next.value), int(dut.hid_rd_en_next.value)
            addr = int(dut.in_rd_addr_next.value) if in_en else int(dut.hid_rd_addr_next.value)
            request = (in_en, hid_en, addr, int(dut.hid_rd_bank_next.value))
            if int(dut.img_release.value):
                self.releases.append(self.cycle)
            if int(dut.out_claim.value):
                assert int(dut.out_ready.value), "out_claim while the output stage is not ready"
                self.claims.append(self.cycle)
            if int(dut.dec_valid.value):
                self.decoded.append({
                    "first": bool(int(dut.dec_first.value)),
                    "last": bool(int(dut.dec_last.value)),
                    "group_start": bool(int(dut.dec_group_start.value)),
                    "shift": int(dut.dec_shift.value),
                    "neuron": int(dut.dec_neuron_addr.value),
                    "req_shift": int(dut.dec_req_shift.value),
                    "out_signed": bool(int(dut.dec_out_signed.value)),
                    "last_layer": bool(int(dut.dec_last_layer.value)),
                    "neuron_first": bool(int(dut.dec_neuron_first.value)),
                    "neuron_last": bool(int(dut.dec_neuron_last.value)),
                    "wr_bank": int(dut.dec_wr_bank.value),
                    "acts": int(dut.dec_acts.value),
                })

    async def environment(self, words: list[dict]):
        """Input stage (IMAGES images), hidden writer (layer_done) and output stage (out_ready)."""
        dut = self.dut
        per_image = len(words)
        layers = self.manifest["layers"]
        pending = IMAGES
        out_busy_until = 0
        while True:
            await FallingEdge(dut.clk)
            issued = len(self.issued)
            # input: an image is available while any remain and layer 0 of the current one runs
            dut.img_valid.value = int(pending > 0)
            if self.releases and self.releases[-1] == self.cycle:
                pending -= 1
                dut.img_valid.value = 0
            # hidden writer: layer_done some cycles after a hidden layer's last word was issued
            dut.layer_done.value = 0
            if issued and issued % per_image and self.issued[-1][0] + DONE_DELAY == self.cycle:
                layer = words[(issued - 1) % per_image]["layer"]
                if layer < len(layers) - 1 and words[issued % per_image]["layer"] == layer + 1:
                    dut.layer_done.value = 1
            # output stage: busy for a random time after each claim
            if self.claims and self.claims[-1] == self.cycle:
                out_busy_until = self.cycle + self.rng.randrange(1, 3 * per_image)
            dut.out_ready.value = int(self.cycle >= out_busy_until and self.rng.random() < 0.7)


@cocotb.test()
async def test_issue_sequence(dut):
    tb = TB(dut)
    words = expected_words(tb.manifest, tb.lanes)
    await tb.reset()
    cocotb.start_soon(tb.monitor())
    cocotb.start_soon(tb.environment(words))
    total = IMAGES * len(words)
    for _ in range(20 * total + 1000):
        await RisingEdge(dut.clk)
        if len(tb.decoded) >= total and not int(dut.busy.value):
            break
    await ClockCycles(dut.clk, 20)
    assert len(tb.issued) == total and len(tb.decoded) == total, (
        f"{len(tb.issued)} words issued, {len(tb.decoded)} decoded, {total} expected"
    )
    plain = tb.manifest["delta"]["scheme"] == "plain"
    for index, ((cycle, got), dec) in enumerate(zip(tb.issued, tb.decoded)):
        want = words[index % len(words)]
        for key, value in got.items():
            if (key == "bank" and want["input"]) or (key == "ref" and plain):
                continue  # no hidden bank for layer 0, no reference ROM for plain
            assert value == want[key], f"word {index} (cycle {cycle}): {key} = {value}, expected {want[key]}"
        for key, value in dec.items():
            if key == "acts":
                source = tb.in_word if want["input"] else tb.hid_word
                value_want = tb.acts(source, want["lanes"], want["in_signed"])
            else:
                value_want = want[key]
            assert value == value_want, f"word {index}: decoder-side {key} = {value}, expected {value_want}"
        if index % len(words):
            gap = cycle - tb.issued[index - 1][0]
            if want["layer"] == words[index % len(words) - 1]["layer"]:
                assert gap == 1, f"word {index}: gap of {gap} cycles inside layer {want['layer']}"
            else:
                assert gap > DONE_DELAY, f"word {index}: layer {want['layer']} started before layer_done"
    assert len(tb.releases) == IMAGES and len(tb.claims) == IMAGES
    layer0_last = [i for i, w in enumerate(words) if w["layer"] == 0][-1]
    for image, release in enumerate(tb.releases):
        assert release == tb.issued[image * len(words) + layer0_last][0], "release not with layer 0's last read"


NETS = {
    # 3 layers, P = 5 (padded last words), clamp then relu (signed inputs), delta shift
    "cons_50_13_7_3_p5": dict(topology=(50, 13, 7, 3), delta=DeltaFormat(Scheme.CONSECUTIVE, 8, 4, None),
                              activation=["clamp", "relu"], delta_shift=(1, 0, 2), lanes=5),
    # reference groups of 16 = 4 words at P = 4
    "fr_g16_64_16_10_p4": dict(topology=(64, 16, 10), delta=DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, 16),
                               activation="relu", delta_shift=0, lanes=4),
    # plain, one layer, P = 1
    "plain_12_4_p1": dict(topology=(12, 4), delta=DeltaFormat(Scheme.PLAIN, 6, 6, None),
                          activation="relu", delta_shift=0, lanes=1),
}


@pytest.mark.parametrize("name", list(NETS))
def test_deltamac_sequencer(name):
    spec = dict(NETS[name])
    lanes = spec.pop("lanes")
    net_dir = SIM_BUILD / "deltamac_sequencer" / "nets" / name
    export_network(random_network(seed=7, **spec), net_dir, lanes=lanes, name=name)
    run_cocotb(
        "deltamac_sequencer",
        [net_dir / "deltamac_net_pkg.sv", *rtl("deltamac_sequencer.sv")],
        test_file=__file__,
        parameters={"IN_AW": 4, "HID_AW": 4},
        extra_env={"DELTAMAC_NET": str(net_dir)},
        tag=name,
    )
