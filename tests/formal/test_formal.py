"""The formal proofs (scripts/formal.py, docs/formal.md): each passes on the RTL, and each property
fails, named by its file:line, on a deliberately broken copy of the RTL made in the test's tmp dir."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.formal import PROOFS, REPO, TEST_SUITE_PROOFS, main, run_proof


def property_line(proof: str, text: str) -> str:
    """`file:line` of the one assertion of `proof`'s wrapper that contains `text`."""
    wrapper = f"{PROOFS[proof].wrapper}.sv"
    lines = (REPO / "formal" / wrapper).read_text().splitlines()
    hits = [n for n, line in enumerate(lines, start=1) if "assert (" in line and text in line]
    assert len(hits) == 1, f"{text!r} names {len(hits)} assertions of {wrapper}"
    return f"{wrapper}:{hits[0]}"


def broken_copy(tmp_path: Path, rel: str, old: str, new: str) -> dict[str, Path]:
    """A copy of RTL file `rel` in tmp_path with `old` replaced by `new` (which must change it)."""
    text = (REPO / rel).read_text()
    assert text.count(old) == 1, f"{rel}: {old!r} occurs {text.count(old)} times (RTL changed?)"
    copy = tmp_path / Path(rel).name
    copy.write_text(text.replace(old, new))
    assert copy.read_text() != text
    return {rel: copy}


@pytest.mark.parametrize("name", TEST_SUITE_PROOFS)
def test_proof_passes(name: str, tmp_path: Path) -> None:
    result = run_proof(PROOFS[name], tmp_path)
    assert result.result == "pass", result.describe()


IN = "rtl/deltamac_input_stage.sv"
FRAMER = "rtl/deltamac_framer.sv"  # the framing rule deltamac_input_stage instantiates
OUT = "rtl/deltamac_output_stage.sv"
SEQ = "rtl/deltamac_sequencer.sv"

