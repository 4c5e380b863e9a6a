// deltamac_argmax: the index of the largest of N unsigned values, ties to the lowest index,
// pipelined: one compare level per register stage.
//
// A balanced tree of LEVELS = ceil(log2 N) levels: each node keeps its lower-index input unless
// the higher one is strictly greater, so every subtree yields its maximum at its lowest index,
// and the padding up to a power of two (value 0 at indices above every real one) never wins.
// Level lv's nodes are registers; out_index is the argmax of in_values LEVELS cycles earlier
// (no valid and no reset: every cycle's values are compared, the caller delays its valid bits
// as much).

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_argmax #(
    // values compared, >= 2
    parameter int N     = 10,
    // width of a value (unsigned), >= 1
    parameter int BITS  = 8,
    // compare levels = cycles of latency (derived)
    localparam int LEVELS  = $clog2(N > 1 ? N : 2),
    // width of the index (derived)
    localparam int INDEX_W = LEVELS
) (
    // clock
    input  wire logic                clk,
    // value i at [i*BITS +: BITS]
    input  wire logic [N*BITS-1:0]   in_values,
    // index of the largest of in_values LEVELS cycles earlier, ties to the lowest index
    output logic      [INDEX_W-1:0]  out_index
);

  if (N < 2 || BITS < 1) begin : gen_check_params
    initial $fatal(1, "deltamac_argmax: needs N >= 2 and BITS >= 1, got N %0d, BITS %0d", N, BITS);
  end

  localparam int NP = 2**LEVELS;  // values padded to a power of two

  for (genvar lv = 0; lv <= LEVELS; lv++) begin : gen_level
    localparam int NODES = NP >> lv;
    logic [NODES*BITS-1:0]    value;  // node n at [n*BITS +: BITS]
    logic [NODES*INDEX_W-1:0] index;

    if (lv == 0) begin : gen_leaves
      for (genvar n = 0; n < NODES; n++) begin : gen_leaf
        if (n < N) begin : gen_value
          assign value[n*BITS +: BITS] = in_values[n*BITS +: BITS];
        end else begin : gen_padding
          assign value[n*BITS +: BITS] = '0;
        end
        assign index[n*INDEX_W +: INDEX_W] = INDEX_W'(n);
      end
    end else begin : gen_nodes
      logic [NODES*BITS-1:0]    value_q;
      logic [NODES*INDEX_W-1:0] index_q;
      for (genvar n = 0; n < NODES; n++) begin : gen_node
        logic [BITS-1:0]    low_v, high_v;
        logic [INDEX_W-1:0] low_i, high_i;
        assign low_v  = gen_level[lv-1].value[2*n*BITS +: BITS];
        assign high_v = gen_level[lv-1].value[(2*n+1)*BITS +: BITS];
        assign low_i  = gen_level[lv-1].index[2*n*INDEX_W +: INDEX_W];
        assign high_i = gen_level[lv-1].index[(2*n+1)*INDEX_W +: INDEX_W];
        always_ff @(posedge clk) begin
          value_q[n*BITS +: BITS]       <= high_v > low_v ? high_v : low_v;
          index_q[n*INDEX_W +: INDEX_W] <= high_v > low_v ? high_i : low_i;
        end
      end
      assign value = value_q;
      assign index = index_q;
    end
  end

  assign out_index = gen_level[LEVELS].index;

  logic unused_value;  // the maximum itself: the caller delays the values it wants
  assign unused_value = ^gen_level[LEVELS].value;

endmodule

`resetall
