// deltamac_lut_mult: a signed multiplier in fabric look-up tables, product registered.
//
// For narrow operands (a few bits each) a DSP48E1 / MULT18X18D is mostly idle silicon, and a small
// FPGA has few of them (20 on the XC7S15): this lane computes the same exact product in LUTs and
// carry logic. It is written as a sum of partial products, not as `*`, so synthesis cannot map it
// back onto a multiplier block:
//   a = -a[A-1] * 2**(A-1) + sum_{i<A-1} a[i] * 2**i           (two's complement)
//   w * a = sum_{i<A-1} (a[i] ? w : 0) * 2**i - (a[A-1] ? w : 0) * 2**(A-1)
// with every row sign-extended to WEIGHT_BITS + ACT_BITS bits, so the sum is exact. The rows are
// added as a balanced tree (ceil(log2(ACT_BITS)) adder levels) in front of the one register.
// docs/rtl.md gives the LUT cost per lane against the DSP lane (`make bench-lanes`).

`resetall
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

  // Adder levels of the row tree.
  localparam int LEVELS = $clog2(ACT_BITS);

  // Level 0: row i = w * a[i] * 2**i (negated for the sign bit); node n of level lv adds nodes
  // 2n and 2n+1 of the level below (or passes 2n on).
  for (genvar lv = 0; lv <= LEVELS; lv++) begin : gen_level
    localparam int NODES = (ACT_BITS + (1 << lv) - 1) >> lv;
    logic signed [PROD_BITS-1:0] node [NODES];

    if (lv == 0) begin : gen_rows
      for (genvar i = 0; i < ACT_BITS; i++) begin : gen_row
        logic signed [PROD_BITS-1:0] row;
        assign row = in_act[i] ? PROD_BITS'(in_weight) <<< i : '0;
        assign node[i] = (i == ACT_BITS - 1) ? -row : row;
      end
    end else begin : gen_adders
      localparam int PREV_NODES = (ACT_BITS + (1 << (lv - 1)) - 1) >> (lv - 1);
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
