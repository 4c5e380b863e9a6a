// deltamac_mac_array: LANES signed multipliers, a pipelined adder tree and an accumulator.
//
// Per valid word: sum_p w_p * a_p is added to the accumulator; in_first restarts it, in_last
// emits it (one out_valid pulse per neuron, out_acc = sum over the neuron's words). A neuron may
// be a single word (in_first and in_last together) and neurons may follow back to back.
// Arithmetic: products are exact (WEIGHT_BITS + ACT_BITS bits), the tree grows one bit per level
// (exact up to ACC_BITS), the accumulator is ACC_BITS wide and wraps modulo 2**ACC_BITS; the
// caller sizes ACC_BITS so that every neuron's sum fits (ARCHITECTURE.md section 1), so the
// result is exact.
//
// Pipeline (LATENCY = 5 + ceil(log2(LANES)) cycles from the last word's in_valid to out_valid):
//   stage 1: weight and activation registers          (DSP48E1 A1/B1 registers)
//   stage 2: the operands registered again             (DSP48E1 A2/B2 registers)
//   stage 3: product registers, one multiplier/lane    (DSP48E1 M register; or deltamac_lut_mult)
//   stage 4: the products registered again             (DSP48E1 P register)
//   stages 5..4+TREE_LEVELS: adder tree (deltamac_adder_tree), one adder level per stage
//   last stage: accumulator acc = (first ? 0 : acc) + tree sum (the only loop: one adder level)
// The second operand and product registers have one load each, so they can go inside the
// multiplier block: the DSP48E1 A2/B2, M and P registers in Vivado; in the ECP5 open flow
// scripts/ecp5_regpack.py moves them into the MULT18X18D input, pipeline and output registers.
// out_acc holds the accumulator register; it is the neuron's sum in the cycle out_valid is high.
// LUT_LANES = 1 computes the products in fabric (deltamac_lut_mult) instead of multiplier blocks,
// for narrow weights and activations; the arithmetic and the latency are the same.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_mac_array #(
  parameter int LANES       = 16, // multipliers (lanes per word), 1..32
  parameter int WEIGHT_BITS = 8,  // signed weight width, 2..18 (DSP48E1 B port)
  parameter int ACT_BITS    = 9,  // signed activation width as fed, 2..25 (DSP48E1 A port)
  parameter int ACC_BITS    = 32, // accumulator width (the generated package's ACC_BITS), >= WEIGHT_BITS + ACT_BITS
  parameter int USER_WIDTH  = 1,  // sideband sampled with in_last (>= 1)
  parameter int LUT_LANES   = 0   // 1: products in LUTs (deltamac_lut_mult), 0: in DSP48E1 / MULT18X18D blocks
) (
  input  wire logic                          clk,        // clock
  input  wire logic                          rst,        // synchronous active-high reset
  input  wire logic                          in_valid,   // a word of weights and activations is presented
  input  wire logic [LANES*WEIGHT_BITS-1:0]  in_weights, // lane p at [p*WEIGHT_BITS +: WEIGHT_BITS], signed
  input  wire logic [LANES*ACT_BITS-1:0]     in_acts,    // lane p at [p*ACT_BITS +: ACT_BITS], signed (caller zeroes padded lanes)
  input  wire logic                          in_first,   // first word of a neuron: restart the accumulator
  input  wire logic                          in_last,    // last word of a neuron: emit the sum
  input  wire logic [USER_WIDTH-1:0]         in_user,    // sideband, sampled with in_last
  output logic                          out_valid,  // one pulse per neuron
  output logic signed [ACC_BITS-1:0]    out_acc,    // sum over the neuron's words of sum_p w_p*a_p
  output logic [USER_WIDTH-1:0]         out_user    // in_user of the neuron's last word
);

  // Adder tree levels.
  localparam int TREE_LEVELS = (LANES > 1) ? $clog2(LANES) : 0;
  // Exact product width.
  localparam int PROD_BITS = WEIGHT_BITS + ACT_BITS;
  // Cycles from the last word's in_valid to out_valid: operands, products, tree, accumulator.
  localparam int LATENCY = 5 + TREE_LEVELS;
  // Stages before the accumulator (delay of valid, first, last and the sideband).
  localparam int TAG_STAGES = LATENCY - 1;

  if (LANES < 1 || LANES > 32) begin : gen_lanes_check
    initial $fatal(1, "deltamac_mac_array: LANES must be in 1..32, got %0d", LANES);
  end
  if (WEIGHT_BITS < 2 || WEIGHT_BITS > 18 || ACT_BITS < 2 || ACT_BITS > 25) begin : gen_operand_check
    initial $fatal(1, "deltamac_mac_array: WEIGHT_BITS (%0d) must be in 2..18 and ACT_BITS (%0d) in 2..25 (one DSP48E1 per lane)",
                   WEIGHT_BITS, ACT_BITS);
  end
  if (LUT_LANES != 0 && LUT_LANES != 1) begin : gen_lane_kind_check
    initial $fatal(1, "deltamac_mac_array: LUT_LANES must be 0 (DSP lanes) or 1 (LUT lanes), got %0d", LUT_LANES);
  end
  if (ACC_BITS < PROD_BITS || USER_WIDTH < 1) begin : gen_width_check
    initial $fatal(1, "deltamac_mac_array: ACC_BITS (%0d) must be >= WEIGHT_BITS + ACT_BITS (%0d) and USER_WIDTH (%0d) >= 1",
                   ACC_BITS, PROD_BITS, USER_WIDTH);
  end

  // ---------------------------------------------------------------------------------------------
  // Control: valid, first, last and sideband, delayed to the accumulator stage's input.
  logic [TAG_STAGES-1:0]            valid_q;
  logic [TAG_STAGES-1:0]            first_q;
  logic [TAG_STAGES-1:0]            last_q;
  logic [TAG_STAGES*USER_WIDTH-1:0] user_q;

  always_ff @(posedge clk) begin
    if (rst) begin
      valid_q <= '0;
    end else begin
      valid_q <= TAG_STAGES'({valid_q, in_valid});
    end
  end

  always_ff @(posedge clk) begin
    first_q <= TAG_STAGES'({first_q, in_first});
    last_q  <= TAG_STAGES'({last_q, in_last});
    user_q  <= (TAG_STAGES*USER_WIDTH)'({user_q, in_user});
  end

  logic                  acc_valid;
  logic                  acc_first;
  logic                  acc_last;
  logic [USER_WIDTH-1:0] acc_user;
  assign acc_valid = valid_q[TAG_STAGES-1];
  assign acc_first = first_q[TAG_STAGES-1];
  assign acc_last  = last_q[TAG_STAGES-1];
  assign acc_user  = user_q[TAG_STAGES*USER_WIDTH-1 -: USER_WIDTH];

  // ---------------------------------------------------------------------------------------------
  // Stages 1-4: operand registers (twice) and registered multipliers (twice).
  logic [LANES*WEIGHT_BITS-1:0] weights_q, weights_q2;  // lane p at [p*WEIGHT_BITS +: WEIGHT_BITS]
  logic [LANES*ACT_BITS-1:0]    acts_q, acts_q2;        // lane p at [p*ACT_BITS +: ACT_BITS]

  always_ff @(posedge clk) begin
    weights_q  <= in_weights;
    acts_q     <= in_acts;
    weights_q2 <= weights_q;
    acts_q2    <= acts_q;
  end

  // Products, one multiplier per lane, summed by the adder tree (its input registers are the
  // second product registers).
  logic [LANES*PROD_BITS-1:0] products;  // lane p at [p*PROD_BITS +: PROD_BITS]

  for (genvar p = 0; p < LANES; p++) begin : gen_lane
    logic signed [PROD_BITS-1:0] product_q;
    if (LUT_LANES != 0) begin : gen_lut
      deltamac_lut_mult #(
          .WEIGHT_BITS(WEIGHT_BITS),
          .ACT_BITS   (ACT_BITS)
      ) u_mult (
          .clk      (clk),
          .in_weight(weights_q2[p*WEIGHT_BITS +: WEIGHT_BITS]),
          .in_act   (acts_q2[p*ACT_BITS +: ACT_BITS]),
          .product_q(product_q)
      );
    end else begin : gen_dsp
      (* use_dsp = "yes" *)
      logic signed [PROD_BITS-1:0] dsp_product_q;
      always_ff @(posedge clk) begin
        dsp_product_q <= $signed(weights_q2[p*WEIGHT_BITS +: WEIGHT_BITS]) * $signed(acts_q2[p*ACT_BITS +: ACT_BITS]);
      end
      assign product_q = dsp_product_q;
    end
    assign products[p*PROD_BITS +: PROD_BITS] = product_q;
  end

  logic signed [ACC_BITS-1:0] word_sum;

  deltamac_adder_tree #(
      .INPUTS  (LANES),
      .IN_BITS (PROD_BITS),
      .OUT_BITS(ACC_BITS)
  ) u_tree (
      .clk      (clk),
      .in_values(products),
      .out_sum  (word_sum)
  );

  // ---------------------------------------------------------------------------------------------
  // Accumulator.
  logic signed [ACC_BITS-1:0] acc_q;
  logic                       out_valid_q;
  logic [USER_WIDTH-1:0]      out_user_q;

  always_ff @(posedge clk) begin
    if (acc_valid) begin
      acc_q <= (acc_first ? '0 : acc_q) + word_sum;
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      out_valid_q <= 1'b0;
    end else begin
      out_valid_q <= acc_valid && acc_last;
    end
  end

  always_ff @(posedge clk) begin
    if (acc_valid && acc_last) begin
      out_user_q <= acc_user;
    end
  end

  assign out_valid = out_valid_q;
  assign out_acc   = acc_q;
  assign out_user  = out_user_q;

`ifndef SYNTHESIS
  // Simulation check: one accumulator result per neuron. The words of a neuron run from in_first
  // to in_last; a word outside a neuron would add to a finished sum, a second in_first would drop
  // a neuron without a result.
  logic open_q;  // inside a neuron (in_first seen, in_last not yet)

  always_ff @(posedge clk) begin
    if (rst) begin
      open_q <= 1'b0;
    end else if (in_valid) begin
      open_q <= !in_last;
    end
  end

  always @(posedge clk) begin
    if (!rst && in_valid && in_first == open_q) begin
      $fatal(1, "deltamac_mac_array: word with in_first = %0b %0s at %0t", in_first,
             open_q ? "before the previous neuron's in_last (no result for it)" : "outside a neuron", $time);
    end
  end
`endif

endmodule

`resetall
