// deltamac_axis_check: simulation-only checker of one AXI4-Stream interface (no logic in synthesis).
//
// Checks, on every clock edge once a reset has been seen and is over:
//   * TVALID and TREADY are 0 or 1 (no X or Z);
//   * a beat offered and not taken (TVALID high, TREADY low) is offered again in the next cycle
//     unchanged: TVALID stays high, TDATA and TLAST keep their values (AXI4-Stream, ARM IHI 0051
//     section 2.2.1). TDATA should carry every master-driven payload signal (e.g. {TUSER, TDATA}).
// A broken rule stops the simulation with $fatal naming NAME, the rule and the time. Instantiated
// under `ifndef SYNTHESIS` on the core's result master (deltamac_output_stage) and on its pixel
// slave (deltamac_input_stage, where it checks the upstream source).

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_axis_check #(
    // width of the checked payload (TDATA and any other master-driven signals)
    parameter int DATA_W = 8,
    // interface name in the messages (e.g. "deltamac_output_stage m_axis")
    parameter     NAME   = "axis"
) (
    // clock
    input wire logic              clk,
    // synchronous active-high reset (the rules apply after the first reset)
    input wire logic              rst,
    // TVALID
    input wire logic              tvalid,
    // TREADY
    input wire logic              tready,
    // TDATA and the other payload signals held with it
    input wire logic [DATA_W-1:0] tdata,
    // TLAST
    input wire logic              tlast
);

  if (DATA_W < 1) begin : gen_check_params
    initial $fatal(1, "deltamac_axis_check %0s: DATA_W must be >= 1, got %0d", NAME, DATA_W);
  end

`ifndef SYNTHESIS
  logic              reset_seen_q = 1'b0;  // a reset has been applied (before it outputs may be X)
  logic              stall_q;               // a beat was offered and not taken in the previous cycle
  logic [DATA_W-1:0] tdata_q;
  logic              tlast_q;

  always_ff @(posedge clk) begin
    reset_seen_q <= reset_seen_q || rst === 1'b1;
    stall_q      <= !rst && tvalid === 1'b1 && tready === 1'b0;
    tdata_q      <= tdata;
    tlast_q      <= tlast;
  end

  always @(posedge clk) begin
    if (rst === 1'b0 && reset_seen_q) begin
      if ($isunknown(tvalid) || $isunknown(tready)) begin
        $fatal(1, "%0s: TVALID (%b) or TREADY (%b) is not 0/1 at %0t", NAME, tvalid, tready, $time);
      end
      if (stall_q && tvalid !== 1'b1) begin
        $fatal(1, "%0s: TVALID fell while the beat waited for TREADY at %0t", NAME, $time);
      end
      if (stall_q && (tdata !== tdata_q || tlast !== tlast_q)) begin
        $fatal(1, "%0s: TDATA/TLAST changed while the beat waited for TREADY at %0t (TDATA %h -> %h, TLAST %b -> %b)",
               NAME, $time, tdata_q, tdata, tlast_q, tlast);
      end
    end
  end
`endif

endmodule

`resetall
