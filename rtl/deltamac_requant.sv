// deltamac_requant: acc + bias, then y = clamp(((acc + bias) * M + 2**(k-1)) >> k, lo, hi).
//
// ARCHITECTURE.md section 1: `>>` floors (arithmetic shift), so with + 2**(k-1) the rounding
// is half up; lo, hi = -2**(b-1), 2**(b-1)-1 (in_out_signed, clamp/hardtanh) or 0, 2**b-1 (relu),
// b = in_act_bits, the layer's own output width (2..ACT_BITS; the result is sign- or zero-extended
// to ACT_BITS bits). Saturates, never wraps. Also outputs the raw acc + bias (logits).
// acc + bias is computed at ACC_BITS (it fits by construction of ACC_BITS); the product
// (acc + bias) * M is exact in ACC_BITS + MULT_BITS bits (M is unsigned). The rounding uses
//   floor((x + 2**(k-1)) / 2**k) = floor((floor(x / 2**(k-1)) + 1) / 2),
// i.e. t = x >>> (k-1), y = (t + 1) >>> 1, which needs no 2**(k-1) constant wider than x and is
// exact for every k in 1..2**SHIFT_BITS-1 (k = 0 is outside the contract and gives garbage).
//
// Pipeline, one neuron per cycle, LATENCY = 10 cycles from in_valid to out_valid:
//   stage 1: sum = in_acc + in_bias; M, k-1, signedness and the b-bit range mask registered
//            (one adder; DSP A1/B1 registers)
//   stage 2: each chunk of sum and M registered again, per chunk      (DSP A2/B2 registers)
//   stage 3: partial products: sum split into CHUNK_BITS-bit unsigned chunks under a signed top
//            chunk of at most CHUNK_BITS + 1 bits, each times M (an 18 x 18 signed multiplier
//            per chunk: MULT18X18D, DSP48E1; the DSP M register)
//   stage 4: the partial products registered again                  (DSP P register)
//   stage 5: product = sum of the shifted partial products. A partial product has
//            CHUNK_BITS + MULT_BITS <= 2 * CHUNK_BITS bits, so the even chunks' products do not
//            overlap (nor do the odd ones'): they are concatenated, and one adder joins the two
//   stage 6: product >>> the multiple-of-8 part of k-1                (shifter only)
//   stage 7: t = that >>> the rest of k-1 (0..7)                       (shifter only)
//   stage 8: y = (t + 1) >>> 1                                        (one adder)
//   stage 9: range tests of y registered (sign, upper bits all equal / any set, at ACT_BITS and b)
//   stage 10: saturate y to [lo, hi] (a select on the registered tests)
// The registers of stages 2 to 4 have one load each, so they can go inside the multiplier
// blocks (DSP48E1 A2/B2, M and P; MULT18X18D input, pipeline and output registers, see
// scripts/ecp5_regpack.py).

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_requant #(
  parameter int ACC_BITS   = 32, // accumulator width (signed), 2..40 (ARCHITECTURE.md: acc_bits <= 40)
  parameter int BIAS_BITS  = 32, // bias width (signed), 1..ACC_BITS
  parameter int MULT_BITS  = 16, // multiplier M width (unsigned), 1..17 (M as an 18-bit signed multiplier operand)
  parameter int ACT_BITS   = 8,  // widest output activation width, 2..ACC_BITS (out_act's width)
  parameter int SHIFT_BITS = 6,  // width of the requantisation shift k (>= 1)
  parameter int USER_WIDTH = 1,  // sideband carried alongside (>= 1)
  localparam int ACT_W     = $clog2(ACT_BITS + 1) // width of in_act_bits (derived)
) (
  input  wire logic                         clk,           // clock
  input  wire logic                         rst,           // synchronous active-high reset
  input  wire logic                         in_valid,      // a neuron's accumulator is presented
  input  wire logic signed [ACC_BITS-1:0]   in_acc,        // sum_i w_i * a_i (without bias)
  input  wire logic signed [BIAS_BITS-1:0]  in_bias,       // the neuron's bias
  input  wire logic [MULT_BITS-1:0]         in_mult,       // unsigned M
  input  wire logic [SHIFT_BITS-1:0]        in_shift,      // k >= 1
  input  wire logic                         in_out_signed, // 1: clamp to [-2^(b-1), 2^(b-1)-1]; 0: relu to [0, 2^b-1]
  input  wire logic [ACT_W-1:0]             in_act_bits,   // b: the neuron's output width, 2..ACT_BITS
  input  wire logic [USER_WIDTH-1:0]        in_user,       // sideband, delayed by LATENCY
  output logic                         out_valid,     // out_act, out_logit and out_user are valid
  output logic [ACT_BITS-1:0]          out_act,       // requantised activation (bit pattern)
  output logic signed [ACC_BITS-1:0]   out_logit,     // acc + bias (the last layer's logit)
  output logic [USER_WIDTH-1:0]        out_user       // in_user of this neuron
);

  // Cycles from in_valid to out_valid.
  localparam int LATENCY = 10;

  // Low bits of k-1 shifted in stage 7 (the rest in stage 6): two shallow shifters, not one deep.
  localparam int FINE_BITS = SHIFT_BITS < 3 ? SHIFT_BITS : 3;
  // Exact width of (acc + bias) * M.
  localparam int PROD_BITS = ACC_BITS + MULT_BITS;
  // Width of t + 1 (t = product >>> (k-1) may be the largest PROD_BITS value).
  localparam int RND_BITS = PROD_BITS + 1;
  // Width of an unsigned low chunk of acc + bias (17 x 17 bits: one 18 x 18 signed multiplier).
  localparam int CHUNK_BITS = 17;
  // Unsigned low chunks below the signed top chunk of 2..CHUNK_BITS+1 bits.
  localparam int LOW_CHUNKS = (ACC_BITS - 2) / CHUNK_BITS;
  // Width of the signed top chunk.
  localparam int TOP_BITS = ACC_BITS - LOW_CHUNKS * CHUNK_BITS;

  if (ACC_BITS < 2 || ACC_BITS > 40 || BIAS_BITS < 1 || BIAS_BITS > ACC_BITS) begin : gen_acc_check
    initial $fatal(1, "deltamac_requant: ACC_BITS (%0d) must be in 2..40 and BIAS_BITS (%0d) in 1..ACC_BITS",
                   ACC_BITS, BIAS_BITS);
  end
  if (ACT_BITS < 2 || ACT_BITS > ACC_BITS || MULT_BITS < 1 || MULT_BITS > CHUNK_BITS || SHIFT_BITS < 1 || USER_WIDTH < 1) begin : gen_width_check
    initial $fatal(1, "deltamac_requant: need 2 <= ACT_BITS (%0d) <= ACC_BITS, MULT_BITS (%0d) in 1..17, SHIFT_BITS (%0d) >= 1, USER_WIDTH (%0d) >= 1",
                   ACT_BITS, MULT_BITS, SHIFT_BITS, USER_WIDTH);
  end

  // ---------------------------------------------------------------------------------------------
  // Control and per-neuron operands travelling with the data.
  logic [LATENCY-1:0]            valid_q;
  logic [LATENCY*USER_WIDTH-1:0] user_q;
  logic [9*ACC_BITS-1:0]         logit_q;   // stages 2..10
  logic [6*SHIFT_BITS-1:0]       shift_q;   // k-1, stages 1..6
  logic [9-1:0]                  signed_q;  // stages 1..9
  logic [9*ACT_BITS-1:0]         low_q;     // stages 1..9: ones below the sign bit (clamp) or below bit b (relu)

  always_ff @(posedge clk) begin
    if (rst) begin
      valid_q <= '0;
    end else begin
      valid_q <= LATENCY'({valid_q, in_valid});
    end
  end

  // The largest value of a b-bit output: 2**(b-1)-1 (clamp) or 2**b-1 (relu), as ACT_BITS bits.
  // Its complement is the smallest clamp value sign-extended, and the bits that must all equal
  // the sign (or be 0 for relu) for y to be in range.
  function automatic logic [ACT_BITS-1:0] low_mask(input logic [ACT_W-1:0] bits, input logic out_signed);
    logic [ACT_BITS:0] top;
    top = (ACT_BITS+1)'(1) << (out_signed ? bits - ACT_W'(1) : bits);
    low_mask = ACT_BITS'(top - (ACT_BITS+1)'(1));  // Yosys 0.23 has no `return`
  endfunction

  // ---------------------------------------------------------------------------------------------
  // Stage 1: bias add, M registered (stage 2, the operands registered again, is per chunk).
  logic signed [ACC_BITS-1:0]  sum_q;
  logic [MULT_BITS-1:0]        mult_q;

  always_ff @(posedge clk) begin
    user_q   <= (LATENCY*USER_WIDTH)'({user_q, in_user});
    shift_q  <= (6*SHIFT_BITS)'({shift_q, in_shift - SHIFT_BITS'(1)});
    signed_q <= 9'({signed_q, in_out_signed});
    low_q    <= (9*ACT_BITS)'({low_q, low_mask(in_act_bits, in_out_signed)});
    sum_q    <= in_acc + ACC_BITS'(in_bias);
    mult_q   <= in_mult;
    logit_q  <= (9*ACC_BITS)'({logit_q, sum_q});
  end

  // ---------------------------------------------------------------------------------------------
  // Stages 3-5: product (acc + bias) * M from partial products. Chunk c (offset c * CHUNK_BITS)
  // goes, zero- (low chunks) or sign-extended (top chunk) and shifted into place, into the even
  // or the odd operand; its bits there are disjoint from every other chunk's of the same parity,
  // so each operand is an OR (wiring) and only one adder joins them. Each chunk registers its
  // own copy of its operands (stage 2): a multiplier's operand registers then have no other
  // load and go inside it (DSP48E1 A2/B2; MULT18X18D input registers in scripts/ecp5_regpack.py).
  for (genvar c = 0; c <= LOW_CHUNKS; c++) begin : gen_chunk
    localparam int OFFSET = c * CHUNK_BITS;
    logic [PROD_BITS-1:0] placed;   // partial product << OFFSET at PROD_BITS
    logic [PROD_BITS-1:0] even_acc; // OR of the placed even chunks 0..c
    logic [PROD_BITS-1:0] odd_acc;  // OR of the placed odd chunks 0..c

    if (c < LOW_CHUNKS) begin : gen_low
      (* use_dsp = "yes" *)
      logic [CHUNK_BITS+MULT_BITS-1:0] pp_q, pp_q2;  // unsigned chunk * M (exact)
      logic [CHUNK_BITS-1:0]           chunk_q2;
      logic [MULT_BITS-1:0]            mult_q2;
      always_ff @(posedge clk) begin
        chunk_q2 <= sum_q[OFFSET +: CHUNK_BITS];
        mult_q2  <= mult_q;
        pp_q     <= chunk_q2 * mult_q2;
        pp_q2    <= pp_q;
      end
      assign placed = PROD_BITS'(pp_q2) << OFFSET;
    end else begin : gen_top
      (* use_dsp = "yes" *)
      logic signed [TOP_BITS+MULT_BITS-1:0] pp_q, pp_q2;  // signed top chunk * M (exact)
      logic signed [TOP_BITS-1:0]           chunk_q2;
      logic [MULT_BITS-1:0]                 mult_q2;
      always_ff @(posedge clk) begin
        chunk_q2 <= sum_q[ACC_BITS-1 -: TOP_BITS];
        mult_q2  <= mult_q;
        pp_q     <= (TOP_BITS+MULT_BITS)'(chunk_q2 * $signed({1'b0, mult_q2}));
        pp_q2    <= pp_q;
      end
      assign placed = PROD_BITS'(pp_q2) << OFFSET;
    end

    if (c == 0) begin : gen_first_acc
      assign even_acc = placed;
      assign odd_acc  = '0;
    end else if (c % 2 == 0) begin : gen_even
      assign even_acc = gen_chunk[c-1].even_acc | placed;
      assign odd_acc  = gen_chunk[c-1].odd_acc;
    end else begin : gen_odd
      assign even_acc = gen_chunk[c-1].even_acc;
      assign odd_acc  = gen_chunk[c-1].odd_acc | placed;
    end
  end

  logic signed [PROD_BITS-1:0] prod_q;

  always_ff @(posedge clk) begin
    prod_q <= gen_chunk[LOW_CHUNKS].even_acc + gen_chunk[LOW_CHUNKS].odd_acc;
  end

  // ---------------------------------------------------------------------------------------------
  // Stages 6-7: t = product >>> (k-1), coarse then fine.
  logic [SHIFT_BITS-1:0]       coarse_shift, fine_shift;
  logic signed [PROD_BITS-1:0] coarse_q;
  logic signed [PROD_BITS-1:0] scaled_q;

  // ~(...) in parentheses: Yosys 0.23 drops the ~ of ~SHIFT_BITS'(x) (found by make sim-netlist).
  assign coarse_shift = shift_q[5*SHIFT_BITS-1 -: SHIFT_BITS] & ~(SHIFT_BITS'((1 << FINE_BITS) - 1));
  assign fine_shift   = shift_q[6*SHIFT_BITS-1 -: SHIFT_BITS] & SHIFT_BITS'((1 << FINE_BITS) - 1);

  always_ff @(posedge clk) begin
    coarse_q <= prod_q >>> coarse_shift;
    scaled_q <= coarse_q >>> fine_shift;
  end

  // ---------------------------------------------------------------------------------------------
  // Stage 8: y = (t + 1) >>> 1.
  logic signed [PROD_BITS-1:0] rounded_d;
  logic signed [PROD_BITS-1:0] rounded_q;

  // (t + 1) >>> 1 fits PROD_BITS again; the cast drops the duplicated sign bit.
  assign rounded_d = PROD_BITS'((RND_BITS'(scaled_q) + RND_BITS'(1)) >>> 1);

  always_ff @(posedge clk) begin
    rounded_q <= rounded_d;
  end

  // ---------------------------------------------------------------------------------------------
  // Stages 9-10: range tests registered, then saturate. Signed: in range iff bits
  // [PROD_BITS-1 : b-1] are all equal. Unsigned: negative -> 0; any bit in [PROD_BITS-2 : b]
  // set -> 2**b - 1. Each test is the ACT_BITS-wide one plus the bits of the low ACT_BITS that
  // the b-bit mask excludes (none when b = ACT_BITS for relu; only bit ACT_BITS-1 for clamp,
  // which the wide test covers).
  logic                rnd_signed;       // clamp (1) or relu (0) for this neuron
  logic                rnd_negative_q;   // y < 0
  logic                signed_over_q;    // y outside the signed ACT_BITS range
  logic                unsigned_over_q;  // y >= 2**ACT_BITS (when y >= 0)
  logic                narrow_over_q;    // a bit of y's low ACT_BITS above the b-bit range differs from y's sign
  logic [ACT_BITS-1:0] rnd_low_mask;     // the b-bit mask of this neuron (low_mask)
  logic [ACT_BITS-1:0] rnd_low_q;        // y's low ACT_BITS bits (y when in range)
  logic [ACT_BITS-1:0] act_d;
  logic [ACT_BITS-1:0] act_q;

  always_ff @(posedge clk) begin
    rnd_negative_q  <= rounded_q[PROD_BITS-1];
    signed_over_q   <= rounded_q[PROD_BITS-1:ACT_BITS-1] != {(PROD_BITS-ACT_BITS+1){rounded_q[PROD_BITS-1]}};
    unsigned_over_q <= |rounded_q[PROD_BITS-2:ACT_BITS];
    rnd_low_q       <= rounded_q[ACT_BITS-1:0];
    narrow_over_q   <= |((rounded_q[ACT_BITS-1:0] ^ {ACT_BITS{rounded_q[PROD_BITS-1]}}) & ~low_q[8*ACT_BITS-1 -: ACT_BITS]);
  end

  assign rnd_signed   = signed_q[8];
  assign rnd_low_mask = low_q[9*ACT_BITS-1 -: ACT_BITS];

  always_comb begin
    act_d = rnd_low_q;
    if (rnd_signed) begin
      if (signed_over_q || narrow_over_q) begin
        act_d = rnd_negative_q ? ~rnd_low_mask : rnd_low_mask;
      end
    end else if (rnd_negative_q) begin
      act_d = '0;
    end else if (unsigned_over_q || narrow_over_q) begin
      act_d = rnd_low_mask;
    end
  end

  always_ff @(posedge clk) begin
    act_q <= act_d;
  end

  assign out_valid = valid_q[LATENCY-1];
  assign out_act   = act_q;
  assign out_logit = logit_q[9*ACC_BITS-1 -: ACC_BITS];
  assign out_user  = user_q[LATENCY*USER_WIDTH-1 -: USER_WIDTH];

endmodule

`resetall
