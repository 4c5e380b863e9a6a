// deltamac_layer_engine: one layer of the dataflow architecture (ARCHITECTURE.md section 6).
//
// Per image it issues WORDS = CHUNKS * N_OUT / NEURONS words back to back, neuron group by
// group (NEURONS neurons in parallel), word by word: the delta / reference ROM read and the
// activation word of the input buffer. Per parallel neuron a deltamac_delta_decoder and a
// deltamac_mac_array (LANE_KIND 0: multiplier blocks, 1: LUT products) sums the neuron; with
// LANE_KIND 2 (fixed_reference only) the lanes multiply the deltas instead: for one reference per
// row, sum_i w_i a_i = r * A + 2**s * sum_i d_i a_i with A = sum_i a_i the same for every neuron of
// the image, so the engine sums A once (one activation tree) and each neuron has only a
// deltamac_mac_array of narrow delta products; r * A is added after the serialiser by the layer's
// one reference multiplier. With several reference groups per row each neuron has a
// deltamac_delta_mac_array. A serialiser hands the NEURONS sums of a group one per cycle to the
// bias / multiplier ROMs and the layer's deltamac_requant, whose outputs leave in neuron order.
//
// Pipeline (t = a word's issue cycle): activation read requested at t-1 (in_rd_*_next), ROM
// reads at t + IN_LATENCY - 2 (the ROM address and the word's tags wait for the activation word
// when IN_LATENCY is 3), both words at t + IN_LATENCY - 1 (stage 1: lanes masked and extended),
// decoder + MAC array (or delta MAC array), serialiser, with shared references the reference term
// (+3), bias / multiplier ROM read (+1), requant (+10; the last layer: + bias, +1) -> out_*.
//
// An image starts in the cycle after the input vector is complete (in_full) and the output may be
// claimed (out_ok: the next buffer's bank, or the output stage) while the engine is idle: the
// decision is registered (start_q), so the bank state of two buffers reaches the engine's counters
// through a flip-flop (one cycle per image; both conditions hold until this engine acts on them).
// The start pulses out_claim and takes
// out_claim_bank as the bank tag of every output. The last word's issue pulses in_release.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_layer_engine #(
    // inputs of the layer (n_in)
    parameter int N_IN          = 784,
    // outputs of the layer (n_out)
    parameter int N_OUT         = 16,
    // activations per word, P (1..32, at most N_IN)
    parameter int LANES         = 16,
    // neurons computed in parallel, N (divides N_OUT, at most CHUNKS)
    parameter int NEURONS       = 1,
    // 0: decoder + multiplier-block lanes, 1: decoder + LUT lanes, 2: delta-domain LUT lanes (fixed_reference)
    parameter int LANE_KIND     = 0,
    // the layer's own weight format: 0 plain, 1 fixed_reference, 2 consecutive
    parameter int SCHEME        = 1,
    // decoded weight width
    parameter int WEIGHT_BITS   = 8,
    // stored delta width (== WEIGHT_BITS for plain)
    parameter int DELTA_BITS    = 4,
    // words per reference group (CHUNKS for one group per row)
    parameter int GROUP_WORDS   = 49,
    // delta shift s
    parameter int DELTA_SHIFT   = 0,
    // requantisation shift k (ignored when LAST_LAYER = 1)
    parameter int REQ_SHIFT     = 8,
    // 1: input activations signed (stored as IN_BITS-bit two's complement)
    parameter int IN_SIGNED     = 0,
    // 1: clamp (signed output), 0: relu
    parameter int OUT_SIGNED    = 0,
    // stored width of an input activation (8 for pixels)
    parameter int IN_BITS       = 8,
    // output activation width b of the layer (2..ACT_BITS)
    parameter int OUT_ACT_BITS  = 8,
    // 1: the network's last layer (outputs are logits, not requantised)
    parameter int LAST_LAYER    = 0,
    // accumulator width of the network (ACC_BITS)
    parameter int ACC_BITS      = 28,
    // bias width (BIAS_BITS)
    parameter int BIAS_BITS     = 28,
    // multiplier width (MULT_BITS)
    parameter int MULT_BITS     = 16,
    // width of out_act (the widest activation, ACT_BITS)
    parameter int ACT_BITS      = 8,
    // a ROM costing at most this many LUT6 as distributed memory (WIDTH * ceil(DEPTH/64)) is distributed, else block RAM
    parameter int DIST_MAX_LUTS = 128,
    // $readmemh image of the delta ROM
    parameter     DELTA_ROM_FILE = "",
    // $readmemh image of the reference ROM (unused for plain)
    parameter     REF_ROM_FILE   = "",
    // $readmemh image of the bias ROM
    parameter     BIAS_ROM_FILE  = "",
    // $readmemh image of the multiplier ROM (unused when LAST_LAYER = 1)
    parameter     MULT_ROM_FILE  = "",
    // cycles from in_rd_en_next to in_rd_data, 2 or 3 (the input buffer's READ_LATENCY)
    parameter int IN_LATENCY     = 2,
    // words per row, C (derived)
    localparam int CHUNKS       = (N_IN + LANES - 1) / LANES,
    // input buffer word address width (derived)
    localparam int CHUNK_AW     = $clog2(CHUNKS > 1 ? CHUNKS : 2)
) (
    // clock
    input  wire logic                        clk,
    // synchronous active-high reset
    input  wire logic                        rst,

    // the input buffer holds a complete vector
    input  wire logic                        in_full,
    // one-cycle pulse: the last read of the input vector is issued
    output logic                             in_release,
    // input buffer read request for the next cycle
    output logic                             in_rd_en_next,
    // input buffer word address to read in the next cycle
    output logic      [CHUNK_AW-1:0]         in_rd_addr_next,
    // input buffer word, IN_LATENCY cycles after in_rd_en_next (lane p at [p*IN_BITS +: IN_BITS])
    input  wire logic [LANES*IN_BITS-1:0]    in_rd_data,

    // the output may be claimed (next buffer's bank free, or the output stage ready)
    input  wire logic                        out_ok,
    // one-cycle pulse: an image starts, the output is claimed
    output logic                             out_claim,
    // bank tag of the claimed output, sampled with out_claim
    input  wire logic                        out_claim_bank,

    // one neuron's result
    output logic                             out_valid,
    // requantised activation (bit pattern, ACT_BITS wide; OUT_ACT_BITS significant)
    output logic      [ACT_BITS-1:0]         out_act,
    // acc + bias (the logit of the last layer)
    output logic      [ACC_BITS-1:0]         out_logit,
    // first neuron of the layer
    output logic                             out_first,
    // last neuron of the layer
    output logic                             out_last,
    // bank tag of the image
    output logic                             out_bank,

    // an image is being issued
    output logic                             busy
);

  localparam int GROUPS      = N_OUT / NEURONS;  // neuron groups per image
  localparam int GROUP_AW    = $clog2(GROUPS > 1 ? GROUPS : 2);
  localparam int GWORD_AW    = $clog2(GROUP_WORDS > 1 ? GROUP_WORDS : 2);
  localparam int REF_GROUPS  = CHUNKS / GROUP_WORDS;  // reference groups per row
  localparam int DELTA_DEPTH = GROUPS * CHUNKS;
  localparam int REF_DEPTH   = GROUPS * REF_GROUPS;
  localparam int DELTA_AW    = $clog2(DELTA_DEPTH > 1 ? DELTA_DEPTH : 2);
  localparam int REF_AW      = $clog2(REF_DEPTH > 1 ? REF_DEPTH : 2);
  localparam int NEURON_AW   = $clog2(N_OUT > 1 ? N_OUT : 2);
  localparam int LAST_LANES  = N_IN - (CHUNKS - 1) * LANES;  // lanes used by a row's last word
  localparam int MAC_ACT_W   = IN_BITS + (IN_SIGNED != 0 ? 0 : 1);  // activations as fed: signed
  localparam int WORD_W      = NEURONS * LANES * DELTA_BITS;
  localparam int K_W         = $clog2(NEURONS > 1 ? NEURONS : 2);
  localparam int LEFT_W      = $clog2(NEURONS + 1);
  localparam int ACT_W       = $clog2(ACT_BITS + 1);
  // Delta lanes with one reference per row: the activation sum A is shared by all neurons.
  localparam int SHARED_REF  = LANE_KIND == 2 && GROUP_WORDS == CHUNKS ? 1 : 0;
  localparam int TREE_LEVELS = LANES > 1 ? $clog2(LANES) : 0;
  localparam int SUM_W       = MAC_ACT_W + $clog2(N_IN + 1);  // |A| over a row, exact
  localparam int REF_W       = SHARED_REF != 0 ? WEIGHT_BITS : 1;  // a neuron's reference, carried to the serialiser

  // A ROM goes to distributed memory when that costs few LUTs (see DIST_MAX_LUTS).
  function automatic int distributed(input int width, input int depth);
    distributed = width * ((depth + 63) / 64) <= DIST_MAX_LUTS ? 1 : 0;
  endfunction

  // ---------------------------------------------------------------------------------------------
  // Parameter checks.
  if (LANES < 1 || LANES > 32 || LANES > N_IN) begin : gen_check_lanes
    initial $fatal(1, "deltamac_layer_engine: LANES must be in 1..32 and at most N_IN (%0d), got %0d", N_IN, LANES);
  end
  if (NEURONS < 1 || N_OUT % NEURONS != 0 || NEURONS > CHUNKS) begin : gen_check_neurons
    initial $fatal(1, "deltamac_layer_engine: NEURONS (%0d) must divide N_OUT (%0d) and be at most CHUNKS = ceil(N_IN / LANES) (%0d): the serialiser passes one sum per cycle",
                   NEURONS, N_OUT, CHUNKS);
  end
  if (LANE_KIND < 0 || LANE_KIND > 2 || (LANE_KIND == 2 && SCHEME != 1)) begin : gen_check_kind
    initial $fatal(1, "deltamac_layer_engine: LANE_KIND must be 0 (dsp), 1 (lut) or 2 (delta, fixed_reference only), got %0d with SCHEME %0d",
                   LANE_KIND, SCHEME);
  end
  if (GROUP_WORDS < 1 || (GROUP_WORDS != CHUNKS && N_IN % (GROUP_WORDS * LANES) != 0)) begin : gen_check_group
    initial $fatal(1, "deltamac_layer_engine: a reference group must be the whole row or a multiple of LANES (%0d) dividing N_IN (%0d), got GROUP_WORDS %0d",
                   LANES, N_IN, GROUP_WORDS);
  end
  if (IN_BITS < 2 || IN_BITS > ACT_BITS || OUT_ACT_BITS < 2 || OUT_ACT_BITS > ACT_BITS) begin : gen_check_act_bits
    initial $fatal(1, "deltamac_layer_engine: IN_BITS (%0d) and OUT_ACT_BITS (%0d) must be in 2..ACT_BITS (%0d)",
                   IN_BITS, OUT_ACT_BITS, ACT_BITS);
  end
  if (IN_LATENCY != 2 && IN_LATENCY != 3) begin : gen_check_in_latency
    initial $fatal(1, "deltamac_layer_engine: IN_LATENCY must be 2 or 3, got %0d", IN_LATENCY);
  end
  if (DELTA_SHIFT < 0 || DELTA_SHIFT > 15 || (LAST_LAYER == 0 && (REQ_SHIFT < 1 || REQ_SHIFT > 62))) begin : gen_check_shifts
    initial $fatal(1, "deltamac_layer_engine: DELTA_SHIFT (%0d) must be in 0..15 and REQ_SHIFT (%0d) in 1..62 for a hidden layer",
                   DELTA_SHIFT, REQ_SHIFT);
  end

  // ---------------------------------------------------------------------------------------------
  // Issue counters: word c of neuron group g; running ROM addresses (groups stored back to back).
  logic                running_q;
  logic [CHUNK_AW-1:0] chunk_q;
  logic [GWORD_AW-1:0] gword_q;
  logic [GROUP_AW-1:0] group_q;
  logic [DELTA_AW-1:0] delta_addr_q;
  logic [REF_AW-1:0]   ref_addr_q;
  logic                bank_q;
  logic                last_chunk, last_gword, last_group, last_word, start, issue_next;
  logic                start_q;  // the start decision, registered

  assign last_chunk = chunk_q == CHUNK_AW'(CHUNKS - 1);
  assign last_gword = gword_q == GWORD_AW'(GROUP_WORDS - 1);
  assign last_group = group_q == GROUP_AW'(GROUPS - 1);
  assign last_word  = running_q && last_chunk && last_group;
  assign start      = start_q;
  assign issue_next = start || (running_q && !last_word);

  always_ff @(posedge clk) begin
    if (rst) begin
      start_q <= 1'b0;
    end else begin
      start_q <= !running_q && !start_q && in_full && out_ok;
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      running_q    <= 1'b0;
      chunk_q      <= '0;
      gword_q      <= '0;
      group_q      <= '0;
      delta_addr_q <= '0;
      ref_addr_q   <= '0;
      bank_q       <= 1'b0;
    end else if (start) begin
      running_q    <= 1'b1;
      chunk_q      <= '0;
      gword_q      <= '0;
      group_q      <= '0;
      delta_addr_q <= '0;
      ref_addr_q   <= '0;
      bank_q       <= out_claim_bank;
    end else if (running_q) begin
      running_q    <= !last_word;
      chunk_q      <= last_chunk ? '0 : chunk_q + CHUNK_AW'(1);
      gword_q      <= last_gword || last_chunk ? '0 : gword_q + GWORD_AW'(1);
      delta_addr_q <= delta_addr_q + DELTA_AW'(1);
      if (last_gword || last_chunk) begin
        ref_addr_q <= ref_addr_q + REF_AW'(1);
      end
      if (last_chunk) begin
        group_q <= group_q + GROUP_AW'(1);
      end
    end
  end

  assign in_release      = last_word;
  assign out_claim       = start;
  assign in_rd_en_next   = issue_next;
  // Idle, chunk_q is 0 (reset, and every image ends with it back at 0): the address of the first
  // read needs no start decision, which keeps the bank state out of the memory's address path.
  assign in_rd_addr_next = !running_q || last_chunk ? '0 : chunk_q + CHUNK_AW'(1);
  assign busy            = running_q;

  // ---------------------------------------------------------------------------------------------
  // The issued word as the ROMs read it: IN_LATENCY - 2 cycles after its issue, so that the ROM
  // words and the activation word arrive together.
  localparam int WAIT_W = DELTA_AW + REF_AW + 6;  // addresses and six tags

  logic                rd_running;
  logic [DELTA_AW-1:0] rd_delta_addr;
  logic [REF_AW-1:0]   rd_ref_addr;
  logic                rd_group_start, rd_first, rd_last, rd_group_first, rd_group_last, rd_bank;

  deltamac_delay #(
      .WIDTH(1),
      .DEPTH(IN_LATENCY - 2),
      .RESET(1)
  ) u_wait_valid (
      .clk      (clk),
      .rst      (rst),
      .in_value (running_q),
      .out_value(rd_running)
  );

  deltamac_delay #(
      .WIDTH(WAIT_W),
      .DEPTH(IN_LATENCY - 2),
      .RESET(0)
  ) u_wait_word (
      .clk      (clk),
      .rst      (rst),
      .in_value ({delta_addr_q, ref_addr_q, gword_q == '0, chunk_q == '0, last_chunk, group_q == '0, last_group,
                  bank_q}),
      .out_value({rd_delta_addr, rd_ref_addr, rd_group_start, rd_first, rd_last, rd_group_first, rd_group_last,
                  rd_bank})
  );

  // ---------------------------------------------------------------------------------------------
  // ROMs of the layer and stage 1 (the words of the issued word, tags delayed to match).
  logic [WORD_W-1:0]              delta_word;
  logic [NEURONS*WEIGHT_BITS-1:0] ref_word;

  deltamac_rom #(
      .WIDTH      (WORD_W),
      .DEPTH      (DELTA_DEPTH),
      .INIT_FILE  (DELTA_ROM_FILE),
      .DISTRIBUTED(distributed(WORD_W, DELTA_DEPTH))
  ) u_delta_rom (
      .clk    (clk),
      .rd_en  (rd_running),
      .rd_addr(rd_delta_addr),
      .rd_data(delta_word)
  );

  if (SCHEME != 0) begin : gen_ref_rom
    deltamac_rom #(
        .WIDTH      (NEURONS * WEIGHT_BITS),
        .DEPTH      (REF_DEPTH),
        .INIT_FILE  (REF_ROM_FILE),
        .DISTRIBUTED(distributed(NEURONS * WEIGHT_BITS, REF_DEPTH))
    ) u_ref_rom (
        .clk    (clk),
        .rd_en  (rd_running),
        .rd_addr(rd_ref_addr),
        .rd_data(ref_word)
    );
  end else begin : gen_no_ref_rom
    logic unused_ref_addr;  // plain: no reference ROM
    assign unused_ref_addr = ^rd_ref_addr;
    assign ref_word = '0;
  end

  logic s1_valid_q, s1_group_start_q, s1_first_q, s1_last_q, s1_group_first_q, s1_group_last_q, s1_bank_q;

  always_ff @(posedge clk) begin
    if (rst) begin
      s1_valid_q <= 1'b0;
    end else begin
      s1_valid_q <= rd_running;
    end
    s1_group_start_q <= rd_group_start;
    s1_first_q       <= rd_first;
    s1_last_q        <= rd_last;
    s1_group_first_q <= rd_group_first;
    s1_group_last_q  <= rd_group_last;
    s1_bank_q        <= rd_bank;
  end

  // Lane activations sign- or zero-extended to MAC_ACT_W bits; the padded lanes of a row's last
  // word are 0 (a padded fixed_reference lane would otherwise decode to the reference).
  logic [LANES*MAC_ACT_W-1:0] s1_acts;

  for (genvar p = 0; p < LANES; p++) begin : gen_lane
    logic [IN_BITS-1:0] act;
    logic               used;
    assign act  = in_rd_data[p*IN_BITS +: IN_BITS];
    assign used = p < LAST_LANES || !s1_last_q;
    if (IN_SIGNED != 0) begin : gen_signed
      assign s1_acts[p*MAC_ACT_W +: MAC_ACT_W] = used ? act : '0;
    end else begin : gen_unsigned
      assign s1_acts[p*MAC_ACT_W +: MAC_ACT_W] = used ? {1'b0, act} : '0;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Per parallel neuron: the sum of its words. Tags (group first / last, bank) ride on neuron 0.
  localparam int TAG_W = 3;

  logic [TAG_W-1:0]            s1_tag, mac_tag;
  logic [NEURONS-1:0]          mac_valid;
  logic [NEURONS*ACC_BITS-1:0] mac_accs;
  logic [LANES*MAC_ACT_W-1:0]  w_acts_shared;  // decoded kinds: the activations leaving neuron 0's decoder

  assign s1_tag = {s1_group_first_q, s1_group_last_q, s1_bank_q};

  if (NEURONS == 1) begin : gen_single
    logic unused_shared;  // no second neuron reads neuron 0's activations
    assign unused_shared = ^w_acts_shared;
  end

  logic [NEURONS*REF_W-1:0] mac_refs;  // SHARED_REF: each neuron's reference, aligned with its sum

  for (genvar k = 0; k < NEURONS; k++) begin : gen_neuron
    localparam int USER_W = k == 0 ? TAG_W : 1;
    logic [USER_W-1:0] user_in, user_out;
    assign user_in = k == 0 ? USER_W'(s1_tag) : '0;

    if (SHARED_REF != 0) begin : gen_shared_ref
      // Only the delta products; the reference rides along as sideband (constant along the row).
      logic [USER_W+REF_W-1:0] ref_user_out;
      logic                    unused_shared_ref;  // no decoder: no group starts, no decoded activations
      assign unused_shared_ref = ^{s1_group_start_q, w_acts_shared};
      if (k == 0) begin : gen_no_shared
        assign w_acts_shared = '0;
      end

      deltamac_mac_array #(
          .LANES      (LANES),
          .WEIGHT_BITS(DELTA_BITS),
          .ACT_BITS   (MAC_ACT_W),
          .ACC_BITS   (ACC_BITS),
          .USER_WIDTH (USER_W + REF_W),
          .LUT_LANES  (1)
      ) u_mac (
          .clk       (clk),
          .rst       (rst),
          .in_valid  (s1_valid_q),
          .in_weights(delta_word[k*LANES*DELTA_BITS +: LANES*DELTA_BITS]),
          .in_acts   (s1_acts),
          .in_first  (s1_first_q),
          .in_last   (s1_last_q),
          .in_user   ({user_in, ref_word[k*WEIGHT_BITS +: REF_W]}),
          .out_valid (mac_valid[k]),
          .out_acc   (mac_accs[k*ACC_BITS +: ACC_BITS]),
          .out_user  (ref_user_out)
      );
      assign {user_out, mac_refs[k*REF_W +: REF_W]} = ref_user_out;
    end else if (LANE_KIND == 2) begin : gen_delta_domain
      assign mac_refs[k*REF_W +: REF_W] = '0;
      logic unused_delta_domain;  // no decoder: no group starts, no decoded activations to share
      assign unused_delta_domain = ^{s1_group_start_q, w_acts_shared};
      if (k == 0) begin : gen_no_shared
        assign w_acts_shared = '0;
      end
      deltamac_delta_mac_array #(
          .LANES      (LANES),
          .DELTA_BITS (DELTA_BITS),
          .WEIGHT_BITS(WEIGHT_BITS),
          .ACT_BITS   (MAC_ACT_W),
          .SHIFT_BITS (4),
          .ACC_BITS   (ACC_BITS),
          .USER_WIDTH (USER_W),
          .LUT_LANES  (1)
      ) u_mac (
          .clk      (clk),
          .rst      (rst),
          .in_valid (s1_valid_q),
          .in_deltas(delta_word[k*LANES*DELTA_BITS +: LANES*DELTA_BITS]),
          .in_ref   (ref_word[k*WEIGHT_BITS +: WEIGHT_BITS]),
          .in_shift (4'(DELTA_SHIFT)),
          .in_acts  (s1_acts),
          .in_first (s1_first_q),
          .in_last  (s1_last_q),
          .in_user  (user_in),
          .out_valid(mac_valid[k]),
          .out_acc  (mac_accs[k*ACC_BITS +: ACC_BITS]),
          .out_user (user_out)
      );
    end else begin : gen_decoded
      assign mac_refs[k*REF_W +: REF_W] = '0;
      // The decoder carries the activations and word flags (neuron 0) to the MAC array.
      localparam int DEC_USER_W = k == 0 ? LANES * MAC_ACT_W + 2 + TAG_W : 2;
      logic [DEC_USER_W-1:0]        dec_user_in, dec_user_out;
      logic                         w_valid, w_first, w_last;
      logic [LANES*WEIGHT_BITS-1:0] w_weights;
      logic [LANES*MAC_ACT_W-1:0]   w_acts;
      logic [USER_W-1:0]            w_user;
      logic                         unused_user_in;  // the tag rides through the decoder instead
      assign unused_user_in = ^user_in;

      if (k == 0) begin : gen_carry
        assign dec_user_in = {s1_acts, s1_first_q, s1_last_q, s1_tag};
        assign {w_acts, w_first, w_last, w_user} = dec_user_out;
        assign w_acts_shared = w_acts;
      end else begin : gen_follow
        // Every decoder has the same latency: the acts and flags come from neuron 0's.
        assign dec_user_in = {s1_first_q, s1_last_q};
        assign {w_first, w_last} = dec_user_out;
        assign w_acts = w_acts_shared;
        assign w_user = '0;
      end

      deltamac_delta_decoder #(
          .LANES      (LANES),
          .DELTA_BITS (DELTA_BITS),
          .WEIGHT_BITS(WEIGHT_BITS),
          .SCHEME     (SCHEME),
          .SHIFT_BITS (4),
          .USER_WIDTH (DEC_USER_W)
      ) u_decoder (
          .clk           (clk),
          .rst           (rst),
          .in_valid      (s1_valid_q),
          .in_deltas     (delta_word[k*LANES*DELTA_BITS +: LANES*DELTA_BITS]),
          .in_ref        (ref_word[k*WEIGHT_BITS +: WEIGHT_BITS]),
          .in_group_start(s1_group_start_q),
          .in_shift      (4'(DELTA_SHIFT)),
          .in_user       (dec_user_in),
          .out_valid     (w_valid),
          .out_weights   (w_weights),
          .out_user      (dec_user_out)
      );

      deltamac_mac_array #(
          .LANES      (LANES),
          .WEIGHT_BITS(WEIGHT_BITS),
          .ACT_BITS   (MAC_ACT_W),
          .ACC_BITS   (ACC_BITS),
          .USER_WIDTH (USER_W),
          .LUT_LANES  (LANE_KIND == 1 ? 1 : 0)
      ) u_mac (
          .clk       (clk),
          .rst       (rst),
          .in_valid  (w_valid),
          .in_weights(w_weights),
          .in_acts   (w_acts),
          .in_first  (w_first),
          .in_last   (w_last),
          .in_user   (w_user),
          .out_valid (mac_valid[k]),
          .out_acc   (mac_accs[k*ACC_BITS +: ACC_BITS]),
          .out_user  (user_out)
      );
    end

    if (k == 0) begin : gen_tag
      assign mac_tag = TAG_W'(user_out);
    end else begin : gen_no_tag
      logic unused_user;  // valid and sideband of the other neurons equal neuron 0's
      assign unused_user = ^{user_out, mac_valid[k]};
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Serialiser: a group's NEURONS sums leave one per cycle, in neuron order. A group's sums come
  // every CHUNKS >= NEURONS cycles, so a group arrives at the latest with its predecessor's last.
  logic [NEURONS*ACC_BITS-1:0] ser_accs_q;
  logic [NEURONS*REF_W-1:0]    ser_refs_q;
  logic signed [SUM_W-1:0]     ser_asum_q;  // SHARED_REF: A of the image being serialised
  logic signed [SUM_W-1:0]     asum_aligned;
  logic [LEFT_W-1:0]           ser_left_q;
  logic [K_W-1:0]              ser_k_q;
  logic [NEURON_AW-1:0]        ser_neuron_q;
  logic                        ser_group_first_q, ser_group_last_q, ser_bank_q;
  logic                        ser_valid, ser_first, ser_last;

  assign ser_valid = ser_left_q != '0;
  assign ser_first = ser_group_first_q && ser_k_q == '0;
  assign ser_last  = ser_group_last_q && ser_k_q == K_W'(NEURONS - 1);

  always_ff @(posedge clk) begin
    if (rst) begin
      ser_left_q <= '0;
    end else if (mac_valid[0]) begin
      ser_left_q <= LEFT_W'(NEURONS);
    end else if (ser_valid) begin
      ser_left_q <= ser_left_q - LEFT_W'(1);
    end
    if (mac_valid[0]) begin
      ser_accs_q        <= mac_accs;
      ser_refs_q        <= mac_refs;
      ser_k_q           <= '0;
      {ser_group_first_q, ser_group_last_q, ser_bank_q} <= mac_tag;
    end else if (ser_valid) begin
      ser_accs_q <= (NEURONS*ACC_BITS)'(ser_accs_q >> ACC_BITS);
      ser_refs_q <= (NEURONS*REF_W)'(ser_refs_q >> REF_W);
      ser_k_q    <= ser_k_q + K_W'(1);
    end
    if (mac_valid[0] && mac_tag[2]) begin
      ser_asum_q <= asum_aligned;  // a new image's first group: its A
    end
    if (mac_valid[0] && mac_tag[2]) begin
      ser_neuron_q <= '0;
    end else if (ser_valid) begin
      ser_neuron_q <= ser_neuron_q + NEURON_AW'(1);
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Reference term (SHARED_REF): A = sum of the image's activations, from the words of its first
  // neuron group (every group reads the same vector), delayed to arrive with that group's sums;
  // after the serialiser each neuron's sum becomes (sum << s) + r * A. Otherwise the sums pass.
  logic                j_valid, j_first, j_last, j_bank;
  logic [ACC_BITS-1:0] j_acc;
  logic [NEURON_AW-1:0] j_neuron;

  if (SHARED_REF != 0) begin : gen_reference_term
    // Cycles from a word at stage 1 to its sum in the accumulator, and from the group's last word
    // to its sums at the serialiser (deltamac_mac_array's LATENCY).
    localparam int TREE_LATENCY = 1 + TREE_LEVELS;
    localparam int MAC_LATENCY  = 5 + TREE_LEVELS;
    localparam int ALIGN        = MAC_LATENCY - TREE_LATENCY;  // accumulator -> serialiser stages

    logic signed [MAC_ACT_W+TREE_LEVELS-1:0] word_sum;
    logic [TREE_LATENCY-1:0]                 sum_valid_q, sum_first_q, sum_last_q, sum_group_first_q;
    logic signed [SUM_W-1:0]                 asum_d;
    logic [ALIGN*SUM_W-1:0]                  asum_line_q;  // A of a finished first group, delayed
    logic [ALIGN-1:0]                        asum_done_q;
    logic signed [SUM_W-1:0]                 asum_q;

    deltamac_adder_tree #(
        .INPUTS  (LANES),
        .IN_BITS (MAC_ACT_W),
        .OUT_BITS(MAC_ACT_W + TREE_LEVELS)
    ) u_act_tree (
        .clk      (clk),
        .in_values(s1_acts),
        .out_sum  (word_sum)
    );

    always_ff @(posedge clk) begin
      if (rst) begin
        sum_valid_q <= '0;
        asum_done_q <= '0;
      end else begin
        sum_valid_q <= TREE_LATENCY'({sum_valid_q, s1_valid_q});
        asum_done_q <= ALIGN'({asum_done_q, sum_valid_q[TREE_LATENCY-1] && sum_last_q[TREE_LATENCY-1]
                                            && sum_group_first_q[TREE_LATENCY-1]});
      end
      sum_first_q       <= TREE_LATENCY'({sum_first_q, s1_first_q});
      sum_last_q        <= TREE_LATENCY'({sum_last_q, s1_last_q});
      sum_group_first_q <= TREE_LATENCY'({sum_group_first_q, s1_group_first_q});
      if (sum_valid_q[TREE_LATENCY-1] && sum_group_first_q[TREE_LATENCY-1]) begin
        asum_q <= asum_d;
      end
      asum_line_q <= (ALIGN*SUM_W)'({asum_line_q, asum_d});
    end

    assign asum_d = (sum_first_q[TREE_LATENCY-1] ? '0 : asum_q) + SUM_W'(word_sum);
    assign asum_aligned = asum_line_q[ALIGN*SUM_W-1 -: SUM_W];

    // Join: three stages after the serialiser (operands, products, sum). The reference product's
    // operand and result registers have no other loads or sources, so the ECP5 flow packs them
    // into the multiplier block (scripts/ecp5_regpack.py) and the product path stays inside it.
    logic                       m_valid_q, m_first_q, m_last_q, m_bank_q;
    logic [NEURON_AW-1:0]       m_neuron_q;
    logic signed [ACC_BITS-1:0] m_delta_q;
    logic signed [REF_W-1:0]    m_ref_q;
    logic signed [SUM_W-1:0]    m_asum_q;
    logic                       p_valid_q, p_first_q, p_last_q, p_bank_q;
    logic [NEURON_AW-1:0]       p_neuron_q;
    logic signed [ACC_BITS-1:0] p_delta_q, p_ref_q;
    logic                       s_valid_q, s_first_q, s_last_q, s_bank_q;
    logic [NEURON_AW-1:0]       s_neuron_q;
    logic signed [ACC_BITS-1:0] s_acc_q;

    if (SUM_W > 18) begin : gen_split_product
      // A wider than a multiplier block's 18-bit port: r*A = r*A[16:0] + r*A[SUM_W-1:17]*2**17;
      // one block takes the wide product alone, the high one (A's few top bits, the top one
      // negative) is shifted copies of r added to the delta sum in LUTs (no '*': it would take a
      // second block and chain an adder behind both).
      localparam int HI_W = SUM_W - 17;
      logic signed [ACC_BITS-1:0] hi_term;

      always_comb begin
        hi_term = '0;
        for (int j = 0; j < HI_W; j++) begin
          if (m_asum_q[17 + j]) begin
            hi_term = j == HI_W - 1 ? hi_term - (ACC_BITS'(m_ref_q) <<< (17 + j))
                                    : hi_term + (ACC_BITS'(m_ref_q) <<< (17 + j));
          end
        end
      end

      always_ff @(posedge clk) begin
        p_ref_q   <= ACC_BITS'(m_ref_q * $signed({1'b0, m_asum_q[16:0]}));
        p_delta_q <= m_delta_q + hi_term;
      end
    end else begin : gen_one_product
      always_ff @(posedge clk) begin
        p_ref_q   <= ACC_BITS'(m_ref_q * m_asum_q);
        p_delta_q <= m_delta_q;
      end
    end

    always_ff @(posedge clk) begin
      if (rst) begin
        m_valid_q <= 1'b0;
        p_valid_q <= 1'b0;
        s_valid_q <= 1'b0;
      end else begin
        m_valid_q <= ser_valid;
        p_valid_q <= m_valid_q;
        s_valid_q <= p_valid_q;
      end
      m_first_q  <= ser_first;
      m_last_q   <= ser_last;
      m_bank_q   <= ser_bank_q;
      m_neuron_q <= ser_neuron_q;
      m_delta_q  <= $signed(ser_accs_q[ACC_BITS-1:0]) <<< DELTA_SHIFT;
      m_ref_q    <= $signed(ser_refs_q[REF_W-1:0]);
      m_asum_q   <= ser_asum_q;
      p_first_q  <= m_first_q;
      p_last_q   <= m_last_q;
      p_bank_q   <= m_bank_q;
      p_neuron_q <= m_neuron_q;
      s_first_q  <= p_first_q;
      s_last_q   <= p_last_q;
      s_bank_q   <= p_bank_q;
      s_neuron_q <= p_neuron_q;
      s_acc_q    <= p_delta_q + p_ref_q;
    end

    assign {j_valid, j_first, j_last, j_bank, j_neuron, j_acc} =
        {s_valid_q, s_first_q, s_last_q, s_bank_q, s_neuron_q, s_acc_q};

