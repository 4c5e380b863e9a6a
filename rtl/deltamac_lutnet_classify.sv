// deltamac_lutnet_classify: the LUT network's output rule (ARCHITECTURE.md section 7), registered.
//
// The last layer's NUM_CLASSES * CLASS_PARTITIONS codes of CODE_BITS bits (code p at
// codes[CODE_BITS*p +: CODE_BITS]) -> class scores score[c] = sum_{k < K} code[c*K + k]
// (K = CLASS_PARTITIONS; unsigned, SCORE_BITS bits, class c at scores[c*SCORE_BITS +: SCORE_BITS])
// -> class = argmax_c score[c], ties to the lowest index. Both are registered when `en` is high
// (no reset: the caller keeps the valid bit), one cycle of latency.
//
// The argmax is a balanced tree of ceil(log2 NUM_CLASSES) compare levels: each node keeps its
// lower-index input unless the higher one is strictly greater, so every subtree yields its
// maximum at the lowest index, and the padding up to a power of two (score 0, higher indices
// than every class) never wins.

`resetall
`default_nettype none

module deltamac_lutnet_classify #(
    // classes, >= 2
    parameter int NUM_CLASSES      = 10,
    // K: last-layer partitions summed per class, >= 1
    parameter int CLASS_PARTITIONS = 1,
    // width of a last-layer code, 1..8
    parameter int CODE_BITS        = 2,
    // width of a class score: at least the bits of K * (2**CODE_BITS - 1), at most 16
    parameter int SCORE_BITS       = 2,
    // width of the class index (derived)
    localparam int CLASS_W         = $clog2(NUM_CLASSES > 1 ? NUM_CLASSES : 2)
) (
    // clock
    input  wire logic                                            clk,
    // load the result registers in this cycle
    input  wire logic                                            en,
    // last-layer codes, partition p at [CODE_BITS*p +: CODE_BITS]
    input  wire logic [NUM_CLASSES*CLASS_PARTITIONS*CODE_BITS-1:0] codes,
    // registered class scores, class c at [c*SCORE_BITS +: SCORE_BITS]
    output logic      [NUM_CLASSES*SCORE_BITS-1:0]               scores,
    // registered class index: argmax of the scores, ties to the lowest index
    output logic      [CLASS_W-1:0]                              class_idx
);

  localparam int K       = CLASS_PARTITIONS;
  localparam int MAX_SUM = K * (2**CODE_BITS - 1);  // the largest score
  localparam int LEVELS  = $clog2(NUM_CLASSES > 1 ? NUM_CLASSES : 2);
  localparam int NP      = 2**LEVELS;                // classes padded to a power of two

  if (NUM_CLASSES < 2 || K < 1 || CODE_BITS < 1 || CODE_BITS > 8) begin : gen_check_params
    initial $fatal(1, "deltamac_lutnet_classify: needs NUM_CLASSES >= 2, CLASS_PARTITIONS >= 1 and CODE_BITS in 1..8, got %0d, %0d, %0d",
                   NUM_CLASSES, K, CODE_BITS);
  end
  if (SCORE_BITS < 1 || SCORE_BITS > 16 || MAX_SUM >= 2**SCORE_BITS) begin : gen_check_score_bits
    initial $fatal(1, "deltamac_lutnet_classify: SCORE_BITS (%0d) must be in 1..16 and hold CLASS_PARTITIONS*(2^CODE_BITS-1) = %0d",
                   SCORE_BITS, MAX_SUM);
  end

  // Class scores: the sum of each class's K codes.
  logic [NUM_CLASSES*SCORE_BITS-1:0] sums;

  always_comb begin
    sums = '0;
    for (int c = 0; c < NUM_CLASSES; c++) begin
      for (int k = 0; k < K; k++) begin
        sums[c*SCORE_BITS +: SCORE_BITS] = sums[c*SCORE_BITS +: SCORE_BITS]
                                           + SCORE_BITS'(codes[(c*K + k)*CODE_BITS +: CODE_BITS]);
      end
    end
  end

  // Argmax tree: level by level, node i of the step keeps (value, index) of leaf i or leaf i+step.
  function automatic logic [CLASS_W-1:0] argmax(input logic [NUM_CLASSES*SCORE_BITS-1:0] s);
    logic [NP*SCORE_BITS-1:0] value;
    logic [NP*CLASS_W-1:0]    index;
    for (int i = 0; i < NP; i++) begin
      value[i*SCORE_BITS +: SCORE_BITS] = i < NUM_CLASSES ? s[(i < NUM_CLASSES ? i : 0)*SCORE_BITS +: SCORE_BITS] : '0;
      index[i*CLASS_W +: CLASS_W]       = CLASS_W'(i);
    end
    for (int step = 1; step < NP; step = step * 2) begin
      for (int i = 0; i + step < NP; i = i + 2 * step) begin
        if (value[(i + step)*SCORE_BITS +: SCORE_BITS] > value[i*SCORE_BITS +: SCORE_BITS]) begin
          value[i*SCORE_BITS +: SCORE_BITS] = value[(i + step)*SCORE_BITS +: SCORE_BITS];
          index[i*CLASS_W +: CLASS_W]       = index[(i + step)*CLASS_W +: CLASS_W];
        end
      end
    end
    argmax = index[CLASS_W-1:0];
  endfunction

  logic [NUM_CLASSES*SCORE_BITS-1:0] scores_q;
  logic [CLASS_W-1:0]                class_q;

  always_ff @(posedge clk) begin
    if (en) begin
      scores_q <= sums;
      class_q  <= argmax(sums);
    end
  end

  assign scores    = scores_q;
  assign class_idx = class_q;

endmodule

`resetall
