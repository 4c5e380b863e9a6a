// deltamac_lut_mult: a signed multiplier in fabric look-up tables, product registered.
//
// For narrow operands (a few bits each) a DSP48E1 / MULT18X18D is mostly idle silicon, and a small
// FPGA has few of them (20 on the XC7S15): this lane computes the same exact product in LUTs and
// carry logic. It is written as a sum of partial products, not as `*`, so synthesis cannot map it
// back onto a multiplier block. The narrower operand x (R bits) selects rows of the wider one y:
//   x = -x[R-1] * 2**(R-1) + sum_{i<R-1} x[i] * 2**i           (two's complement)
//   x * y = sum_{i<R-1} (x[i] ? y : 0) * 2**i - (x[R-1] ? y : 0) * 2**(R-1)
// with every row sign-extended to WEIGHT_BITS + ACT_BITS bits, so the sum is exact. The R rows are
// added as a balanced tree (ceil(log2(R)) adder levels) in front of the one register, so a 2-bit
// weight on a 9-bit activation is one adder.
// docs/rtl.md gives the LUT cost per lane against the DSP lane (`make bench-lanes`).

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_lut_mult #(
  parameter int WEIGHT_BITS = 4, // signed weight width, 2..18
  parameter int ACT_BITS    = 4, // signed activation width, 2..25
  localparam int PROD_BITS  = WEIGHT_BITS + ACT_BITS // exact product width (derived)
) (
  input  wire logic                        clk,       // clock
  input  wire logic signed [WEIGHT_BITS-1:0] in_weight, // signed weight
  input  wire logic signed [ACT_BITS-1:0]    in_act,    // signed activation
  output logic signed [PROD_BITS-1:0]      product_q  // in_weight * in_act of the previous cycle
);

  if (WEIGHT_BITS < 2 || WEIGHT_BITS > 18 || ACT_BITS < 2 || ACT_BITS > 25) begin : gen_check_params
    initial $fatal(1, "deltamac_lut_mult: WEIGHT_BITS (%0d) must be in 2..18 and ACT_BITS (%0d) in 2..25",
                   WEIGHT_BITS, ACT_BITS);
  end

  // Width of the operand whose bits select the rows (the narrower one), and the adder levels.
  localparam int ROWS   = WEIGHT_BITS < ACT_BITS ? WEIGHT_BITS : ACT_BITS;
  localparam int LEVELS = $clog2(ROWS);

  logic [ROWS-1:0]             row_select;  // x: the narrower operand's bits
  logic signed [PROD_BITS-1:0] multiplicand; // y: the wider operand, sign-extended

  if (WEIGHT_BITS < ACT_BITS) begin : gen_weight_rows
    assign row_select   = in_weight;
    assign multiplicand = PROD_BITS'(in_act);
  end else begin : gen_act_rows
    assign row_select   = in_act;
    assign multiplicand = PROD_BITS'(in_weight);
  end

  // Level 0: row i = y * x[i] * 2**i (negated for the sign bit); node n of level lv adds nodes
  // 2n and 2n+1 of the level below (or passes 2n on).
  for (genvar lv = 0; lv <= LEVELS; lv++) begin : gen_level
    localparam int NODES = (ROWS + (1 << lv) - 1) >> lv;
    logic signed [PROD_BITS-1:0] node [NODES];

    if (lv == 0) begin : gen_rows
      for (genvar i = 0; i < ROWS; i++) begin : gen_row
        logic signed [PROD_BITS-1:0] row;
        assign row = row_select[i] ? multiplicand <<< i : '0;
        assign node[i] = (i == ROWS - 1) ? -row : row;
      end
    end else begin : gen_adders
      localparam int PREV_NODES = (ROWS + (1 << (lv - 1)) - 1) >> (lv - 1);
      for (genvar n = 0; n < NODES; n++) begin : gen_node
        if (2 * n + 1 < PREV_NODES) begin : gen_add
          assign node[n] = gen_level[lv-1].node[2*n] + gen_level[lv-1].node[2*n+1];
        end else begin : gen_pass
          assign node[n] = gen_level[lv-1].node[2*n];
        end
      end
    end
  end

  always_ff @(posedge clk) begin
    product_q <= gen_level[LEVELS].node[0];
  end

endmodule

`resetall
