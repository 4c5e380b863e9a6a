// deltamac_lutnet_classify: the LUT network's output rule (ARCHITECTURE.md section 7), pipelined.
//
// The last layer's NUM_CLASSES * CLASS_PARTITIONS codes of CODE_BITS bits (code p at
// codes[CODE_BITS*p +: CODE_BITS]) -> class scores score[c] = sum_{k < K} code[c*K + k]
// (K = CLASS_PARTITIONS; unsigned, SCORE_BITS bits, class c at scores[c*SCORE_BITS +: SCORE_BITS])
// -> class = argmax_c score[c], ties to the lowest index.
//
// One adder level or one compare level per register stage, so the rule keeps up with the clock
// the tables run at: a deltamac_adder_tree per class (its input register, then ceil(log2 K)
// adder levels), then deltamac_argmax (ceil(log2 NUM_CLASSES) compare levels) with the scores
// delayed beside it (deltamac_delay). No enable, no valid, no reset: every cycle's codes go
// through, and scores / class_idx are those of the codes 1 + ceil(log2 K) + CLASS_W cycles
// earlier (deltamac_lutnet_top's PIPE counts them).

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_lutnet_classify #(
    // classes, >= 2
    parameter int NUM_CLASSES      = 10,
    // K: last-layer partitions summed per class, 1..1024
    parameter int CLASS_PARTITIONS = 1,
    // width of a last-layer code, 1..8
    parameter int CODE_BITS        = 2,
    // width of a class score: at least the bits of K * (2**CODE_BITS - 1), at most 16
    parameter int SCORE_BITS       = 2,
    // width of the class index (derived)
    localparam int CLASS_W         = $clog2(NUM_CLASSES > 1 ? NUM_CLASSES : 2)
) (
    // clock
    input  wire logic                                              clk,
    // last-layer codes, partition p at [CODE_BITS*p +: CODE_BITS]
    input  wire logic [NUM_CLASSES*CLASS_PARTITIONS*CODE_BITS-1:0] codes,
    // class scores of the codes 1 + ceil(log2 K) + CLASS_W cycles earlier, class c at [c*SCORE_BITS +: SCORE_BITS]
    output logic      [NUM_CLASSES*SCORE_BITS-1:0]                 scores,
    // argmax of those scores, ties to the lowest index
    output logic      [CLASS_W-1:0]                                class_idx
);

  localparam int K       = CLASS_PARTITIONS;
  localparam int MAX_SUM = K * (2**CODE_BITS - 1);  // the largest score
  localparam bit OK      = NUM_CLASSES >= 2 && K >= 1 && K <= 1024 && CODE_BITS >= 1 && CODE_BITS <= 8
                           && SCORE_BITS >= CODE_BITS && SCORE_BITS <= 16 && MAX_SUM < 2**SCORE_BITS;

  if (NUM_CLASSES < 2 || K < 1 || K > 1024 || CODE_BITS < 1 || CODE_BITS > 8) begin : gen_check_params
    initial $fatal(1, "deltamac_lutnet_classify: needs NUM_CLASSES >= 2, CLASS_PARTITIONS in 1..1024 and CODE_BITS in 1..8, got %0d, %0d, %0d",
                   NUM_CLASSES, K, CODE_BITS);
  end
  if (SCORE_BITS < 1 || SCORE_BITS > 16 || MAX_SUM >= 2**SCORE_BITS) begin : gen_check_score_bits
    initial $fatal(1, "deltamac_lutnet_classify: SCORE_BITS (%0d) must be in 1..16 and hold CLASS_PARTITIONS*(2^CODE_BITS-1) = %0d",
                   SCORE_BITS, MAX_SUM);
  end

  if (!OK) begin : gen_no_rule
    // only the messages above
    assign scores    = '0;
    assign class_idx = '0;
    logic unused_inputs;
    assign unused_inputs = ^{clk, codes};
  end else begin : gen_rule
    // Class scores: each class's K codes, zero-extended to signed values for the adder tree.
    logic [NUM_CLASSES*SCORE_BITS-1:0] sums;

    for (genvar c = 0; c < NUM_CLASSES; c++) begin : gen_class
      logic [K*(CODE_BITS+1)-1:0] values;  // code k as a non-negative signed value
      logic [SCORE_BITS:0]        sum;     // non-negative, below 2**SCORE_BITS

      for (genvar k = 0; k < K; k++) begin : gen_code
        assign values[k*(CODE_BITS+1) +: CODE_BITS+1] = {1'b0, codes[(c*K + k)*CODE_BITS +: CODE_BITS]};
      end

      deltamac_adder_tree #(
          .INPUTS  (K),
          .IN_BITS (CODE_BITS + 1),
          .OUT_BITS(SCORE_BITS + 1)
      ) u_sum (
          .clk      (clk),
          .in_values(values),
          .out_sum  (sum)
      );

      assign sums[c*SCORE_BITS +: SCORE_BITS] = sum[SCORE_BITS-1:0];
      logic unused_sign;  // 0: the sum of non-negative values that fits SCORE_BITS
      assign unused_sign = sum[SCORE_BITS];
    end

    deltamac_argmax #(
        .N   (NUM_CLASSES),
        .BITS(SCORE_BITS)
    ) u_argmax (
        .clk      (clk),
        .in_values(sums),
        .out_index(class_idx)
    );

    deltamac_delay #(
        .WIDTH(NUM_CLASSES * SCORE_BITS),
        .DEPTH(CLASS_W)
    ) u_scores (
        .clk      (clk),
        .rst      (1'b0),
        .in_value (sums),
        .out_value(scores)
    );
  end

endmodule

`resetall
