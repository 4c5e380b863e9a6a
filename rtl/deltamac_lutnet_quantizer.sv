// deltamac_lutnet_quantizer: the LUT network's input quantiser (ARCHITECTURE.md section 7).
//
// N uint8 features -> N codes of IN_BITS bits: code = #{k : feature >= T_k}, the number of the
// 2**IN_BITS - 1 thresholds the feature reaches, T_k at THRESHOLDS[8*k +: 8] (strictly increasing
// in 1..255, as exported; the default T_k = (k+1) * 2**(8-IN_BITS) gives feature >> (8-IN_BITS)).
// Feature i in features[8*i +: 8], its code in codes[IN_BITS*i +: IN_BITS].
//
// Combinational (the caller registers the codes). With the uniform thresholds (what training
// exports) the code is the feature's top IN_BITS bits; otherwise 2**IN_BITS - 1 comparisons with
// constants per feature, summed. (A 256-entry code table indexed by the feature is the same
// function, but Yosys 0.23 spends minutes and gigabytes on 784 such look-ups.)

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_lutnet_quantizer #(
    // features quantised side by side (>= 1)
    parameter int N       = 1,
    // code width, 1..8
    parameter int IN_BITS = 2,
    // 2**IN_BITS - 1 thresholds, T_k at [8*k +: 8]; default: the uniform ones (feature >> (8 - IN_BITS))
    parameter logic [(2**IN_BITS-1)*8-1:0] THRESHOLDS = uniform_thresholds(),
    // thresholds (derived)
    localparam int NT     = 2**IN_BITS - 1
) (
    // uint8 features, feature i at [8*i +: 8]
    input  wire logic [8*N-1:0]       features,
    // codes, feature i's at [IN_BITS*i +: IN_BITS]
    output logic      [IN_BITS*N-1:0] codes
);

  // T_k = (k+1) * 2**(8-IN_BITS)
  function automatic logic [(2**IN_BITS-1)*8-1:0] uniform_thresholds();
    logic [(2**IN_BITS-1)*8-1:0] t;
    int k;
    for (k = 0; k < 2**IN_BITS - 1; k++) begin
      t[8*k +: 8] = 8'((k + 1) * 2**(8 - IN_BITS));
    end
    uniform_thresholds = t;
  endfunction

  // The thresholds increase strictly and lie in 1..255 (the contract).
  function automatic logic thresholds_ok(input logic [(2**IN_BITS-1)*8-1:0] t);
    logic ok;
    int k;
    ok = t[7:0] != 8'd0;
    for (k = 1; k < 2**IN_BITS - 1; k++) begin
      ok = ok && t[8*k +: 8] > t[8*(k-1) +: 8];
    end
    thresholds_ok = ok;
  endfunction

  if (N < 1 || IN_BITS < 1 || IN_BITS > 8) begin : gen_check_params
    initial $fatal(1, "deltamac_lutnet_quantizer: N (%0d) must be >= 1 and IN_BITS (%0d) in 1..8", N, IN_BITS);
  end else begin : gen_quantizer
    if (!thresholds_ok(THRESHOLDS)) begin : gen_check_thresholds
      initial $fatal(1, "deltamac_lutnet_quantizer: the %0d THRESHOLDS (%h, T_0 in the low byte) must increase strictly within 1..255",
                     NT, THRESHOLDS);
    end

    if (THRESHOLDS == uniform_thresholds()) begin : gen_uniform
      for (genvar i = 0; i < N; i++) begin : gen_feature
        assign codes[IN_BITS*i +: IN_BITS] = features[8*i + 8 - IN_BITS +: IN_BITS];
        if (IN_BITS < 8) begin : gen_low_bits
          logic unused_low_bits;  // below the code
          assign unused_low_bits = ^features[8*i +: 8 - IN_BITS];
        end
      end
    end else begin : gen_thresholds
      for (genvar i = 0; i < N; i++) begin : gen_feature
        logic [NT-1:0]      reached;  // reached[k]: feature >= T_k
        logic [IN_BITS-1:0] count;    // the reached thresholds (at most NT = 2**IN_BITS - 1)

        for (genvar k = 0; k < NT; k++) begin : gen_threshold
          assign reached[k] = features[8*i +: 8] >= THRESHOLDS[8*k +: 8];
        end

        always_comb begin
          count = '0;
          for (int k = 0; k < NT; k++) begin
            count = count + IN_BITS'(reached[k]);
          end
        end

        assign codes[IN_BITS*i +: IN_BITS] = count;
      end
    end
  end

endmodule

`resetall
