// deltamac_delta_decoder: one ROM word of LANES deltas -> LANES signed weights per cycle.
//
// Decodes ARCHITECTURE.md section 2 with s = in_shift:
//   SCHEME 0 plain:           w_p = d_p
//   SCHEME 1 fixed_reference: w_p = in_ref + d_p * 2**s
//   SCHEME 2 consecutive:     w_p = w_{p-1} + d_p * 2**s, where w_{-1} is in_ref on a word with
//                             in_group_start and otherwise the last lane's weight of the previous
//                             valid word (the chain runs across the words of a group).
// All arithmetic is modulo 2**WEIGHT_BITS: for a valid ROM every decoded weight (and, for
// consecutive, every partial chain value) is an in-range weight, so the wrapped result is exact.
// Padded lanes at the end of a row hold delta 0 and so leave the consecutive chain unchanged
// (their weights are don't-care: the caller masks their activations).
//
// Pipeline (one register per stage, words back to back or with gaps in in_valid):
//   stage 1: the delta word and the shift registered (no logic: the block RAM's clock-to-out
//            and its routing get a cycle of their own)
//   stage 2: sign-extend each delta to WEIGHT_BITS and shift left by s  (mux logic only)
//   SCHEME 1, stage 3: add the reference                              (one adder level)
//   SCHEME 2, stages 3..2+PREFIX_LEVELS: Sklansky prefix sum of the scaled deltas over the lanes
//            (one adder level per stage), last stage: base + prefix with base = in_ref on a group
//            start, else the previous word's last weight (the only loop: mux + one adder).
// LATENCY (cycles from in_valid to out_valid) = 2 (plain), 3 (fixed_reference),
// 3 + ceil(log2(LANES)) (consecutive). out_weights holds between valid words.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_delta_decoder #(
  parameter int LANES       = 16, // weights per word, 1..32
  parameter int DELTA_BITS  = 4,  // stored delta width: 1..8, or == WEIGHT_BITS for plain
  parameter int WEIGHT_BITS = 8,  // decoded weight width, 2..16
  parameter int SCHEME      = 1,  // 0 plain (DELTA_BITS must == WEIGHT_BITS), 1 fixed_reference, 2 consecutive
  parameter int SHIFT_BITS  = 4,  // width of the per-layer delta shift s (>= 1)
  parameter int USER_WIDTH  = 1   // sideband carried alongside, aligned with the output (>= 1)
) (
  input  wire logic                         clk,            // clock
  input  wire logic                         rst,            // synchronous active-high reset
  input  wire logic                         in_valid,       // a delta word is presented
  input  wire logic [LANES*DELTA_BITS-1:0]  in_deltas,      // lane p at [p*DELTA_BITS +: DELTA_BITS], two's complement
  input  wire logic [WEIGHT_BITS-1:0]       in_ref,         // the group's reference (signed); used every word (fixed_reference) or with in_group_start (consecutive)
  input  wire logic                         in_group_start, // first word of a reference group: the consecutive chain restarts at in_ref
  input  wire logic [SHIFT_BITS-1:0]        in_shift,       // delta step 2**s (ignored by plain)
  input  wire logic [USER_WIDTH-1:0]        in_user,        // sideband, delayed by LATENCY
  output logic                         out_valid,      // out_weights holds a decoded word
  output logic [LANES*WEIGHT_BITS-1:0] out_weights,    // lane p at [p*WEIGHT_BITS +: WEIGHT_BITS], signed
  output logic [USER_WIDTH-1:0]        out_user        // in_user of the word on out_weights
);

  localparam int SchemePlain = 0;
  localparam int SchemeConsecutive = 2;
  // Sklansky prefix-sum levels (consecutive only).
  localparam int PREFIX_LEVELS = (SCHEME == SchemeConsecutive && LANES > 1) ? $clog2(LANES) : 0;
  // Cycles from in_valid to out_valid.
  localparam int LATENCY = (SCHEME == SchemePlain) ? 2 : 3 + PREFIX_LEVELS;
  // Stages between the input register and the output register (reference/group-start delay).
  localparam int TAG_STAGES = LATENCY - 1;

  if (LANES < 1 || LANES > 32) begin : gen_lanes_check
    initial $fatal(1, "deltamac_delta_decoder: LANES must be in 1..32, got %0d", LANES);
  end
  if (WEIGHT_BITS < 2 || WEIGHT_BITS > 16) begin : gen_weight_bits_check
    initial $fatal(1, "deltamac_delta_decoder: WEIGHT_BITS must be in 2..16, got %0d", WEIGHT_BITS);
  end
  if (SCHEME < 0 || SCHEME > 2) begin : gen_scheme_check
    initial $fatal(1, "deltamac_delta_decoder: SCHEME must be 0 (plain), 1 (fixed_reference) or 2 (consecutive), got %0d",
                   SCHEME);
  end
  if (SCHEME == SchemePlain && DELTA_BITS != WEIGHT_BITS) begin : gen_plain_check
    initial $fatal(1, "deltamac_delta_decoder: plain (SCHEME 0) stores weights directly, DELTA_BITS (%0d) must equal WEIGHT_BITS (%0d)",
                   DELTA_BITS, WEIGHT_BITS);
  end
  if (SCHEME != SchemePlain && (DELTA_BITS < 1 || DELTA_BITS > 8)) begin : gen_delta_bits_check
    initial $fatal(1, "deltamac_delta_decoder: DELTA_BITS must be in 1..8, got %0d", DELTA_BITS);
  end
  if (SHIFT_BITS < 1 || USER_WIDTH < 1) begin : gen_width_check
    initial $fatal(1, "deltamac_delta_decoder: SHIFT_BITS (%0d) and USER_WIDTH (%0d) must be >= 1", SHIFT_BITS, USER_WIDTH);
  end

  // ---------------------------------------------------------------------------------------------
  // Control: valid and sideband delay lines (LATENCY deep), reference and group start (TAG_STAGES).
  logic [LATENCY-1:0]            valid_q;
  logic [LATENCY*USER_WIDTH-1:0] user_q;

  always_ff @(posedge clk) begin
    if (rst) begin
      valid_q <= '0;
    end else begin
      valid_q <= LATENCY'({valid_q, in_valid});
    end
  end

  always_ff @(posedge clk) begin
    user_q <= (LATENCY*USER_WIDTH)'({user_q, in_user});
  end

  assign out_valid = valid_q[LATENCY-1];
  assign out_user  = user_q[LATENCY*USER_WIDTH-1 -: USER_WIDTH];

  // ---------------------------------------------------------------------------------------------
  // Stage 1: input word and shift registered.
  logic [LANES*DELTA_BITS-1:0] deltas_q;
  logic [SHIFT_BITS-1:0]       shift_q;

  always_ff @(posedge clk) begin
    if (in_valid) begin
      deltas_q <= in_deltas;
      shift_q  <= in_shift;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Stage 2: scaled deltas d_p * 2**s at WEIGHT_BITS (plain: the weights themselves).
  // Lane p of every LANES-lane bus below is at [p*WEIGHT_BITS +: WEIGHT_BITS].
  logic [LANES*WEIGHT_BITS-1:0] scaled_d;
  logic [LANES*WEIGHT_BITS-1:0] scaled_q;

  // Only elaborated for a legal DELTA_BITS, so that DELTA_BITS = 0 reaches its $fatal above
  // instead of a zero-width part-select error.
  if (DELTA_BITS >= 1) begin : gen_delta_lanes
    for (genvar p = 0; p < LANES; p++) begin : gen_scale
      logic signed [WEIGHT_BITS-1:0] delta;
      assign delta = WEIGHT_BITS'($signed(deltas_q[p*DELTA_BITS +: DELTA_BITS]));
      if (SCHEME == SchemePlain) begin : gen_copy
        assign scaled_d[p*WEIGHT_BITS +: WEIGHT_BITS] = delta;
      end else begin : gen_shift
        assign scaled_d[p*WEIGHT_BITS +: WEIGHT_BITS] = delta <<< shift_q;
      end
    end
  end

  always_ff @(posedge clk) begin
    if (valid_q[0]) begin
      scaled_q <= scaled_d;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Scheme-specific stages.
  if (SCHEME == SchemePlain) begin : gen_plain
    logic unused_inputs;
    assign unused_inputs = ^{in_ref, in_group_start, shift_q};
    assign out_weights = scaled_q;

  end else begin : gen_ref
    // Reference, delayed to the output stage's input (stage t at [t*WEIGHT_BITS +: WEIGHT_BITS]).
    logic [TAG_STAGES*WEIGHT_BITS-1:0] ref_q;
    logic [WEIGHT_BITS-1:0]            stage_ref;
    logic [LANES*WEIGHT_BITS-1:0]      weights_q;

    always_ff @(posedge clk) begin
      ref_q <= (TAG_STAGES*WEIGHT_BITS)'({ref_q, in_ref});
    end

    assign stage_ref   = ref_q[(TAG_STAGES-1)*WEIGHT_BITS +: WEIGHT_BITS];
    assign out_weights = weights_q;

    if (SCHEME == SchemeConsecutive) begin : gen_consecutive
      // Group start, delayed like the reference.
      logic [TAG_STAGES-1:0] start_q;
      always_ff @(posedge clk) begin
        start_q <= TAG_STAGES'({start_q, in_group_start});
      end

      // Sklansky prefix sum: at level lv, every lane whose index has bit lv-1 set adds the
      // last lane of the preceding half-block. Level 0 = the scaled deltas.
      for (genvar lv = 0; lv <= PREFIX_LEVELS; lv++) begin : gen_level
        logic [LANES*WEIGHT_BITS-1:0] sum_q;
        if (lv == 0) begin : gen_input
          assign sum_q = scaled_q;
        end else begin : gen_stage
          localparam int HALF = 1 << (lv - 1);
          logic [LANES*WEIGHT_BITS-1:0] sum_d;
          for (genvar p = 0; p < LANES; p++) begin : gen_lane
            if ((p / HALF) % 2 == 1) begin : gen_add
              localparam int SRC = (p / HALF) * HALF - 1;
              assign sum_d[p*WEIGHT_BITS +: WEIGHT_BITS] = gen_level[lv-1].sum_q[p*WEIGHT_BITS +: WEIGHT_BITS]
                                                         + gen_level[lv-1].sum_q[SRC*WEIGHT_BITS +: WEIGHT_BITS];
            end else begin : gen_pass
              assign sum_d[p*WEIGHT_BITS +: WEIGHT_BITS] = gen_level[lv-1].sum_q[p*WEIGHT_BITS +: WEIGHT_BITS];
            end
          end
          always_ff @(posedge clk) begin
            sum_q <= sum_d;
          end
        end
      end

      // Output stage: the running chain value is the previous valid word's last lane.
      logic [WEIGHT_BITS-1:0] base;
      assign base = start_q[TAG_STAGES-1] ? stage_ref : weights_q[(LANES-1)*WEIGHT_BITS +: WEIGHT_BITS];

      for (genvar p = 0; p < LANES; p++) begin : gen_lane
        always_ff @(posedge clk) begin
          if (valid_q[LATENCY-2]) begin
            weights_q[p*WEIGHT_BITS +: WEIGHT_BITS] <= base + gen_level[PREFIX_LEVELS].sum_q[p*WEIGHT_BITS +: WEIGHT_BITS];
          end
        end
      end

    end else begin : gen_fixed_reference
      logic unused_group_start;
      assign unused_group_start = in_group_start;

      for (genvar p = 0; p < LANES; p++) begin : gen_lane
        always_ff @(posedge clk) begin
          if (valid_q[LATENCY-2]) begin
            weights_q[p*WEIGHT_BITS +: WEIGHT_BITS] <= stage_ref + scaled_q[p*WEIGHT_BITS +: WEIGHT_BITS];
          end
        end
      end
    end
  end

endmodule

`resetall
