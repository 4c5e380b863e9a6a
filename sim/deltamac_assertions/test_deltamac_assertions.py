"""The RTL's run-time checks (`ifndef SYNTHESIS) fire: each one on a forbidden input or a broken copy.

Every check in rtl/ that is not an elaboration-time parameter check gets a case here: a small
SystemVerilog stimulus drives the module (the real file from rtl/, or a copy with one line broken,
written into the test's tmp directory) into the situation the check forbids, and prints the
time of the clock edge at which the rule is broken (`EXPECT_FATAL_AT t`). The simulation must
stop with a non-zero exit, the check's message and that time; without the fault it would run to
`NO_FATAL`. The checks are immediate `if (...) $fatal` in clocked processes, the form Icarus 11
and Verilator 5.006 both run without options (no `--assert`); one case is also built with
Verilator, with the harness's X options. The benches of the modules show the checks stay quiet
on legal traffic.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sim.runner import RTL_DIR, REPO, require_tool, rtl

PRELUDE = """
  logic clk = 1'b0, rst = 1'b1;
  always #5 clk = !clk;  // rising edges at 5, 15, 25, ...; stimulus changes at falling edges
  task automatic tick;
    @(negedge clk);
  endtask
  // Called at a falling edge: the rule is broken at the rising edge `edges` cycles after the next.
  task automatic expect_at(input int edges);
    $display("EXPECT_FATAL_AT %0t", $time + 5 + 10 * edges);
  endtask
"""


def bench(ports: str, instance: str, body: str, extra: str = "") -> str:
    return f"""
module tb;
{PRELUDE}
{ports}
{instance}
{extra}
  initial begin
    tick;
    tick;
    rst = 1'b0;
    tick;
{body}
    repeat (40) tick;
    $display("NO_FATAL");
    $finish;
  end
endmodule
"""


OUTPUT_PORTS = """
  logic claim = 1'b0, in_valid = 1'b0, in_first = 1'b0, in_last = 1'b0, m_axis_tready = 1'b0;
  logic [11:0] in_logit = '0;
  logic ready, busy, m_axis_tvalid, m_axis_tlast;
  logic [31:0] m_axis_tdata, images;
  bit shown = 1'b0;
  // one result: NUM_CLASSES = 3 logits 0, 7, 14 (distinct beats)
  task automatic result;
    for (int c = 0; c < 3; c++) begin
      in_valid = 1'b1;
      in_first = c == 0;
      in_last  = c == 2;
      in_logit = 12'(7 * c);
      tick;
    end
    in_valid = 1'b0;
    in_first = 1'b0;
    in_last  = 1'b0;
  endtask
"""


def output_instance(out_logits: int) -> str:
    return f"""
  deltamac_output_stage #(.NUM_CLASSES(3), .ACC_BITS(12), .OUT_LOGITS({out_logits})) dut (
      .clk(clk), .rst(rst), .claim(claim), .ready(ready), .busy(busy), .in_valid(in_valid),
      .in_logit(in_logit), .in_first(in_first), .in_last(in_last), .m_axis_tdata(m_axis_tdata),
      .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready), .m_axis_tlast(m_axis_tlast),
      .images(images));
"""


# The first rising edge with a beat offered and not taken; a master that breaks the rule does it
# at the next one.
STALL_MONITOR = """
  always @(posedge clk) begin
    if (!rst && m_axis_tvalid === 1'b1 && m_axis_tready === 1'b0 && !shown) begin
      shown = 1'b1;
      $display("EXPECT_FATAL_AT %0t", $time + 10);
    end
  end