# (proof, RTL file, text, broken text, the assertions that must fail, by a piece of their text)
BROKEN = {
    "short_image_offered": ("input_stage", IN, ".wr_last     (complete),", ".wr_last     (store && s_axis_tlast),",
                            "!img_valid || pending_q"),
    "error_not_pulsed": ("input_stage", FRAMER, "error_d   = 1'b1;", "error_d   = s_axis_tlast;",
                         "frame_error == $past(wrong)"),
    "image_lost": ("input_stage", IN, "ready_d     = ready_d | done_sel;", "ready_d     = ready_d;",
                   "waiting_q <="),
    "tready_into_full_slot": ("input_stage", IN, "assign s_axis_tready = discard_q || (full_q & wr_sel) == 2'b00;",
                              "assign s_axis_tready = 1'b1;", "s_axis_tready == (pending_q"),
    "busy_while_discarding": ("input_stage", IN, "assign busy        = discard_q || !first_q",
                              "assign busy        = !first_q", "busy == ("),
    "reset_keeps_error": ("input_stage", FRAMER, "      error_q     <= 1'b0;\n", "      error_q     <= error_d;\n",
                          "!frame_error"),
    "swallowed_not_counted": ("input_stage", FRAMER, "swallow_d = cur_last;", "swallow_d = 1'b0;",
                              "swallowed == $past(swallowed)"),
    "input_ppb2_counts_pixels": ("input_stage_ppb2", IN, "localparam int BEATS     = IN_PIXELS / PPB;",
                                 "localparam int BEATS     = IN_PIXELS;", "frame_error == $past(wrong)"),
    "dropped_wraps": ("input_stage_counter", FRAMER, "dropped_d   = error_q && dropped_q != 16'hffff ?",
                      "dropped_d   = error_q && 1'b1 ?", "dropped >= $past(dropped)"),
    "dropped_counts_twice": ("input_stage_counter", FRAMER, "dropped_q + 16'd1", "dropped_q + 16'd2",
                             "dropped - $past(dropped)"),
    "swallowed_wraps": ("input_stage_counter", FRAMER, "swallow_q && swallowed_q != 16'hffff ?",
                        "swallow_q && 1'b1 ?", "swallowed >= $past(swallowed)"),
    "result_ignores_tready": ("output_stage_hold", OUT, "assign handshake = m_axis_tvalid && m_axis_tready;",
                              "assign handshake = m_axis_tvalid;",
                              ("assert (m_axis_tvalid);", "m_axis_tdata == $past", "m_axis_tlast == $past")),
    "images_counts_twice": ("output_stage_hold", OUT, "{1'b0, images_q} + 33'd1;", "{1'b0, images_q} + 33'd2;",
                            "images == $past(images)"),
    "images_wraps": ("output_stage_hold", OUT, "assign images        = images_full_q ? '1 : images_q;",
                     "assign images        = images_q;", "images == $past(images)"),
    "reset_keeps_tvalid": ("output_stage_hold", OUT, "      send_q    <= 1'b0;\n", "      send_q    <= send_d;\n",
                           "nothing offered"),
    "result_without_logits": ("output_stage", OUT, "assign transfer  = done_q && !send_q;",
                              "assign transfer  = !send_q;", "results_q != 2'd0"),
    "tlast_early": ("output_stage", OUT, "assign last_beat = beat_q == BEAT_W'(BEATS - 1);",
                    "assign last_beat = beat_q == BEAT_W'(BEATS - 2);", "m_axis_tlast == (beat_q"),
    "tie_to_later_class": ("output_stage", OUT, "greater = c[2] || (c[1] && c[0]);", "greater = c[2] || c[1];",
                           "queue_class_q[head_q])"),
    "logits_zero_extended": ("output_stage", OUT, "32'($signed(send_logits_q[ACC_BITS-1:0]))",
                             "32'(send_logits_q[ACC_BITS-1:0])", "$signed(head_logit)"),
    "ready_at_two_pending": ("output_stage", OUT, "ready_q   <= pending_d != 2'd2;", "ready_q   <= 1'b1;",
                             "ready == (claimed_q"),
    "busy_only_sending": ("output_stage", OUT, "assign busy          = pending_q != 2'd0;",
                          "assign busy          = send_q;", "busy == (claimed_q"),
    "claim_without_ready": ("sequencer", SEQ, "(!cur_is_last || out_ready)", "(!cur_is_last || 1'b1)",
                            "!out_claim || out_ready"),
    "start_without_image": ("sequencer", SEQ, "(!layer_first_q || img_valid)", "(!layer_first_q || 1'b1)",
                            "!out_claim || img_valid"),
    "release_while_idle": ("sequencer", SEQ, "assign img_release   = img_release_q;",
                           "assign img_release   = img_release_q || !busy;", "!img_release || img_valid"),
    "release_twice": ("sequencer", SEQ, "img_release_q <= issue_next && layer_first_q && last_chunk_d && last_neuron_d;",
                      "img_release_q <= issue_next && layer_first_q && last_chunk_d;", "open_q != 2'd2"),
    "reset_keeps_issuing": ("sequencer", SEQ, "      img_release_q <= 1'b0;\n",
                            "      img_release_q <= issue_next && layer_first_q && last_chunk_d && last_neuron_d;\n",
                            "assert (!img_release);"),
    "top_error_not_pulsed": ("top", FRAMER, "error_d   = 1'b1;", "error_d   = s_axis_tlast;",
                             "status_frame_error == $past(wrong)"),
    "top_reset_keeps_tvalid": ("top", OUT, "      send_q    <= 1'b0;\n", "      send_q    <= send_d;\n",
                               "assert (!m_axis_tvalid);"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_copy_fails(case: str, tmp_path: Path) -> None:
    proof, rel, old, new, props = BROKEN[case]
    replace = broken_copy(tmp_path, rel, old, new)
    result = run_proof(PROOFS[proof], tmp_path / "work", replace)
    assert result.result == "fail", f"{case}: the broken copy passed {proof}"
    for prop in (props,) if isinstance(props, str) else props:
        assert property_line(proof, prop) in result.failures, f"{case} ({prop}): {result.describe()}"
    assert result.step is not None


def test_missing_solver_fails_loudly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("yosys", "yosys-smtbmc"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    monkeypatch.setenv("PATH", str(bin_dir))
    with pytest.raises(RuntimeError, match=r"'z3' is not on PATH; install it with: apt-get install z3"):
        run_proof(PROOFS["output_stage_hold"], tmp_path / "work")


def test_cli_report(tmp_path: Path) -> None:
    assert main(["--proof", "input_stage_counter", "--keep", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "formal_report.json").read_text())
    entry = report["input_stage_counter"]
    assert (entry["kind"], entry["depth"], entry["result"]) == ("induction", 2, "pass")
    assert entry["seconds"] > 0
    assert (tmp_path / "input_stage_counter" / "induction.log").is_file()


FIRST_RESULT_BENCH = """`timescale 1ns/1ps
module tb;
  logic clk = 0, rst = 1; always #5 clk = ~clk;
  logic [7:0] td; logic tv = 0, tl = 0, tr, mv, ml, busy, fe; logic [31:0] md, im, cy; logic [15:0] dr, sw;
  deltamac_top #(.DELTA_ROM_FILE("{net}/delta.mem"), .REF_ROM_FILE("{net}/ref.mem"), .BIAS_ROM_FILE("{net}/bias.mem"),
                 .MULT_ROM_FILE("{net}/mult.mem")) dut (
    .clk(clk), .rst(rst), .s_axis_tdata(td), .s_axis_tvalid(tv), .s_axis_tready(tr), .s_axis_tlast(tl),
    .s_axis_tuser(1'b0), .m_axis_tdata(md), .m_axis_tvalid(mv), .m_axis_tready(1'b1), .m_axis_tlast(ml),
    .status_busy(busy), .status_frame_error(fe), .status_dropped(dr), .status_swallowed(sw), .status_images(im),
    .status_cycles(cy));
  integer step = 0, i;
  initial begin
    @(posedge clk); rst <= 0;  // the proofs' first cycle is the reset
    for (i = 0; i < {pixels}; i++) begin tv <= 1; td <= i; tl <= (i == {pixels} - 1); @(posedge clk); end
    tv <= 0; tl <= 0;
  end
  always @(posedge clk) begin
    step <= step + 1;
    if (mv) begin $display("FIRST_RESULT %0d", step); $finish; end
    if (step > 1000) begin $display("NO_RESULT"); $finish; end
  end
endmodule
"""


def test_top_deep_proof_is_deep_enough_to_see_a_result(tmp_path: Path) -> None:
    """top_deep (make formal only) must reach the first result, or its result-side assertions are vacuous."""
    from scripts.corefile import resolve_target
    from scripts.formal import TOP_NET_ARGS

    net = tmp_path / "net"
    subprocess.run([sys.executable, "-m", "model", "export-random", "--out", str(net), *TOP_NET_ARGS],
                   cwd=REPO, check=True, capture_output=True)
    pixels = json.loads((net / "manifest.json").read_text())["topology"][0]
    bench = tmp_path / "tb.sv"
    bench.write_text(FIRST_RESULT_BENCH.replace("{net}", str(net)).replace("{pixels}", str(pixels)))
    sources = [str(p) for p in resolve_target("default", net).sources]
    subprocess.run(["iverilog", "-g2012", "-s", "tb", "-o", str(tmp_path / "tb.vvp"), *sources, str(bench)],
                   check=True, capture_output=True)
    out = subprocess.run(["vvp", "-n", str(tmp_path / "tb.vvp")], check=True, capture_output=True, text=True).stdout
    first = int(out.split("FIRST_RESULT")[1].split()[0])
    assert first < PROOFS["top_deep"].depth, f"first result at step {first}: deepen top_deep ({PROOFS['top_deep'].depth})"
    assert first >= PROOFS["top"].depth  # why top_deep exists: the quick top proof ends before any result
