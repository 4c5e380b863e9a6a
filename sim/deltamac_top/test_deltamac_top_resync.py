"""cocotb testbench for deltamac_top: what an image without TLAST costs, with and without resync.

One small exported network (64-10, P = 3, from test_deltamac_top's configurations) is built with
SOI_TUSER / RESYNC_IDLE_CYCLES off (today's rule), with the TUSER start-of-image bit and with the
idle-gap timeout. The stream is the same for all three: a good image, an image without TLAST, an
idle gap of RESYNC_IDLE_CYCLES cycles, two good images (TUSER on every first pixel). Which images
produce a result, how many are dropped and how many swallowed come from the documented rule
(`reference`, shared with the input-stage bench); the results are compared with the golden
model, `status_dropped` and the `status_frame_error` pulses with the drops, `status_swallowed`
with the swallowed images. Without resync the image after the one without TLAST is swallowed
(two lost: one dropped, one swallowed); with either resync only the broken one is lost (dropped).
"""

from __future__ import annotations

import cocotb
import numpy as np
import pytest
from cocotb.triggers import ClockCycles, RisingEdge

import test_deltamac_top as top
from sim.deltamac_input_stage.test_deltamac_input_stage import drive, frame_events, reference
from sim.runner import expect_elaboration_failure, run_cocotb

NET = "fr_64_10_p3"
GAP = 16  # idle cycles after the image without TLAST (= RESYNC_IDLE_CYCLES of the idle build)


@cocotb.test()
async def test_overlong_then_good(dut):
    tb = top.TB(dut)
    await tb.reset()
    images = tb.images(4)
    soi_tuser, resync_idle = int(dut.SOI_TUSER.value), int(dut.RESYNC_IDLE_CYCLES.value)
    events = [
        *frame_events(bytes(images[0].tobytes())),
        *frame_events(bytes(images[1].tobytes()), last=False),  # no TLAST on its last pixel
        ("idle", GAP),
        *frame_events(bytes(images[2].tobytes())),
        *frame_events(bytes(images[3].tobytes())),
    ]
    accepted, dropped, swallowed = reference(events, tb.in_pixels, soi_tuser, resync_idle)
    kept = [i for i in range(len(images)) if bytes(images[i].tobytes()) in accepted]
    assert [bytes(images[i].tobytes()) for i in kept] == accepted
    # the rule as documented (README, ARCHITECTURE.md section 5)
    assert (dropped, swallowed) == ((1, 0) if soi_tuser or resync_idle else (1, 1))
    dut._log.info("SOI_TUSER %d RESYNC_IDLE_CYCLES %d: results for images %s, %d dropped, %d swallowed",
                  soi_tuser, resync_idle, kept, dropped, swallowed)
    cocotb.start_soon(drive(tb, events))
    await tb.check_results(images[kept])
    for _ in range(20 * top.ideal_cycles(tb.manifest)):
        await RisingEdge(dut.clk)
        if not int(dut.status_busy.value):
            break
    await ClockCycles(dut.clk, 20)
    assert tb.sink.empty(), f"unexpected extra result: {tb.sink.recv_nowait()}"
    assert not int(dut.status_busy.value), "status_busy stuck high"
    assert int(dut.status_images.value) == len(kept)
    assert int(dut.status_dropped.value) == dropped, f"status_dropped {int(dut.status_dropped.value)}, {dropped} expected"
    assert int(dut.status_swallowed.value) == swallowed, (
        f"status_swallowed {int(dut.status_swallowed.value)}, {swallowed} expected"
    )
    assert tb.frame_errors == dropped
    assert len(kept) + dropped + swallowed == len(images), "every image gives a result or counts as lost"


@pytest.mark.parametrize("soi_tuser,resync_idle", [(0, 0), (1, 0), (0, GAP)])
def test_deltamac_top_resync(soi_tuser, resync_idle):
    net_dir = top.export_config(NET, top.NETS_DIR / NET)
    run_cocotb(
        "deltamac_top",
        top.sources(net_dir),
        test_file=__file__,
        parameters={
            **top.parameters(top.CONFIGS[NET].out_logits, net_dir),
            "SOI_TUSER": soi_tuser,
            "RESYNC_IDLE_CYCLES": resync_idle,
        },
        extra_env={"DELTAMAC_NET": str(net_dir), "DELTAMAC_CONFIG": NET},
        tag=f"{NET}_resync",
    )


@pytest.mark.parametrize(
    "parameter,value,message",
    [("SOI_TUSER", 3, "SOI_TUSER must be 0 (TUSER ignored) or 1"),
     ("RESYNC_IDLE_CYCLES", 65536, "RESYNC_IDLE_CYCLES must be 0 (off) or 1..65535, got 65536")],
)
def test_illegal_resync_parameters(parameter, value, message, tmp_path):
    net_dir = top.export_config(NET, tmp_path / "net")
    parameters = {**top.parameters(top.CONFIGS[NET].out_logits, net_dir), parameter: value}
    expect_elaboration_failure("deltamac_top", top.sources(net_dir), parameters, [message], tmp_path)