"""

INPUT_PORTS = """
  logic s_axis_tvalid = 1'b0, s_axis_tlast = 1'b0, s_axis_tuser = 1'b0, img_release = 1'b0;
  logic rd_en_next = 1'b0;
  logic [7:0] s_axis_tdata = '0;
  logic [1:0] rd_addr_next = '0;
  logic s_axis_tready, img_valid, busy, frame_error;
  logic [15:0] rd_data, dropped, swallowed;
  // `beats` pixels of one frame, TLAST on the last when `last`
  task automatic frame(input int beats, input bit last);
    for (int b = 0; b < beats; b++) begin
      s_axis_tvalid = 1'b1;
      s_axis_tdata  = 8'(b + 1);
      s_axis_tlast  = last && b == beats - 1;
      tick;
    end
    s_axis_tvalid = 1'b0;
    s_axis_tlast  = 1'b0;
  endtask
"""

INPUT_INSTANCE = """
  deltamac_input_stage #(.LANES(2), .IN_PIXELS(4)) dut (
      .clk(clk), .rst(rst), .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid),
      .s_axis_tready(s_axis_tready), .s_axis_tlast(s_axis_tlast), .s_axis_tuser(s_axis_tuser),
      .img_valid(img_valid), .img_release(img_release), .rd_en_next(rd_en_next),
      .rd_addr_next(rd_addr_next), .rd_data(rd_data), .busy(busy), .frame_error(frame_error),
      .dropped(dropped), .swallowed(swallowed));
"""

# Both slots full (no release), then a third image's first beat waits for TREADY for two cycles.
INPUT_STALLED = """
    frame(4, 1'b1);
    frame(4, 1'b1);
    tick;
    s_axis_tvalid = 1'b1;
    s_axis_tdata  = 8'h55;
    tick;
    tick;
"""


def buffer_ports(depth: int) -> str:
    aw = max(1, (depth - 1).bit_length())
    return f"""
  logic wr_valid = 1'b0, wr_first = 1'b0, wr_last = 1'b0, wr_bank = 1'b0, rd_en_next = 1'b0, rd_bank_next = 1'b0;
  logic [7:0] wr_data = '0;
  logic [{aw - 1}:0] rd_addr_next = '0;
  logic wr_done;
  logic [15:0] rd_data;
  deltamac_act_buffer #(.LANES(2), .ACT_BITS(8), .DEPTH({depth}), .DISTRIBUTED(0)) dut (
      .clk(clk), .rst(rst), .wr_valid(wr_valid), .wr_first(wr_first), .wr_last(wr_last), .wr_bank(wr_bank),
      .wr_data(wr_data), .wr_done(wr_done), .rd_en_next(rd_en_next), .rd_bank_next(rd_bank_next),
      .rd_addr_next(rd_addr_next), .rd_data(rd_data));
"""


MAC_PORTS = """
  logic in_valid = 1'b0, in_first = 1'b0, in_last = 1'b0;
  logic [7:0] in_weights = 8'h12;
  logic [9:0] in_acts = 10'h21;
  logic [0:0] in_user = 1'b0;
  logic out_valid;
  logic [15:0] out_acc;
  logic [0:0] out_user;
  deltamac_mac_array #(.LANES(2), .WEIGHT_BITS(4), .ACT_BITS(5), .ACC_BITS(16), .USER_WIDTH(1)) dut (
      .clk(clk), .rst(rst), .in_valid(in_valid), .in_weights(in_weights), .in_acts(in_acts),
      .in_first(in_first), .in_last(in_last), .in_user(in_user), .out_valid(out_valid), .out_acc(out_acc),
      .out_user(out_user));
"""

SEQUENCER_PORTS = """
  logic img_valid = 1'b0, layer_done = 1'b0, out_ready = 1'b1;
  logic [deltamac_net_pkg::LANES*8-1:0] in_rd_data = '0, hid_rd_data = '0;
  deltamac_sequencer #(.IN_AW(4), .HID_AW(4)) dut (
      .clk(clk), .rst(rst), .img_valid(img_valid), .layer_done(layer_done), .out_ready(out_ready),
      .in_rd_data(in_rd_data), .hid_rd_data(hid_rd_data));