`ifndef SYNTHESIS
    // Simulation check: A of an image is complete exactly when its first group's sums arrive.
    always @(posedge clk) begin
      if (!rst && mac_valid[0] && mac_tag[2] && !asum_done_q[ALIGN-1]) begin
        $fatal(1, "deltamac_layer_engine: an image's first neuron group arrives without its activation sum, at %0t",
               $time);
      end
    end
`endif
  end else begin : gen_no_reference_term
    logic unused_ref_path;  // no shared reference term
    assign unused_ref_path = ^{ser_refs_q, ser_asum_q};
    assign asum_aligned = '0;
    assign {j_valid, j_first, j_last, j_bank, j_neuron, j_acc} =
        {ser_valid, ser_first, ser_last, ser_bank_q, ser_neuron_q, ser_accs_q[ACC_BITS-1:0]};
  end

  // ---------------------------------------------------------------------------------------------
  // Bias ROM read (one cycle); a hidden layer's multiplier ROM beside it, then the requantiser;
  // the last layer's logit is the sum plus the bias (no multiplier, no requantisation).
  logic [BIAS_BITS-1:0] bias_word;
  logic                 rq_in_valid_q;
  logic [ACC_BITS-1:0]  rq_in_acc_q;
  logic [2:0]           rq_in_user_q;

  deltamac_rom #(
      .WIDTH      (BIAS_BITS),
      .DEPTH      (N_OUT),
      .INIT_FILE  (BIAS_ROM_FILE),
      .DISTRIBUTED(distributed(BIAS_BITS, N_OUT))
  ) u_bias_rom (
      .clk    (clk),
      .rd_en  (j_valid),
      .rd_addr(j_neuron),
      .rd_data(bias_word)
  );

  always_ff @(posedge clk) begin
    if (rst) begin
      rq_in_valid_q <= 1'b0;
    end else begin
      rq_in_valid_q <= j_valid;
    end
    rq_in_acc_q  <= j_acc;
    rq_in_user_q <= {j_first, j_last, j_bank};
  end

  if (LAST_LAYER == 0) begin : gen_requant
    logic [MULT_BITS-1:0] mult_word;
    logic [2:0]           rq_user;

    deltamac_rom #(
        .WIDTH      (MULT_BITS),
        .DEPTH      (N_OUT),
        .INIT_FILE  (MULT_ROM_FILE),
        .DISTRIBUTED(distributed(MULT_BITS, N_OUT))
    ) u_mult_rom (
        .clk    (clk),
        .rd_en  (j_valid),
        .rd_addr(j_neuron),
        .rd_data(mult_word)
    );

    deltamac_requant #(
        .ACC_BITS  (ACC_BITS),
        .BIAS_BITS (BIAS_BITS),
        .MULT_BITS (MULT_BITS),
        .ACT_BITS  (ACT_BITS),
        .SHIFT_BITS(6),
        .USER_WIDTH(3)
    ) u_requant (
        .clk          (clk),
        .rst          (rst),
        .in_valid     (rq_in_valid_q),
        .in_acc       (rq_in_acc_q),
        .in_bias      (bias_word),
        .in_mult      (mult_word),
        .in_shift     (6'(REQ_SHIFT)),
        .in_out_signed(OUT_SIGNED != 0),
        .in_act_bits  (ACT_W'(OUT_ACT_BITS)),
        .in_user      (rq_in_user_q),
        .out_valid    (out_valid),
        .out_act      (out_act),
        .out_logit    (out_logit),
        .out_user     (rq_user)
    );

    assign {out_first, out_last, out_bank} = rq_user;
  end else begin : gen_logits
    logic                out_valid_q;
    logic [ACC_BITS-1:0] out_logit_q;
    logic [2:0]          out_user_q;

    always_ff @(posedge clk) begin
      if (rst) begin
        out_valid_q <= 1'b0;
      end else begin
        out_valid_q <= rq_in_valid_q;
      end
      out_logit_q <= rq_in_acc_q + ACC_BITS'($signed(bias_word));
      out_user_q  <= rq_in_user_q;
    end

    assign out_valid = out_valid_q;
    assign out_logit = out_logit_q;
    assign out_act   = '0;  // logits only
    assign {out_first, out_last, out_bank} = out_user_q;
  end

`ifndef SYNTHESIS
  // Simulation check: the start decision still holds when it takes effect (only this engine
  // releases its input vector or claims its output).
  always @(posedge clk) begin
    if (!rst && start_q && !(in_full && out_ok)) begin
      $fatal(1, "deltamac_layer_engine: the input or output was taken away between the start decision and the start, at %0t",
             $time);
    end
  end

  // Simulation check: idle, the word counter is 0 (in_rd_addr_next relies on it).
  always @(posedge clk) begin
    if (!rst && !running_q && chunk_q != '0) begin
      $fatal(1, "deltamac_layer_engine: idle with word counter %0d, at %0t", chunk_q, $time);
    end
  end

  // Simulation check: a group's sums arrive only when the serialiser is (about to be) empty.
  if (NEURONS > 1) begin : gen_check_serialiser
    always @(posedge clk) begin
      if (!rst && mac_valid[0] && ser_left_q > LEFT_W'(1)) begin
        $fatal(1, "deltamac_layer_engine: a neuron group's sums arrive while %0d of the previous group's are still waiting, at %0t",
               ser_left_q, $time);
      end
    end
  end
`endif

endmodule

`resetall
