// deltamac_delta_mac_array: MAC lanes that multiply fixed_reference deltas, not decoded weights.
//
// A fixed_reference weight is w_i = r + d_i * 2**s (ARCHITECTURE.md section 2), so over the words
// of a neuron (each word inside one reference group, the RTL alignment rule):
//   sum_i w_i * a_i = sum_words ( r * sum_p a_p ) + 2**s * sum_words ( sum_p d_p * a_p )
// The LANES products are DELTA_BITS x ACT_BITS (narrow: cheap LUT lanes, see deltamac_lut_mult),
// and each word needs one WEIGHT_BITS-wide product of the reference with the word's activation sum.
// Both sums are deltamac_mac_array accumulators (the delta lanes, and one lane for the reference
// term behind a deltamac_adder_tree of the activations), joined when the neuron ends:
//   out_acc = (delta sum << s) + reference sum   (exact: ACC_BITS holds every neuron's sum, and
//                                                 both partial sums are exact modulo 2**ACC_BITS)
// Interface and tags as deltamac_mac_array, plus the word's reference and the layer's shift s;
// padded lanes must carry activation 0 (then neither sum sees them). No delta decoder is needed.
//
// Latency: 7 + ceil(log2(LANES)) cycles from the last word's in_valid to out_valid (the reference
// path: activation tree 1 + log2(LANES), one-lane MAC 5; the delta lanes get one input register to
// match it; one register for the join).

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_delta_mac_array #(
  parameter int LANES       = 16, // lanes per word, 1..32
  parameter int DELTA_BITS  = 4,  // signed delta width, 2..18
  parameter int WEIGHT_BITS = 8,  // signed reference width, 2..18
  parameter int ACT_BITS    = 9,  // signed activation width as fed, 2..25
  parameter int SHIFT_BITS  = 4,  // width of the delta shift s
  parameter int ACC_BITS    = 32, // accumulator width (holds every neuron's exact sum)
  parameter int USER_WIDTH  = 1,  // sideband sampled with in_last (>= 1)
  parameter int LUT_LANES   = 1,  // 1: delta products in LUTs, 0: in multiplier blocks
  localparam int TREE_LEVELS = (LANES > 1) ? $clog2(LANES) : 0, // activation tree levels (derived)
  localparam int SUM_BITS    = ACT_BITS + TREE_LEVELS           // width of a word's activation sum (derived)
) (
  input  wire logic                          clk,        // clock
  input  wire logic                          rst,        // synchronous active-high reset
  input  wire logic                          in_valid,   // a word of deltas and activations is presented
  input  wire logic [LANES*DELTA_BITS-1:0]   in_deltas,  // lane p at [p*DELTA_BITS +: DELTA_BITS], signed
  input  wire logic [WEIGHT_BITS-1:0]        in_ref,     // the word's group reference r, signed
  input  wire logic [SHIFT_BITS-1:0]         in_shift,   // the layer's delta shift s (constant within a neuron)
  input  wire logic [LANES*ACT_BITS-1:0]     in_acts,    // lane p at [p*ACT_BITS +: ACT_BITS], signed (padded lanes 0)
  input  wire logic                          in_first,   // first word of a neuron
  input  wire logic                          in_last,    // last word of a neuron
  input  wire logic [USER_WIDTH-1:0]         in_user,    // sideband, sampled with in_last
  output logic                               out_valid,  // one pulse per neuron
  output logic signed [ACC_BITS-1:0]         out_acc,    // sum over the neuron's words of sum_p w_p * a_p
  output logic [USER_WIDTH-1:0]              out_user    // in_user of the neuron's last word
);

  if (LANES < 1 || LANES > 32 || DELTA_BITS < 2 || DELTA_BITS > 18 || WEIGHT_BITS < 2 || WEIGHT_BITS > 18
      || ACT_BITS < 2 || SUM_BITS > 25 || SHIFT_BITS < 1 || USER_WIDTH < 1) begin : gen_check_params
    initial $fatal(1, "deltamac_delta_mac_array: need LANES (%0d) in 1..32, DELTA_BITS (%0d) and WEIGHT_BITS (%0d) in 2..18, ACT_BITS (%0d) >= 2 with ACT_BITS + log2(LANES) <= 25, SHIFT_BITS (%0d) and USER_WIDTH (%0d) >= 1",
                   LANES, DELTA_BITS, WEIGHT_BITS, ACT_BITS, SHIFT_BITS, USER_WIDTH);
  end
  if (ACC_BITS < WEIGHT_BITS + SUM_BITS) begin : gen_check_acc
    initial $fatal(1, "deltamac_delta_mac_array: ACC_BITS (%0d) must be >= WEIGHT_BITS + ACT_BITS + log2(LANES) (%0d)",
                   ACC_BITS, WEIGHT_BITS + SUM_BITS);
  end

  // ---------------------------------------------------------------------------------------------
  // Reference path: the word's activation sum, then r * sum accumulated by a one-lane array. The
  // reference and the tags wait for the tree (1 + TREE_LEVELS cycles).
  localparam int TREE_LATENCY = 1 + TREE_LEVELS;
  // Cycles from the last word's in_valid to out_valid: the reference path, then the join.
  localparam int LATENCY = TREE_LATENCY + 5 + 1;

  logic signed [SUM_BITS-1:0]             act_sum;
  logic [TREE_LATENCY*WEIGHT_BITS-1:0]    ref_q;
  logic [TREE_LATENCY-1:0]                ref_valid_q, ref_first_q, ref_last_q;

  deltamac_adder_tree #(
      .INPUTS  (LANES),
      .IN_BITS (ACT_BITS),
      .OUT_BITS(SUM_BITS)
  ) u_act_tree (
      .clk      (clk),
      .in_values(in_acts),
      .out_sum  (act_sum)
  );

  always_ff @(posedge clk) begin
    if (rst) begin
      ref_valid_q <= '0;
    end else begin
      ref_valid_q <= TREE_LATENCY'({ref_valid_q, in_valid});
    end
    ref_q       <= (TREE_LATENCY*WEIGHT_BITS)'({ref_q, in_ref});
    ref_first_q <= TREE_LATENCY'({ref_first_q, in_first});
    ref_last_q  <= TREE_LATENCY'({ref_last_q, in_last});
  end

  logic                       ref_out_valid;
  logic signed [ACC_BITS-1:0] ref_acc;
  logic                       ref_out_user;  // unused: the delta path carries the sideband

  deltamac_mac_array #(
      .LANES      (1),
      .WEIGHT_BITS(WEIGHT_BITS),
      .ACT_BITS   (SUM_BITS),
      .ACC_BITS   (ACC_BITS),
      .USER_WIDTH (1),
      .LUT_LANES  (0)
  ) u_ref_mac (
      .clk       (clk),
      .rst       (rst),
      .in_valid  (ref_valid_q[TREE_LATENCY-1]),
      .in_weights(ref_q[TREE_LATENCY*WEIGHT_BITS-1 -: WEIGHT_BITS]),
      .in_acts   (act_sum),
      .in_first  (ref_first_q[TREE_LATENCY-1]),
      .in_last   (ref_last_q[TREE_LATENCY-1]),
      .in_user   (1'b0),
      .out_valid (ref_out_valid),
      .out_acc   (ref_acc),
      .out_user  (ref_out_user)
  );

  // ---------------------------------------------------------------------------------------------
  // Delta path: LANES narrow products, one input register so that it ends with the reference path.
  logic                          d_valid_q, d_first_q, d_last_q;
  logic [LANES*DELTA_BITS-1:0]   d_deltas_q;
  logic [LANES*ACT_BITS-1:0]     d_acts_q;
  logic [USER_WIDTH+SHIFT_BITS-1:0] d_user_q;

  always_ff @(posedge clk) begin
    if (rst) begin
      d_valid_q <= 1'b0;
    end else begin
      d_valid_q <= in_valid;
    end
    d_first_q  <= in_first;
    d_last_q   <= in_last;
    d_deltas_q <= in_deltas;
    d_acts_q   <= in_acts;
    d_user_q   <= {in_user, in_shift};
  end

  logic                             delta_out_valid;
  logic signed [ACC_BITS-1:0]       delta_acc;
  logic [USER_WIDTH+SHIFT_BITS-1:0] delta_user;

  deltamac_mac_array #(
      .LANES      (LANES),
      .WEIGHT_BITS(DELTA_BITS),
      .ACT_BITS   (ACT_BITS),
      .ACC_BITS   (ACC_BITS),
      .USER_WIDTH (USER_WIDTH + SHIFT_BITS),
      .LUT_LANES  (LUT_LANES)
  ) u_delta_mac (
      .clk       (clk),
      .rst       (rst),
      .in_valid  (d_valid_q),
      .in_weights(d_deltas_q),
      .in_acts   (d_acts_q),
      .in_first  (d_first_q),
      .in_last   (d_last_q),
      .in_user   (d_user_q),
      .out_valid (delta_out_valid),
      .out_acc   (delta_acc),
      .out_user  (delta_user)
  );

  // ---------------------------------------------------------------------------------------------
  // Join: (delta sum << s) + reference sum, when both accumulators hold the neuron.
  logic [SHIFT_BITS-1:0]      delta_shift;
  logic                       out_valid_q;
  logic signed [ACC_BITS-1:0] out_acc_q;
  logic [USER_WIDTH-1:0]      out_user_q;

  assign delta_shift = delta_user[SHIFT_BITS-1:0];

  always_ff @(posedge clk) begin
    if (rst) begin
      out_valid_q <= 1'b0;
    end else begin
      out_valid_q <= delta_out_valid;
    end
    if (delta_out_valid) begin
      out_acc_q  <= (delta_acc <<< delta_shift) + ref_acc;
      out_user_q <= delta_user[USER_WIDTH+SHIFT_BITS-1:SHIFT_BITS];
    end
  end

  assign out_valid = out_valid_q;
  assign out_acc   = out_acc_q;
  assign out_user  = out_user_q;

  logic unused_ok;
  assign unused_ok = ref_out_user;

`ifndef SYNTHESIS
  // The two accumulators end each neuron in the same cycle (the paths are matched above), and
  // the result leaves LATENCY cycles after the neuron's last word.
  logic [LATENCY-1:0] ends_q;  // in_valid && in_last, delayed

  always_ff @(posedge clk) begin
    if (rst) begin
      ends_q <= '0;
    end else begin
      ends_q <= LATENCY'({ends_q, in_valid && in_last});
    end
  end

  always @(posedge clk) begin
    if (!rst && (delta_out_valid != ref_out_valid || out_valid != ends_q[LATENCY-1])) begin
      $fatal(1, "deltamac_delta_mac_array: sums out of step (delta %0b, reference %0b, result %0b, expected %0b) at %0t",
             delta_out_valid, ref_out_valid, out_valid, ends_q[LATENCY-1], $time);
    end
  end
`endif

endmodule

`resetall