"""


@dataclass(frozen=True)
class Case:
    files: tuple[str, ...]  # RTL files, dependency order
    testbench: str
    message: str  # what the $fatal message must contain (besides the time)
    broken: tuple[str, str, str] | None = None  # (file, line(s) replaced, replacement) in a tmp copy
    package: bool = False  # needs a generated deltamac_net_pkg
    tags: tuple[str, ...] = field(default=())


OUT = ("deltamac_axis_check.sv", "deltamac_output_stage.sv")
IN = ("deltamac_axis_check.sv", "deltamac_delay.sv", "deltamac_act_buffer.sv", "deltamac_framer.sv", "deltamac_input_stage.sv")

CASES = {
    # --- deltamac_axis_check on the core's result master (broken copies of the output stage)
    "m_axis_tvalid_fell": Case(
        OUT, bench(OUTPUT_PORTS, output_instance(0), "    claim = 1'b1;\n    tick;\n    claim = 1'b0;\n    result;", STALL_MONITOR),
        "deltamac_output_stage m_axis: TVALID fell while the beat waited for TREADY",
        broken=("deltamac_output_stage.sv", "    if (handshake) begin\n      beat_d = beat_q + BEAT_W'(1);",
                "    if (m_axis_tvalid) begin  // broken: a beat counts without TREADY\n      beat_d = beat_q + BEAT_W'(1);"),
    ),
    "m_axis_tdata_changed": Case(
        OUT, bench(OUTPUT_PORTS, output_instance(1), "    claim = 1'b1;\n    tick;\n    claim = 1'b0;\n    result;", STALL_MONITOR),
        "deltamac_output_stage m_axis: TDATA/TLAST changed while the beat waited for TREADY",
        broken=("deltamac_output_stage.sv", "      end else if (handshake) begin\n        send_logits_q <=",
                "      end else if (m_axis_tvalid) begin  // broken: shifts without TREADY\n        send_logits_q <="),
    ),
    # --- deltamac_axis_check on the pixel slave: a source that breaks the rules, X on TVALID
    "s_axis_tvalid_fell": Case(
        IN, bench(INPUT_PORTS, INPUT_INSTANCE, INPUT_STALLED + "    expect_at(0);\n    s_axis_tvalid = 1'b0;"),
        "deltamac_input_stage s_axis: TVALID fell while the beat waited for TREADY", tags=("verilator",),
    ),
    "s_axis_tdata_changed": Case(
        IN, bench(INPUT_PORTS, INPUT_INSTANCE, INPUT_STALLED + "    expect_at(0);\n    s_axis_tdata = 8'h56;"),
        "deltamac_input_stage s_axis: TDATA/TLAST changed while the beat waited for TREADY",
    ),
    "s_axis_tvalid_x": Case(
        IN, bench(INPUT_PORTS, INPUT_INSTANCE, "    expect_at(0);\n    s_axis_tvalid = 1'bx;"),
        "deltamac_input_stage s_axis: TVALID (x) or TREADY",
    ),
    # --- deltamac_input_stage
    "release_without_image": Case(
        IN, bench(INPUT_PORTS, INPUT_INSTANCE, "    expect_at(0);\n    img_release = 1'b1;\n    tick;\n    img_release = 1'b0;"),
        "deltamac_input_stage: img_release without an image offered",
    ),
    "discard_with_full_slot": Case(
        IN, bench(INPUT_PORTS, INPUT_INSTANCE, "    frame(3, 1'b0);\n    expect_at(1);\n    frame(3, 1'b1);"),
        "deltamac_input_stage: discarding while the write slot is full",
        broken=("deltamac_input_stage.sv", "    if (store && complete) begin\n",
                "    if (store && !complete && unused_end_possible) begin  // broken: the beat dropping an image fills the slot\n"
                "      full_d = full_d | wr_sel;\n    end\n    if (store && complete) begin\n"),
    ),
    # --- deltamac_act_buffer (DEPTH 4: a power of two, the address alone would wrap unnoticed)
    "buffer_write_past_depth": Case(
        ("deltamac_delay.sv", "deltamac_act_buffer.sv"),
        bench(buffer_ports(4), "", """
    for (int i = 0; i < 9; i++) begin
      wr_valid = 1'b1;
      wr_first = i == 0;
      wr_last  = i == 8;
      wr_data  = 8'(i);
      if (i == 8) expect_at(1);
      tick;
    end
    wr_valid = 1'b0;"""),
        "deltamac_act_buffer: write of word 4, a bank has DEPTH = 4 words (vector too long)",
    ),
    "buffer_read_past_depth": Case(
        ("deltamac_delay.sv", "deltamac_act_buffer.sv"),
        bench(buffer_ports(3), "", "    expect_at(0);\n    rd_en_next = 1'b1;\n    rd_addr_next = 2'd3;\n    tick;\n    rd_en_next = 1'b0;"),
        "deltamac_act_buffer: read of word 3, a bank has DEPTH = 3 words",
    ),
    # --- deltamac_output_stage contract with the sequencer and requant
    "claim_not_ready": Case(
        OUT, bench(OUTPUT_PORTS, output_instance(0), "    claim = 1'b1;\n    tick;\n    tick;\n    expect_at(0);\n    tick;\n    claim = 1'b0;"),
        "deltamac_output_stage: claim while not ready (two results pending)",
    ),
    "logit_unclaimed": Case(
        OUT, bench(OUTPUT_PORTS, output_instance(0), "    expect_at(1);\n    result;"),
        "deltamac_output_stage: a logit with no result claimed",
    ),
    "logit_first_twice": Case(
        OUT, bench(OUTPUT_PORTS, output_instance(0), """
    claim = 1'b1;
    tick;
    claim = 1'b0;
    in_valid = 1'b1;
    in_first = 1'b1;
    tick;
    expect_at(1);
    tick;
    in_valid = 1'b0;"""),
        "deltamac_output_stage: logit with in_first = 1 before the previous result's in_last",
    ),
    "logit_last_early": Case(
        OUT, bench(OUTPUT_PORTS, output_instance(0), """
    claim = 1'b1;
    tick;
    claim = 1'b0;
    in_valid = 1'b1;
    in_first = 1'b1;
    tick;
    in_first = 1'b0;
    in_last = 1'b1;
    expect_at(1);
    tick;
    in_valid = 1'b0;
    in_last = 1'b0;"""),
        "deltamac_output_stage: in_last = 1 on logit 1, a result has NUM_CLASSES = 3 logits",
    ),
    "collect_slot_busy": Case(
        OUT, bench(OUTPUT_PORTS, output_instance(0), """
    claim = 1'b1;
    tick;
    claim = 1'b0;
    result;
    claim = 1'b1;
    tick;
    claim = 1'b0;
    result;
    claim = 1'b1;
    tick;
    claim = 1'b0;
    expect_at(1);
    result;"""),
        "deltamac_output_stage: a result's first logit while the collect slot still holds the previous result",
        broken=("deltamac_output_stage.sv", "  assign ready         = ready_q;", "  assign ready         = 1'b1;  // broken"),
    ),
    # --- deltamac_mac_array: one result per neuron
    "mac_first_twice": Case(
        ("deltamac_adder_tree.sv", "deltamac_mac_array.sv"),
        bench(MAC_PORTS, "", "    in_valid = 1'b1;\n    in_first = 1'b1;\n    tick;\n    expect_at(0);\n    tick;\n    in_valid = 1'b0;"),
        "deltamac_mac_array: word with in_first = 1 before the previous neuron's in_last",
    ),
    "mac_outside_neuron": Case(
        ("deltamac_adder_tree.sv", "deltamac_mac_array.sv"),
        bench(MAC_PORTS, "", "    expect_at(0);\n    in_valid = 1'b1;\n    tick;\n    in_valid = 1'b0;"),
        "deltamac_mac_array: word with in_first = 0 outside a neuron",
    ),
    # --- deltamac_sequencer: the layer barrier
    "layer_done_not_waiting": Case(
        ("deltamac_sequencer.sv",),
        bench(SEQUENCER_PORTS, "", "    expect_at(0);\n    layer_done = 1'b1;\n    tick;\n    layer_done = 1'b0;"),
        "deltamac_sequencer: layer_done in state 0 (0 READY, 1 RUN), not at the barrier (WAIT)",
        package=True,
    ),
}


