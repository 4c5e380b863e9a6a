// deltamac_dataflow_top: the dataflow architecture (ARCHITECTURE.md section 6): one engine per
// layer, each with its own lanes, parallel neurons and ROMs in the layer's own format, pipelined
// through ping-pong activation buffers, so every layer works on a different image and an image
// leaves every II = max over layers of CHUNKS * N_OUT / NEURONS cycles (plus the hand-over).
//
//   s_axis -> input_stage (P_0 lanes) -> engine 0 -> act_buffer 1 (P_1 lanes) -> engine 1 -> ...
//          -> engine L-1 -> output_stage -> m_axis
//
// Ports, parameters, status outputs and the wrong-length-image rules are those of deltamac_top
// (ARCHITECTURE.md section 5). The network comes from a dataflow export's deltamac_net_pkg (its
// ARCHITECTURE constant is 1), the ROM contents from ROM_DIR/l<l>_{delta,ref,bias,mult}.mem.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_dataflow_top #(
    // 1: send NUM_CLASSES logits before the class index; 0: the class index only
    parameter int OUT_LOGITS         = 0,
    // pixels per s_axis beat, 1, 2, 4 or 8 (pixel i in TDATA[8*i +: 8]; layer 0's lanes a multiple of it); default: the export's
    parameter int PIXELS_PER_BEAT = deltamac_net_pkg::PIXELS_PER_BEAT,
    // 1: s_axis_tuser marks pixel 0 of an image, a new image starts there; 0: s_axis_tuser ignored
    parameter int SOI_TUSER          = 0,
    // N > 0 (up to 65535): after N cycles without s_axis_tvalid the next beat is pixel 0; 0: off
    parameter int RESYNC_IDLE_CYCLES = 0,
    // a ROM costing at most this many LUT6 as distributed memory is distributed, else block RAM
    parameter int DIST_MAX_LUTS      = 128,
    // an activation buffer of at most this many words (both banks) is distributed RAM (as in deltamac_top), else block RAM
    parameter int DIST_MAX_WORDS     = 128,
    // directory of the ROM images l<l>_{delta,ref,bias,mult}.mem (the export directory; no trailing /)
    parameter     ROM_DIR            = "."
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
    // count of results sent (saturating)
    output logic [31:0]      status_images,
    // cycles since reset (saturating)
    output logic [31:0]      status_cycles
);

  localparam int NUM_LAYERS  = deltamac_net_pkg::NUM_LAYERS;
  localparam int ACT_BITS    = deltamac_net_pkg::ACT_BITS;
  localparam int ACC_BITS    = deltamac_net_pkg::ACC_BITS;
  localparam int BIAS_BITS   = deltamac_net_pkg::BIAS_BITS;
  localparam int MULT_BITS   = deltamac_net_pkg::MULT_BITS;
  localparam int IN_PIXELS   = deltamac_net_pkg::IN_PIXELS;
  localparam int NUM_CLASSES = deltamac_net_pkg::NUM_CLASSES;
  localparam int LAST        = NUM_LAYERS - 1;

  // One 32-bit field of a per-layer table.
  function automatic int field(input logic [NUM_LAYERS*32-1:0] table_v, input int l);
    field = table_v[l*32 +: 32];
  endfunction

  // ---------------------------------------------------------------------------------------------
  // Parameter checks (the engines check their own layer).
  if (deltamac_net_pkg::ARCHITECTURE != 1) begin : gen_check_architecture
    initial $fatal(1, "deltamac_dataflow_top: deltamac_net_pkg is not a dataflow export (ARCHITECTURE %0d, expected 1)",
                   deltamac_net_pkg::ARCHITECTURE);
  end
  if (NUM_LAYERS < 1 || NUM_LAYERS > 10) begin : gen_check_layers
    initial $fatal(1, "deltamac_dataflow_top: NUM_LAYERS must be in 1..10 (one digit in the ROM file names), got %0d",
                   NUM_LAYERS);
  end
  if (ACT_BITS != 8) begin : gen_check_act_bits
    initial $fatal(1, "deltamac_dataflow_top: ACT_BITS (pixel width) must be 8, got %0d", ACT_BITS);
  end
  if (ACC_BITS < 2 || ACC_BITS > 40 || BIAS_BITS > ACC_BITS) begin : gen_check_acc_bits
    initial $fatal(1, "deltamac_dataflow_top: ACC_BITS must be in 2..40 and BIAS_BITS <= ACC_BITS, got ACC_BITS %0d, BIAS_BITS %0d",
                   ACC_BITS, BIAS_BITS);
  end
  if (field(deltamac_net_pkg::LAYER_N_IN, 0) != IN_PIXELS || field(deltamac_net_pkg::LAYER_IN_BITS, 0) != 8) begin : gen_check_input
    initial $fatal(1, "deltamac_dataflow_top: layer 0 must take the IN_PIXELS (%0d) 8-bit pixels, got %0d inputs of %0d bits",
                   IN_PIXELS, field(deltamac_net_pkg::LAYER_N_IN, 0), field(deltamac_net_pkg::LAYER_IN_BITS, 0));
  end
  if (field(deltamac_net_pkg::LAYER_N_OUT, LAST) != NUM_CLASSES) begin : gen_check_classes
    initial $fatal(1, "deltamac_dataflow_top: the last layer has %0d outputs but NUM_CLASSES is %0d",
                   field(deltamac_net_pkg::LAYER_N_OUT, LAST), NUM_CLASSES);
  end

  // ---------------------------------------------------------------------------------------------
  // Engine l's handshakes with its input buffer (l: input stage or act_buffer l) and output
  // (act_buffer l+1 or the output stage), and its result stream.
  logic [NUM_LAYERS-1:0]          in_full, in_release, out_ok, out_claim, out_claim_bank, eng_busy;
  logic [NUM_LAYERS-1:0]          res_valid, res_first, res_last, res_bank, bank_busy;
  logic [NUM_LAYERS*ACT_BITS-1:0] res_act;
  logic [ACC_BITS-1:0]            last_logit;
  logic                           in_busy, out_ready, out_busy;

  for (genvar l = 0; l < NUM_LAYERS; l++) begin : gen_layer
    localparam int N_IN    = field(deltamac_net_pkg::LAYER_N_IN, l);
    localparam int LANES   = field(deltamac_net_pkg::LAYER_LANES, l);
    localparam int IN_BITS = field(deltamac_net_pkg::LAYER_IN_BITS, l);
    localparam int CHUNKS  = (N_IN + LANES - 1) / LANES;
    localparam int AW      = $clog2(CHUNKS > 1 ? CHUNKS : 2);
    localparam logic [7:0] DIGIT = 8'd48 + 8'(l);  // ASCII digit of the ROM file names
    // Both banks of the engine's input buffer in distributed RAM, else block RAM; a block RAM's
    // read request is registered once more (READ_LATENCY 3), so that its address comes from
    // flip-flops beside it and not from the engine's counters, which may sit far away.
    localparam int DIST         = 2 * 2**AW <= DIST_MAX_WORDS ? 1 : 0;
    localparam int READ_LATENCY = DIST != 0 ? 2 : 3;

    if (field(deltamac_net_pkg::LAYER_CHUNKS, l) != CHUNKS) begin : gen_check_chunks
      initial $fatal(1, "deltamac_dataflow_top: layer %0d: LAYER_CHUNKS %0d is not ceil(%0d / %0d)",
                     l, field(deltamac_net_pkg::LAYER_CHUNKS, l), N_IN, LANES);
    end
    if (l > 0 && (N_IN != field(deltamac_net_pkg::LAYER_N_OUT, l > 0 ? l - 1 : 0)
                  || IN_BITS != field(deltamac_net_pkg::LAYER_ACT_BITS, l > 0 ? l - 1 : 0))) begin : gen_check_chain
      initial $fatal(1, "deltamac_dataflow_top: layer %0d: its %0d inputs of %0d bits are not the previous layer's outputs",
                     l, N_IN, IN_BITS);
    end

    logic                     rd_en_next;
    logic [AW-1:0]            rd_addr_next;
    logic [LANES*IN_BITS-1:0] rd_data;

    if (l == 0) begin : gen_input
      deltamac_input_stage #(
          .LANES             (LANES),
          .IN_PIXELS         (IN_PIXELS),
          .DISTRIBUTED       (DIST),
          .PIXELS_PER_BEAT   (PIXELS_PER_BEAT),
          .READ_LATENCY      (READ_LATENCY),
          .SOI_TUSER         (SOI_TUSER),
          .RESYNC_IDLE_CYCLES(RESYNC_IDLE_CYCLES)
      ) u_input (
          .clk          (clk),
          .rst          (rst),
          .s_axis_tdata (s_axis_tdata),
          .s_axis_tvalid(s_axis_tvalid),
          .s_axis_tready(s_axis_tready),
          .s_axis_tlast (s_axis_tlast),
          .s_axis_tuser (s_axis_tuser),
          .img_valid    (in_full[0]),
          .img_release  (in_release[0]),
          .rd_en_next   (rd_en_next),
          .rd_addr_next (rd_addr_next),
          .rd_data      (rd_data),
          .busy         (in_busy),
          .frame_error  (status_frame_error),
          .dropped      (status_dropped),
          .swallowed    (status_swallowed)
      );
      assign bank_busy[0] = 1'b0;  // the input stage's slots count in in_busy
    end else begin : gen_buffer
      logic wr_done, read_bank;

      deltamac_pingpong #(
          .NAME("deltamac_dataflow_top activation buffer")
      ) u_banks (
          .clk       (clk),
          .rst       (rst),
          .claim_ok  (out_ok[l-1]),
          .claim_bank(out_claim_bank[l-1]),
          .claim     (out_claim[l-1]),
          .filled    (wr_done),
          .full      (in_full[l]),
          .read_bank (read_bank),
          .give_back (in_release[l]),
          .busy      (bank_busy[l])
      );

      deltamac_act_buffer #(
          .LANES       (LANES),
          .ACT_BITS    (IN_BITS),
          .DEPTH       (CHUNKS),
          .DISTRIBUTED (DIST),
          .READ_LATENCY(READ_LATENCY)
      ) u_buffer (
          .clk         (clk),
          .rst         (rst),
          .wr_valid    (res_valid[l-1]),
          .wr_first    (res_first[l-1]),
          .wr_last     (res_last[l-1]),
          .wr_bank     (res_bank[l-1]),
          .wr_data     (res_act[(l-1)*ACT_BITS +: IN_BITS]),
          .wr_done     (wr_done),
          .rd_en_next  (rd_en_next),
          .rd_bank_next(read_bank),
          .rd_addr_next(rd_addr_next),
          .rd_data     (rd_data)
      );
    end

    logic [ACC_BITS-1:0] logit;

    deltamac_layer_engine #(
        .N_IN          (N_IN),
        .N_OUT         (field(deltamac_net_pkg::LAYER_N_OUT, l)),
        .LANES         (LANES),
        .NEURONS       (field(deltamac_net_pkg::LAYER_NEURONS, l)),
        .LANE_KIND     (field(deltamac_net_pkg::LAYER_LANE_KIND, l)),
        .SCHEME        (field(deltamac_net_pkg::LAYER_SCHEME, l)),
        .WEIGHT_BITS   (field(deltamac_net_pkg::LAYER_WEIGHT_BITS, l)),
        .DELTA_BITS    (field(deltamac_net_pkg::LAYER_DELTA_BITS, l)),
        .GROUP_WORDS   (field(deltamac_net_pkg::LAYER_GROUP_WORDS, l)),
        .DELTA_SHIFT   (field(deltamac_net_pkg::LAYER_DELTA_SHIFT, l)),
        .REQ_SHIFT     (field(deltamac_net_pkg::LAYER_REQ_SHIFT, l)),
        .IN_SIGNED     (field(deltamac_net_pkg::LAYER_IN_SIGNED, l)),
        .OUT_SIGNED    (field(deltamac_net_pkg::LAYER_OUT_SIGNED, l)),
        .IN_BITS       (IN_BITS),
        .OUT_ACT_BITS  (field(deltamac_net_pkg::LAYER_ACT_BITS, l)),
        .LAST_LAYER    (l == LAST ? 1 : 0),
        .ACC_BITS      (ACC_BITS),
        .BIAS_BITS     (BIAS_BITS),
        .MULT_BITS     (MULT_BITS),
        .ACT_BITS      (ACT_BITS),
        .DIST_MAX_LUTS (DIST_MAX_LUTS),
        .DELTA_ROM_FILE({ROM_DIR, "/l", DIGIT, "_delta.mem"}),
        .REF_ROM_FILE  ({ROM_DIR, "/l", DIGIT, "_ref.mem"}),
        .BIAS_ROM_FILE ({ROM_DIR, "/l", DIGIT, "_bias.mem"}),
        .MULT_ROM_FILE ({ROM_DIR, "/l", DIGIT, "_mult.mem"}),
        .IN_LATENCY    (READ_LATENCY)
    ) u_engine (
        .clk            (clk),
        .rst            (rst),
        .in_full        (in_full[l]),
        .in_release     (in_release[l]),
        .in_rd_en_next  (rd_en_next),
        .in_rd_addr_next(rd_addr_next),
        .in_rd_data     (rd_data),
        .out_ok         (out_ok[l]),
        .out_claim      (out_claim[l]),
        .out_claim_bank (out_claim_bank[l]),
        .out_valid      (res_valid[l]),
        .out_act        (res_act[l*ACT_BITS +: ACT_BITS]),
        .out_logit      (logit),
        .out_first      (res_first[l]),
        .out_last       (res_last[l]),
        .out_bank       (res_bank[l]),
        .busy           (eng_busy[l])
    );

    if (l == LAST) begin : gen_logits
      assign last_logit = logit;
    end else begin : gen_no_logits
      logic unused_logit;  // hidden layers pass activations on
      assign unused_logit = ^logit;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Output stage (the last engine claims it at its start) and status.
  assign out_ok[LAST]         = out_ready;
  assign out_claim_bank[LAST] = 1'b0;

  logic unused_acts;  // the last layer's activations and bank tag (it sends logits), a narrower layer's upper bits
  assign unused_acts = ^{res_act, res_bank[LAST]};

  deltamac_output_stage #(
      .NUM_CLASSES(NUM_CLASSES),
      .ACC_BITS   (ACC_BITS),
      .OUT_LOGITS (OUT_LOGITS)
  ) u_output (
      .clk          (clk),
      .rst          (rst),
      .claim        (out_claim[LAST]),
      .ready        (out_ready),
      .busy         (out_busy),
      .in_valid     (res_valid[LAST]),
      .in_logit     (last_logit),
      .in_first     (res_first[LAST]),
      .in_last      (res_last[LAST]),
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

  assign status_busy = in_busy || out_busy || |eng_busy || |bank_busy;

endmodule

`resetall
