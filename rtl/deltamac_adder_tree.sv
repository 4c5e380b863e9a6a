// deltamac_adder_tree: the pipelined sum of INPUTS signed values, one adder level per register stage.
//
// The inputs are registered (level 0), then level lv holds ceil(INPUTS / 2**lv) nodes of IN_BITS + lv
// bits (exact), capped at OUT_BITS (a caller whose sum wraps at OUT_BITS anyway, like an
// accumulator, needs no more); node n adds nodes 2n and 2n+1 of the level below or passes 2n on.
// 1 + LEVELS = 1 + ceil(log2(INPUTS)) cycles from in_values to out_sum; no valid: every cycle's
// values are summed, the caller delays its own control by as much. The level-0 registers have one load
// each, so a multiplier in front can take them as its output register (DSP48E1 P, MULT18X18D).

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_adder_tree #(
  parameter int INPUTS   = 16, // values summed, 1..1024
  parameter int IN_BITS  = 17, // signed width of each value, >= 1
  parameter int OUT_BITS = 32, // signed width of the sum (values above it wrap), >= IN_BITS
  localparam int LEVELS  = (INPUTS > 1) ? $clog2(INPUTS) : 0 // adder levels (derived); latency 1 + LEVELS
) (
  input  wire logic                        clk,       // clock
  input  wire logic [INPUTS*IN_BITS-1:0]   in_values, // value i at [i*IN_BITS +: IN_BITS], signed
  output logic signed [OUT_BITS-1:0]       out_sum    // sum of the values 1 + LEVELS cycles earlier
);

  if (INPUTS < 1 || INPUTS > 1024 || IN_BITS < 1 || OUT_BITS < IN_BITS) begin : gen_check_params
    initial $fatal(1, "deltamac_adder_tree: INPUTS (%0d) must be in 1..1024, IN_BITS (%0d) >= 1 and OUT_BITS (%0d) >= IN_BITS",
                   INPUTS, IN_BITS, OUT_BITS);
  end

  for (genvar lv = 0; lv <= LEVELS; lv++) begin : gen_level
    localparam int NODES = (INPUTS + (1 << lv) - 1) >> lv;
    localparam int BITS = (IN_BITS + lv < OUT_BITS) ? IN_BITS + lv : OUT_BITS;
    logic [NODES*BITS-1:0] node_d;  // node n at [n*BITS +: BITS]
    logic [NODES*BITS-1:0] node_q;

    if (lv == 0) begin : gen_inputs
      assign node_d = in_values;
    end else begin : gen_adders
      localparam int PREV_NODES = (INPUTS + (1 << (lv - 1)) - 1) >> (lv - 1);
      localparam int PREV_BITS = (IN_BITS + lv - 1 < OUT_BITS) ? IN_BITS + lv - 1 : OUT_BITS;
      for (genvar n = 0; n < NODES; n++) begin : gen_node
        logic signed [BITS-1:0] left;
        assign left = BITS'($signed(gen_level[lv-1].node_q[2*n*PREV_BITS +: PREV_BITS]));
        if (2 * n + 1 < PREV_NODES) begin : gen_add
          logic signed [BITS-1:0] right;
          assign right = BITS'($signed(gen_level[lv-1].node_q[(2*n+1)*PREV_BITS +: PREV_BITS]));
          assign node_d[n*BITS +: BITS] = left + right;
        end else begin : gen_pass
          assign node_d[n*BITS +: BITS] = left;
        end
      end
    end

    always_ff @(posedge clk) begin
      node_q <= node_d;
    end
  end

  assign out_sum = OUT_BITS'($signed(gen_level[LEVELS].node_q));

endmodule

`resetall