def sources(case: Case, work: Path) -> list[Path]:
    """The case's RTL (one file replaced by its broken copy), the package first if it needs one."""
    files = list(rtl(*case.files))
    if case.broken:
        name, old, new = case.broken
        text = (RTL_DIR / name).read_text()
        assert text.count(old) == 1, f"{name}: the line to break is not there once: {old!r}"
        copy = work / name
        copy.write_text(text.replace(old, new))
        files = [copy if path.name == name else path for path in files]
    if case.package:
        net = work / "net"
        subprocess.run(
            [str(REPO / ".venv/bin/python"), "-m", "model", "export-random", "--out", str(net), "--topology", "12-6-3",
             "--lanes", "4", "--scheme", "fixed_reference", "--weight-bits", "8", "--delta-bits", "4", "--group", "row",
             "--calibration", "random", "--seed", "1"],
            cwd=REPO, check=True, capture_output=True, text=True,
        )
        files = [net / "deltamac_net_pkg.sv", *files]
    testbench = work / "tb.sv"
    testbench.write_text(case.testbench)
    return [*files, testbench]


def check_log(name: str, case: Case, returncode: int, log: str) -> None:
    expected = re.findall(r"EXPECT_FATAL_AT (\d+)", log)
    assert expected, f"{name}: the stimulus never reached the fault:\n{log}"
    assert "NO_FATAL" not in log and returncode != 0, f"{name}: the simulation ran on:\n{log}"
    assert case.message in log, f"{name}: expected {case.message!r} in:\n{log}"
    assert f"at {expected[0]}" in log, f"{name}: the check did not fire at the edge {expected[0]}:\n{log}"


