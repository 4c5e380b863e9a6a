// deltamac_top: delta-compressed MLP inference core (ARCHITECTURE.md section 5).
//
// The network (topology, formats, ROM layout) comes from the generated package deltamac_net_pkg;
// the ROM contents from the exported .mem files. With RUNTIME_WEIGHTS = 1 the memories are RAMs
// (starting as those files) and the per-layer shifts registers, written by load images on
// s_axis_load (deltamac_weight_loader; ARCHITECTURE.md section 3, "Run-time weight load image"). Pipeline (cycles after the sequencer issues a
// word; D = decoder latency, M = MAC array latency, R = requant latency):
//
//   s_axis -> input_stage (ping-pong input buffers)
//   sequencer issue (t) -> delta/ref ROM, act buffer read (t+1) -> delta_decoder (t+1+D)
//     -> mac_array (neuron sum at t+1+D+M after its last word) -> bias/mult ROM read (+1)
//     -> requant (+R) -> hidden buffer write (next layer) or output_stage (last layer) -> m_axis
//
// Layers run back to back through the LANES lanes with a barrier between them; the next image
// loads while the current one computes, and the result streams out while the next computes.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_top #(
    // 1: send NUM_CLASSES logits before the class index; 0: the class index only
    parameter int OUT_LOGITS     = 0,
    // $readmemh image of the delta ROM
    parameter     DELTA_ROM_FILE = "delta.mem",
    // $readmemh image of the reference ROM (unused for plain)
    parameter     REF_ROM_FILE   = "ref.mem",
    // $readmemh image of the bias ROM
    parameter     BIAS_ROM_FILE  = "bias.mem",
    // $readmemh image of the multiplier ROM
    parameter     MULT_ROM_FILE  = "mult.mem",
    // pixels per s_axis beat, 1, 2, 4 or 8 (pixel i in TDATA[8*i +: 8]; LANES a multiple of it)
    parameter int PIXELS_PER_BEAT = 1,
    // 1: s_axis_tuser marks pixel 0 of an image, a new image starts there; 0: s_axis_tuser ignored
    parameter int SOI_TUSER      = 0,
    // N > 0 (up to 65535): after N cycles without s_axis_tvalid the next beat is pixel 0; 0: off
    parameter int RESYNC_IDLE_CYCLES = 0,
    // 1: the delta, reference, bias and multiplier memories are RAMs (starting as the *_ROM_FILE
    // images) written by load images on s_axis_load, with run-time per-layer shifts; 0: ROMs,
    // s_axis_load ignored (TREADY 0)
    parameter int RUNTIME_WEIGHTS = 0
) (
    // clock
    input  wire logic        clk,
    // synchronous active-high reset
    input  wire logic        rst,

    // AXI4-Stream pixel input: PIXELS_PER_BEAT uint8 pixels per beat, row-major, pixel 0 in the LSBs
    input  wire logic [8*PIXELS_PER_BEAT-1:0] s_axis_tdata,
    // AXI4-Stream pixel input: valid
    input  wire logic        s_axis_tvalid,
    // AXI4-Stream pixel input: ready
    output logic             s_axis_tready,
    // AXI4-Stream pixel input: TLAST on the beat of pixel IN_PIXELS-1
    input  wire logic        s_axis_tlast,
    // AXI4-Stream pixel input: TUSER, high on pixel 0 (used with SOI_TUSER = 1; tie to 0 otherwise)
    input  wire logic        s_axis_tuser,

    // AXI4-Stream weight load image (RUNTIME_WEIGHTS = 1; tie to 0 otherwise): 32-bit words
    input  wire logic [31:0] s_axis_load_tdata,
    // AXI4-Stream weight load image: valid
    input  wire logic        s_axis_load_tvalid,
    // AXI4-Stream weight load image: ready, low until the core is idle (deltamac_weight_loader)
    output logic             s_axis_load_tready,
    // AXI4-Stream weight load image: TLAST on the image's last beat
    input  wire logic        s_axis_load_tlast,

    // AXI4-Stream result output: logits (OUT_LOGITS=1, sign-extended) then the class index
    output logic [31:0]      m_axis_tdata,
    // AXI4-Stream result output: valid
    output logic             m_axis_tvalid,
    // AXI4-Stream result output: ready
    input  wire logic        m_axis_tready,
    // AXI4-Stream result output: TLAST on the class index
    output logic             m_axis_tlast,

    // an image is being received, computed or sent
    output logic             status_busy,
    // one-cycle pulse when a wrong-length image (or one cut off by a resync) is dropped
    output logic             status_frame_error,
    // count of dropped images (saturating)
    output logic [15:0]      status_dropped,
    // count of images swallowed while discarding after a missing TLAST (saturating)
    output logic [15:0]      status_swallowed,
    // count of results sent
    output logic [31:0]      status_images,
    // cycles since reset
    output logic [31:0]      status_cycles,
    // the weight memories hold a complete network (1 with RUNTIME_WEIGHTS = 0)
    output logic             status_weights_valid,
    // complete weight images loaded since reset (0 with RUNTIME_WEIGHTS = 0)
    output logic [31:0]      status_loads,
    // weight images refused (wrong header) or broken (wrong length) since reset
    output logic [31:0]      status_load_errors
);

  localparam int NUM_LAYERS  = deltamac_net_pkg::NUM_LAYERS;
  localparam int LANES       = deltamac_net_pkg::LANES;
  localparam int SCHEME      = deltamac_net_pkg::SCHEME;
  localparam int WEIGHT_BITS = deltamac_net_pkg::WEIGHT_BITS;
  localparam int DELTA_BITS  = deltamac_net_pkg::DELTA_BITS;
  localparam int ACT_BITS    = deltamac_net_pkg::ACT_BITS;
  localparam int ACC_BITS    = deltamac_net_pkg::ACC_BITS;
  localparam int BIAS_BITS   = deltamac_net_pkg::BIAS_BITS;
  localparam int MULT_BITS   = deltamac_net_pkg::MULT_BITS;
  localparam int IN_PIXELS   = deltamac_net_pkg::IN_PIXELS;
  localparam int NUM_CLASSES = deltamac_net_pkg::NUM_CLASSES;
  localparam int MAX_CHUNKS  = deltamac_net_pkg::MAX_CHUNKS;
  localparam int DELTA_DEPTH = deltamac_net_pkg::DELTA_ROM_DEPTH;
  localparam int REF_DEPTH   = deltamac_net_pkg::REF_ROM_DEPTH;
  localparam int NEURON_DEPTH = deltamac_net_pkg::NEURON_ROM_DEPTH;

  localparam int DELTA_AW  = $clog2(DELTA_DEPTH > 1 ? DELTA_DEPTH : 2);
  localparam int REF_AW    = $clog2(REF_DEPTH > 1 ? REF_DEPTH : 2);
  localparam int NEURON_AW = $clog2(NEURON_DEPTH > 1 ? NEURON_DEPTH : 2);
  localparam int IN_WORDS  = (IN_PIXELS + LANES - 1) / LANES;
  localparam int IN_AW     = $clog2(IN_WORDS > 1 ? IN_WORDS : 2);
  localparam int MAC_ACT_W = ACT_BITS + 1;  // activations enter the MAC array sign-/zero-extended

  // Depth of a hidden buffer bank: the most words any layer after the first reads.
  function automatic logic [31:0] hidden_words(input int num_layers);
    int l;
    hidden_words = 32'd1;
    for (l = 1; l < num_layers; l++) begin
      if (deltamac_net_pkg::LAYER_CHUNKS[l*32 +: 32] > hidden_words) begin
        hidden_words = deltamac_net_pkg::LAYER_CHUNKS[l*32 +: 32];
      end
    end
  endfunction

  localparam int LAYER_W   = $clog2(NUM_LAYERS > 1 ? NUM_LAYERS : 2);
  localparam int HID_WORDS = hidden_words(NUM_LAYERS);
  localparam int HID_AW    = $clog2(HID_WORDS > 1 ? HID_WORDS : 2);

  // Memory implementation from the memory's shape: up to DIST_MAX_WORDS words (address space)
  // the words fit in two LUT6 per bit and distributed RAM / LUTs cost less than a block RAM,
  // which would also be mostly empty (a RAMB18 is 512 x 36 bits); deeper memories go to block
  // RAM. The delta ROM always goes to block RAM (the whole network on chip).
  localparam int DIST_MAX_WORDS = 128;
  localparam int IN_DIST     = 2 * 2**IN_AW <= DIST_MAX_WORDS ? 1 : 0;
  localparam int HID_DIST    = 2 * 2**HID_AW <= DIST_MAX_WORDS ? 1 : 0;
  localparam int REF_DIST    = REF_DEPTH <= DIST_MAX_WORDS ? 1 : 0;
  localparam int NEURON_DIST = NEURON_DEPTH <= DIST_MAX_WORDS ? 1 : 0;

  // ---------------------------------------------------------------------------------------------
  // Parameter checks.
  if (LANES < 1 || LANES > 32) begin : gen_check_lanes
    initial $fatal(1, "deltamac_top: LANES must be in 1..32, got %0d", LANES);
  end
  if (SCHEME < 0 || SCHEME > 2) begin : gen_check_scheme
    initial $fatal(1, "deltamac_top: SCHEME must be 0 (plain), 1 (fixed_reference) or 2 (consecutive), got %0d",
                   SCHEME);
  end
  if (SCHEME == 0 && DELTA_BITS != WEIGHT_BITS) begin : gen_check_plain
    initial $fatal(1, "deltamac_top: plain (SCHEME 0) needs DELTA_BITS (%0d) == WEIGHT_BITS (%0d)",
                   DELTA_BITS, WEIGHT_BITS);
  end
  if (WEIGHT_BITS < 2 || WEIGHT_BITS > 16) begin : gen_check_weight_bits
    initial $fatal(1, "deltamac_top: WEIGHT_BITS must be in 2..16, got %0d", WEIGHT_BITS);
  end
  if (ACT_BITS != 8) begin : gen_check_act_bits
    initial $fatal(1, "deltamac_top: ACT_BITS (pixel and activation buffer width) must be 8, got %0d; a layer's own width is LAYER_ACT_BITS", ACT_BITS);
  end
  if (ACC_BITS < 2 || ACC_BITS > 40 || BIAS_BITS > ACC_BITS) begin : gen_check_acc_bits
    initial $fatal(1, "deltamac_top: ACC_BITS must be in 2..40 and BIAS_BITS <= ACC_BITS, got ACC_BITS %0d, BIAS_BITS %0d",
                   ACC_BITS, BIAS_BITS);
  end
  if (RUNTIME_WEIGHTS != 0 && RUNTIME_WEIGHTS != 1) begin : gen_check_runtime_weights
    initial $fatal(1, "deltamac_top: RUNTIME_WEIGHTS must be 0 or 1, got %0d", RUNTIME_WEIGHTS);
  end
  if (NUM_LAYERS < 1) begin : gen_check_layers
    initial $fatal(1, "deltamac_top: NUM_LAYERS must be >= 1, got %0d", NUM_LAYERS);
  end
  if (deltamac_net_pkg::LAYER_N_IN[31:0] != 32'(IN_PIXELS)) begin : gen_check_in_pixels
    initial $fatal(1, "deltamac_top: layer 0 has %0d inputs but IN_PIXELS is %0d",
                   deltamac_net_pkg::LAYER_N_IN[31:0], IN_PIXELS);
  end
  if (deltamac_net_pkg::LAYER_N_OUT[(NUM_LAYERS-1)*32 +: 32] != 32'(NUM_CLASSES)) begin : gen_check_classes
    initial $fatal(1, "deltamac_top: the last layer has %0d outputs but NUM_CLASSES is %0d",
                   deltamac_net_pkg::LAYER_N_OUT[(NUM_LAYERS-1)*32 +: 32], NUM_CLASSES);
  end
  for (genvar l = 0; l < NUM_LAYERS; l++) begin : gen_check_layer
    localparam int N_IN   = deltamac_net_pkg::LAYER_N_IN[l*32 +: 32];
    localparam int N_OUT  = deltamac_net_pkg::LAYER_N_OUT[l*32 +: 32];
    localparam int CHUNKS = deltamac_net_pkg::LAYER_CHUNKS[l*32 +: 32];
    localparam int GWORDS = deltamac_net_pkg::LAYER_GROUP_WORDS[l*32 +: 32];
    localparam int DSHIFT = deltamac_net_pkg::LAYER_DELTA_SHIFT[l*32 +: 32];
    localparam int RSHIFT = deltamac_net_pkg::LAYER_REQ_SHIFT[l*32 +: 32];
    localparam int ABITS  = deltamac_net_pkg::LAYER_ACT_BITS[l*32 +: 32];
    localparam int PREV      = l > 0 ? l - 1 : 0;
    localparam int PREV_SIZE = l > 0 ? deltamac_net_pkg::LAYER_N_OUT[PREV*32 +: 32] : 0;
    localparam int PREV_C    = deltamac_net_pkg::LAYER_CHUNKS[PREV*32 +: 32];
    localparam int PREV_GW   = deltamac_net_pkg::LAYER_GROUP_WORDS[PREV*32 +: 32];
    localparam int DBASE     = deltamac_net_pkg::LAYER_DELTA_BASE[l*32 +: 32];
    localparam int RBASE     = deltamac_net_pkg::LAYER_REF_BASE[l*32 +: 32];
    localparam int NBASE     = deltamac_net_pkg::LAYER_NEURON_BASE[l*32 +: 32];
    localparam int PREV_DBASE = deltamac_net_pkg::LAYER_DELTA_BASE[PREV*32 +: 32];
    localparam int PREV_RBASE = deltamac_net_pkg::LAYER_REF_BASE[PREV*32 +: 32];
    localparam int PREV_NBASE = deltamac_net_pkg::LAYER_NEURON_BASE[PREV*32 +: 32];
    if (CHUNKS != (N_IN + LANES - 1) / LANES || CHUNKS > MAX_CHUNKS) begin : gen_check_chunks
      initial $fatal(1, "deltamac_top: layer %0d: LAYER_CHUNKS %0d is not ceil(%0d / %0d) or exceeds MAX_CHUNKS %0d",
                     l, CHUNKS, N_IN, LANES, MAX_CHUNKS);
    end
    if (GWORDS < 1 || (GWORDS != CHUNKS && N_IN % (GWORDS * LANES) != 0)) begin : gen_check_group
      initial $fatal(1, "deltamac_top: layer %0d: a reference group must be the whole row or a multiple of LANES (%0d) dividing n_in (%0d), got LAYER_GROUP_WORDS %0d",
                     l, LANES, N_IN, GWORDS);
    end
    if (N_OUT < 1 || N_OUT > 65535) begin : gen_check_n_out
      initial $fatal(1, "deltamac_top: layer %0d: n_out must be in 1..65535, got %0d", l, N_OUT);
    end
    if (l > 0 && N_IN != PREV_SIZE) begin : gen_check_chain
      initial $fatal(1, "deltamac_top: layer %0d: n_in %0d differs from the previous layer's n_out", l, N_IN);
    end
    // The sequencer's ROM addresses are running counters: layers, rows and groups back to back.
    if (DBASE != (l > 0 ? PREV_DBASE + PREV_SIZE * PREV_C : 0)
        || (SCHEME != 0 && RBASE != (l > 0 ? PREV_RBASE + PREV_SIZE * (PREV_GW > 0 ? PREV_C / PREV_GW : 0) : 0))
        || NBASE != (l > 0 ? PREV_NBASE + PREV_SIZE : 0)) begin : gen_check_bases
      initial $fatal(1, "deltamac_top: layer %0d: ROM bases (delta %0d, ref %0d, neuron %0d) are not the layers stored back to back",
                     l, DBASE, RBASE, NBASE);
    end
    if (DSHIFT < 0 || DSHIFT > 15) begin : gen_check_delta_shift
      initial $fatal(1, "deltamac_top: layer %0d: delta shift must be in 0..15, got %0d", l, DSHIFT);
    end
    if (l < NUM_LAYERS - 1 && (RSHIFT < 1 || RSHIFT > 62)) begin : gen_check_req_shift
      initial $fatal(1, "deltamac_top: layer %0d: requantisation shift must be in 1..62, got %0d", l, RSHIFT);
    end
    if (ABITS < 2 || ABITS > ACT_BITS) begin : gen_check_layer_act_bits
      initial $fatal(1, "deltamac_top: layer %0d: activation width (LAYER_ACT_BITS) must be in 2..%0d, got %0d",
                     l, ACT_BITS, ABITS);
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Input stage and hidden buffers.
  logic               img_valid, img_release;
  logic               in_rd_en_next, hid_rd_en_next, hid_rd_bank_next;
  logic [IN_AW-1:0]   in_rd_addr_next;
  logic [HID_AW-1:0]  hid_rd_addr_next;
  logic [LANES*8-1:0] in_rd_data, hid_rd_data;
  logic               in_busy;
  // Pixel input gate of the weight load (deltamac_weight_loader's rule): no pixel is taken while
  // a weight image is loaded or the weights are not valid.
  logic               hold_pixels, in_tready;

  assign s_axis_tready = in_tready && !hold_pixels;

  deltamac_input_stage #(
      .LANES             (LANES),
      .IN_PIXELS         (IN_PIXELS),
      .DISTRIBUTED       (IN_DIST),
      .PIXELS_PER_BEAT   (PIXELS_PER_BEAT),
      .SOI_TUSER         (SOI_TUSER),
      .RESYNC_IDLE_CYCLES(RESYNC_IDLE_CYCLES)
  ) u_input (
      .clk          (clk),
      .rst          (rst),
      .s_axis_tdata (s_axis_tdata),
      .s_axis_tvalid(s_axis_tvalid && !hold_pixels),
      .s_axis_tready(in_tready),
      .s_axis_tlast (s_axis_tlast),
      .s_axis_tuser (s_axis_tuser),
      .img_valid    (img_valid),
      .img_release  (img_release),
      .rd_en_next   (in_rd_en_next),
      .rd_addr_next (in_rd_addr_next),
      .rd_data      (in_rd_data),
      .busy         (in_busy),
      .frame_error  (status_frame_error),
      .dropped      (status_dropped),
      .swallowed    (status_swallowed)
  );

  // Requant output routing (declared here: the hidden buffer is written from it).
  logic                rq_valid, rq_last_layer, rq_neuron_first, rq_neuron_last, rq_wr_bank;
  logic [ACT_BITS-1:0] rq_act;
  logic [ACC_BITS-1:0] rq_logit;
  logic                hid_wr_done;

  deltamac_act_buffer #(
      .LANES      (LANES),
      .ACT_BITS   (ACT_BITS),
      .DEPTH      (HID_WORDS),
      .DISTRIBUTED(HID_DIST)
  ) u_hidden (
      .clk         (clk),
      .rst         (rst),
      .wr_valid    (rq_valid && !rq_last_layer),
      .wr_first    (rq_neuron_first),
      .wr_last     (rq_neuron_last),
      .wr_bank     (rq_wr_bank),
      .wr_data     (rq_act),
      .wr_done     (hid_wr_done),
      .rd_en_next  (hid_rd_en_next),
      .rd_bank_next(hid_rd_bank_next),
      .rd_addr_next(hid_rd_addr_next),
      .rd_data     (hid_rd_data)
  );

  // ---------------------------------------------------------------------------------------------
  // Sequencer.
  logic                       out_ready, out_claim, out_busy, seq_busy;
  logic                       rom_rd_en;
  logic [DELTA_AW-1:0]        delta_rd_addr;
  logic [REF_AW-1:0]          ref_rd_addr;
  logic                       dec_valid, dec_group_start, dec_first, dec_last;
  logic [3:0]                 dec_shift;
  logic [LANES*MAC_ACT_W-1:0] dec_acts;
  logic [NEURON_AW-1:0]       dec_neuron_addr;
  logic [5:0]                 dec_req_shift;
  logic                       dec_out_signed, dec_last_layer, dec_neuron_first, dec_neuron_last, dec_wr_bank;
  logic [3:0]                 dec_act_bits;
  logic [LAYER_W-1:0]         dec_layer;

  deltamac_sequencer #(
      .IN_AW (IN_AW),
      .HID_AW(HID_AW)
  ) u_sequencer (
      .clk             (clk),
      .rst             (rst),
      .img_valid       (img_valid),
      .img_release     (img_release),
      .layer_done      (hid_wr_done),
      .out_ready       (out_ready),
      .out_claim       (out_claim),
      .in_rd_en_next   (in_rd_en_next),
      .in_rd_addr_next (in_rd_addr_next),
      .in_rd_data      (in_rd_data),
      .hid_rd_en_next  (hid_rd_en_next),
      .hid_rd_bank_next(hid_rd_bank_next),
      .hid_rd_addr_next(hid_rd_addr_next),
      .hid_rd_data     (hid_rd_data),
      .rom_rd_en       (rom_rd_en),
      .delta_rd_addr   (delta_rd_addr),
      .ref_rd_addr     (ref_rd_addr),
      .dec_valid       (dec_valid),
      .dec_group_start (dec_group_start),
      .dec_shift       (dec_shift),
      .dec_acts        (dec_acts),
      .dec_first       (dec_first),
      .dec_last        (dec_last),
      .dec_neuron_addr (dec_neuron_addr),
      .dec_req_shift   (dec_req_shift),
      .dec_out_signed  (dec_out_signed),
      .dec_act_bits    (dec_act_bits),
      .dec_last_layer  (dec_last_layer),
      .dec_neuron_first(dec_neuron_first),
      .dec_neuron_last (dec_neuron_last),
      .dec_wr_bank     (dec_wr_bank),
      .dec_layer       (dec_layer),
      .busy            (seq_busy)
  );

  // ---------------------------------------------------------------------------------------------
  // Weight memories: ROMs, or RAMs written by the weight loader (RUNTIME_WEIGHTS); decoder.
  logic [LANES*DELTA_BITS-1:0] delta_word;
  logic [WEIGHT_BITS-1:0]      ref_word;
  logic [BIAS_BITS-1:0]        bias_word;
  logic [MULT_BITS-1:0]        mult_word;
  logic [NEURON_AW-1:0]        mac_neuron_addr;
  logic                        mac_valid;
  logic [3:0]                  word_shift;      // delta shift s of the decoder's word
  logic [5:0]                  word_req_shift;  // requantisation shift k of its neuron

  if (RUNTIME_WEIGHTS != 0) begin : gen_ram
    logic                       delta_wr_en, ref_wr_en, bias_wr_en, mult_wr_en;
    logic [DELTA_AW-1:0]        wr_addr_delta;
    logic [REF_AW-1:0]          wr_addr_ref;
    logic [NEURON_AW-1:0]       wr_addr_neuron;
    logic [LANES*DELTA_BITS-1:0] delta_wr_data;
    logic [WEIGHT_BITS-1:0]     ref_wr_data;
    logic [BIAS_BITS-1:0]       bias_wr_data;
    logic [MULT_BITS-1:0]       mult_wr_data;
    logic [NUM_LAYERS*4-1:0]    layer_delta_shift;
    logic [NUM_LAYERS*6-1:0]    layer_req_shift;

    deltamac_weight_loader #(
        .DELTA_AW (DELTA_AW),
        .REF_AW   (REF_AW),
        .NEURON_AW(NEURON_AW)
    ) u_loader (
        .clk              (clk),
        .rst              (rst),
        .s_axis_tdata     (s_axis_load_tdata),
        .s_axis_tvalid    (s_axis_load_tvalid),
        .s_axis_tready    (s_axis_load_tready),
        .s_axis_tlast     (s_axis_load_tlast),
        .core_idle        (!status_busy),
        .hold_pixels      (hold_pixels),
        .delta_wr_en      (delta_wr_en),
        .ref_wr_en        (ref_wr_en),
        .bias_wr_en       (bias_wr_en),
        .mult_wr_en       (mult_wr_en),
        .wr_addr_delta    (wr_addr_delta),
        .wr_addr_ref      (wr_addr_ref),
        .wr_addr_neuron   (wr_addr_neuron),
        .delta_wr_data    (delta_wr_data),
        .ref_wr_data      (ref_wr_data),
        .bias_wr_data     (bias_wr_data),
        .mult_wr_data     (mult_wr_data),
        .layer_delta_shift(layer_delta_shift),
        .layer_req_shift  (layer_req_shift),
        .weights_valid    (status_weights_valid),
        .loads            (status_loads),
        .errors           (status_load_errors)
    );

    // The word's shifts from its layer (the loader changes them only while the core is idle).
    assign word_shift     = layer_delta_shift[4*dec_layer +: 4];
    assign word_req_shift = layer_req_shift[6*dec_layer +: 6];
    logic unused_pkg_shifts;  // the package's shifts: the configuration's network only
    assign unused_pkg_shifts = ^{dec_shift, dec_req_shift};

    deltamac_ram #(
        .WIDTH      (LANES * DELTA_BITS),
        .DEPTH      (DELTA_DEPTH),
        .INIT_FILE  (DELTA_ROM_FILE),
        .DISTRIBUTED(0)
    ) u_delta_ram (
        .clk    (clk),
        .wr_en  (delta_wr_en),
        .wr_addr(wr_addr_delta),
        .wr_data(delta_wr_data),
        .rd_en  (rom_rd_en),
        .rd_addr(delta_rd_addr),
        .rd_data(delta_word)
    );

    if (SCHEME != 0) begin : gen_ref_ram
      deltamac_ram #(
          .WIDTH      (WEIGHT_BITS),
          .DEPTH      (REF_DEPTH),
          .INIT_FILE  (REF_ROM_FILE),
          .DISTRIBUTED(REF_DIST)
      ) u_ref_ram (
          .clk    (clk),
          .wr_en  (ref_wr_en),
          .wr_addr(wr_addr_ref),
          .wr_data(ref_wr_data),
          .rd_en  (rom_rd_en),
          .rd_addr(ref_rd_addr),
          .rd_data(ref_word)
      );
    end else begin : gen_no_ref_ram
      logic unused_ref;  // plain: no reference memory, the loader never writes one
      assign unused_ref = ^{ref_rd_addr, ref_wr_en, wr_addr_ref, ref_wr_data};
      assign ref_word = '0;
    end

    deltamac_ram #(
        .WIDTH      (BIAS_BITS),
        .DEPTH      (NEURON_DEPTH),
        .INIT_FILE  (BIAS_ROM_FILE),
        .DISTRIBUTED(NEURON_DIST)
    ) u_bias_ram (
        .clk    (clk),
        .wr_en  (bias_wr_en),
        .wr_addr(wr_addr_neuron),
        .wr_data(bias_wr_data),
        .rd_en  (mac_valid),
        .rd_addr(mac_neuron_addr),
        .rd_data(bias_word)
    );

    deltamac_ram #(
        .WIDTH      (MULT_BITS),
        .DEPTH      (NEURON_DEPTH),
        .INIT_FILE  (MULT_ROM_FILE),
        .DISTRIBUTED(NEURON_DIST)
    ) u_mult_ram (
        .clk    (clk),
        .wr_en  (mult_wr_en),
        .wr_addr(wr_addr_neuron),
        .wr_data(mult_wr_data),
        .rd_en  (mac_valid),
        .rd_addr(mac_neuron_addr),
        .rd_data(mult_word)
    );
  end else begin : gen_rom
    assign hold_pixels          = 1'b0;
    assign s_axis_load_tready   = 1'b0;
    assign status_weights_valid = 1'b1;
    assign status_loads         = '0;
    assign status_load_errors   = '0;
    assign word_shift           = dec_shift;
    assign word_req_shift       = dec_req_shift;
    logic unused_load;  // no load port: the shifts come from the package through the sequencer
    assign unused_load = ^{s_axis_load_tdata, s_axis_load_tvalid, s_axis_load_tlast, dec_layer};

    deltamac_rom #(
        .WIDTH      (LANES * DELTA_BITS),
        .DEPTH      (DELTA_DEPTH),
        .INIT_FILE  (DELTA_ROM_FILE),
        .DISTRIBUTED(0)
    ) u_delta_rom (
        .clk    (clk),
        .rd_en  (rom_rd_en),
        .rd_addr(delta_rd_addr),
        .rd_data(delta_word)
    );

    if (SCHEME != 0) begin : gen_ref_rom
      deltamac_rom #(
          .WIDTH      (WEIGHT_BITS),
          .DEPTH      (REF_DEPTH),
          .INIT_FILE  (REF_ROM_FILE),
          .DISTRIBUTED(REF_DIST)
      ) u_ref_rom (
          .clk    (clk),
          .rd_en  (rom_rd_en),
          .rd_addr(ref_rd_addr),
          .rd_data(ref_word)
      );
    end else begin : gen_no_ref_rom
      logic unused_ref_rd_addr;  // plain: no reference ROM
      assign unused_ref_rd_addr = ^ref_rd_addr;
      assign ref_word = '0;
    end

    deltamac_rom #(
        .WIDTH      (BIAS_BITS),
        .DEPTH      (NEURON_DEPTH),
        .INIT_FILE  (BIAS_ROM_FILE),
        .DISTRIBUTED(NEURON_DIST)
    ) u_bias_rom (
        .clk    (clk),
        .rd_en  (mac_valid),
        .rd_addr(mac_neuron_addr),
        .rd_data(bias_word)
    );

    deltamac_rom #(
        .WIDTH      (MULT_BITS),
        .DEPTH      (NEURON_DEPTH),
        .INIT_FILE  (MULT_ROM_FILE),
        .DISTRIBUTED(NEURON_DIST)
    ) u_mult_rom (
        .clk    (clk),
        .rd_en  (mac_valid),
        .rd_addr(mac_neuron_addr),
        .rd_data(mult_word)
    );
  end

  // Tags of a neuron: through the decoder with the activations, then through the MAC array.
  localparam int TAG_W     = NEURON_AW + 6 + 4 + 5;
  localparam int DEC_USER_W = LANES * MAC_ACT_W + 2 + TAG_W;

  logic [TAG_W-1:0]                dec_tag, mac_tag, w_tag;
  logic [DEC_USER_W-1:0]           w_user;
  logic                            w_valid, w_first, w_last;
  logic [LANES*WEIGHT_BITS-1:0]    w_weights;
  logic [LANES*MAC_ACT_W-1:0]      w_acts;

  assign dec_tag = {dec_neuron_addr, word_req_shift, dec_act_bits, dec_out_signed, dec_last_layer,
                    dec_neuron_first, dec_neuron_last, dec_wr_bank};

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
      .in_valid      (dec_valid),
      .in_deltas     (delta_word),
      .in_ref        (ref_word),
      .in_group_start(dec_group_start),
      .in_shift      (word_shift),
      .in_user       ({dec_acts, dec_first, dec_last, dec_tag}),
      .out_valid     (w_valid),
      .out_weights   (w_weights),
      .out_user      (w_user)
  );

  assign {w_acts, w_first, w_last, w_tag} = w_user;

  // ---------------------------------------------------------------------------------------------
  // MAC array, bias / multiplier ROM read aligned to the requant input.
  logic [ACC_BITS-1:0] mac_acc;

  deltamac_mac_array #(
      .LANES      (LANES),
      .WEIGHT_BITS(WEIGHT_BITS),
      .ACT_BITS   (MAC_ACT_W),
      .ACC_BITS   (ACC_BITS),
      .USER_WIDTH (TAG_W)
  ) u_mac (
      .clk       (clk),
      .rst       (rst),
      .in_valid  (w_valid),
      .in_weights(w_weights),
      .in_acts   (w_acts),
      .in_first  (w_first),
      .in_last   (w_last),
      .in_user   (w_tag),
      .out_valid (mac_valid),
      .out_acc   (mac_acc),
      .out_user  (mac_tag)
  );

  logic [5:0]           mac_req_shift;
  logic [3:0]           mac_act_bits;
  logic [4:0]           mac_flags;  // out_signed, last_layer, neuron_first, neuron_last, wr_bank
  assign {mac_neuron_addr, mac_req_shift, mac_act_bits, mac_flags} = mac_tag;

  logic                rq_in_valid_q;
  logic [ACC_BITS-1:0] rq_in_acc_q;
  logic [5:0]          rq_in_shift_q;
  logic [3:0]          rq_in_act_bits_q;
  logic [4:0]          rq_in_flags_q;

  always_ff @(posedge clk) begin
    if (rst) begin
      rq_in_valid_q <= 1'b0;
    end else begin
      rq_in_valid_q <= mac_valid;
    end
    rq_in_acc_q   <= mac_acc;
    rq_in_shift_q <= mac_req_shift;
    rq_in_act_bits_q <= mac_act_bits;
    rq_in_flags_q <= mac_flags;
  end

  // ---------------------------------------------------------------------------------------------
  // Requantisation; its output goes to the hidden buffer or the output stage.
  logic [3:0] rq_user;

  deltamac_requant #(
      .ACC_BITS  (ACC_BITS),
      .BIAS_BITS (BIAS_BITS),
      .MULT_BITS (MULT_BITS),
      .ACT_BITS  (ACT_BITS),
      .SHIFT_BITS(6),
      .USER_WIDTH(4)
  ) u_requant (
      .clk          (clk),
      .rst          (rst),
      .in_valid     (rq_in_valid_q),
      .in_acc       (rq_in_acc_q),
      .in_bias      (bias_word),
      .in_mult      (mult_word),
      .in_shift     (rq_in_shift_q),
      .in_out_signed(rq_in_flags_q[4]),
      .in_act_bits  (rq_in_act_bits_q),
      .in_user      (rq_in_flags_q[3:0]),
      .out_valid    (rq_valid),
      .out_act      (rq_act),
      .out_logit    (rq_logit),
      .out_user     (rq_user)
  );

  assign {rq_last_layer, rq_neuron_first, rq_neuron_last, rq_wr_bank} = rq_user;

  // ---------------------------------------------------------------------------------------------
  // Output stage and status.
  deltamac_output_stage #(
      .NUM_CLASSES(NUM_CLASSES),
      .ACC_BITS   (ACC_BITS),
      .OUT_LOGITS (OUT_LOGITS)
  ) u_output (
      .clk          (clk),
      .rst          (rst),
      .claim        (out_claim),
      .ready        (out_ready),
      .busy         (out_busy),
      .in_valid     (rq_valid && rq_last_layer),
      .in_logit     (rq_logit),
      .in_first     (rq_neuron_first),
      .in_last      (rq_neuron_last),
      .m_axis_tdata (m_axis_tdata),
      .m_axis_tvalid(m_axis_tvalid),
      .m_axis_tready(m_axis_tready),
      .m_axis_tlast (m_axis_tlast),
      .images       (status_images)
  );

  deltamac_cycle_counter u_cycles (
      .clk   (clk),
      .rst   (rst),
      .cycles(status_cycles)
  );

  assign status_busy   = in_busy || seq_busy || out_busy;

endmodule

`resetall