@pytest.mark.parametrize("name", list(CASES))
def test_check_fires_icarus(name, tmp_path):
    case = CASES[name]
    iverilog, vvp = require_tool("iverilog"), require_tool("vvp")
    binary = tmp_path / "tb.vvp"
    build = subprocess.run([iverilog, "-g2012", "-s", "tb", "-o", str(binary), *map(str, sources(case, tmp_path))],
                           capture_output=True, text=True, check=False)
    assert build.returncode == 0, build.stdout + build.stderr
    run = subprocess.run([vvp, "-n", str(binary)], capture_output=True, text=True, check=False, timeout=60)
    check_log(name, case, run.returncode, run.stdout + run.stderr)


@pytest.mark.parametrize("name", [name for name, case in CASES.items() if "verilator" in case.tags])
def test_check_fires_verilator(name, tmp_path):
    """The same checks in Verilator, built with the harness's X options and without --assert."""
    case = CASES[name]
    verilator = require_tool("verilator")
    build = subprocess.run(
        [verilator, "--binary", "-Wno-fatal", "--x-assign", "fast", "--x-initial", "fast", "--top-module", "tb",
         "-Mdir", str(tmp_path / "obj"), "-o", "tb", *map(str, sources(case, tmp_path))],
        capture_output=True, text=True, check=False,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    run = subprocess.run([str(tmp_path / "obj" / "tb")], capture_output=True, text=True, check=False, timeout=60)
    check_log(name, case, run.returncode, run.stdout + run.stderr)


def test_harness_build_keeps_checks():
    """The harness build defines nothing that removes the `ifndef SYNTHESIS checks."""
    from sim.harness.build import MAKE_FLAGS, VERILATOR_FLAGS, Variant

    flags = [*VERILATOR_FLAGS, *Variant().flags(), *Variant(0, True).flags(), MAKE_FLAGS]
    assert not [flag for flag in flags if "SYNTHESIS" in flag], flags
