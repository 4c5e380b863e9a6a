// deltamac_lutnet_top: a LUT-mapped network as logic (ARCHITECTURE.md section 7), one image per
// clock when an image is one beat.
//
//   s_axis -> deltamac_framer (wrong-length rule, resync)
//          -> deltamac_lutnet_quantizer (the beat's PIXELS_PER_BEAT pixels -> IN_BITS-bit codes)
//          -> image register (stage 0: the codes of the whole image, BEATS-1 beats collected
//             before the last one)
//          -> deltamac_lutnet_layer 0 -> ... -> layer L-1 (a register each with REGISTER_LAYERS = 1)
//          -> deltamac_lutnet_classify (class scores: a pipelined adder tree per class; argmax:
//             a pipelined compare tree, ties to the lowest index)
//          -> result FIFO (deltamac_fifo, FIFO_DEPTH results) -> m_axis
//
// The network comes from a LUT-network export's deltamac_net_pkg (ARCHITECTURE 2): thresholds,
// per-layer shapes, connectivity (CONN); the tables from ROM_DIR/lut_l<l>.mem (one digit: at
// most 10 layers).
//
// Ports, parameters SOI_TUSER / RESYNC_IDLE_CYCLES, the status outputs and the wrong-length rules
// (counted in beats, BEATS = IN_PIXELS / PIXELS_PER_BEAT) are those of deltamac_top (ARCHITECTURE.md
// section 5). A result is one beat: m_axis_tdata = class index (zero-extended), m_axis_tlast = 1,
// m_axis_tuser = the class scores (class c at [c*SCORE_BITS +: SCORE_BITS]).
//
// Pipeline: free-running (no enable on the data registers, no backpressure inside): an image
// goes through PIPE register stages (the image register, REGISTER_LAYERS ? one per layer : none,
// the output rule's) with a valid bit beside it, into a result FIFO that m_axis reads. m_axis
// backpressure stops images at the input instead, by credits: `outstanding` counts the images in
// the pipeline or the FIFO, and an image is taken only while fewer than CAPACITY = FIFO_DEPTH
// are outstanding (credit_q, a register: both of its next values are compared before the cycle's
// image decision selects one, so no compare sits between TREADY and the count), so every image
// in flight has a FIFO slot. CAPACITY >= LATENCY + 2, so a sink that is always ready never holds
// the input back: one image per clock.
// s_axis_tready is low only when a beat taken now could end an image (the framer's
// end_possible) and no credit is left; the other beats of a multi-beat image are always taken.
//
// Latency: an image whose last beat is taken at clock edge t is written into the FIFO at edge
// t + PIPE and offered on m_axis (TVALID high) from there, so its result beat is taken at edge
// t + LATENCY = t + PIPE + 1 at the earliest. Throughput: one image per BEATS cycles (one per
// clock at PIXELS_PER_BEAT = IN_PIXELS).

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_lutnet_top #(
    // pixels per s_axis beat (pixel i in TDATA[8*i +: 8]), must divide IN_PIXELS; default: the export's
    parameter int PIXELS_PER_BEAT    = deltamac_net_pkg::PIXELS_PER_BEAT,
    // 1: s_axis_tuser marks pixel 0 of an image, a new image starts there; 0: s_axis_tuser ignored
    parameter int SOI_TUSER          = 0,
    // N > 0 (up to 65535): after N cycles without s_axis_tvalid the next beat is pixel 0; 0: off
    parameter int RESYNC_IDLE_CYCLES = 0,
    // 1: a register after every layer (the default); 0: the layers are combinational between the
    // image and the result register
    parameter int REGISTER_LAYERS    = 1,
    // directory of the table files lut_l<l>.mem (the export directory; no trailing /)
    parameter     ROM_DIR            = ".",
    // register stages from the image to the result FIFO: the image, REGISTER_LAYERS ? each layer :
    // none, the output rule's (its input register, ceil(log2 K) adder and ceil(log2 classes)
    // compare levels) (derived)
    localparam int PIPE              = 2 + (REGISTER_LAYERS != 0 ? deltamac_net_pkg::NUM_LAYERS : 0)
                                       + (deltamac_net_pkg::CLASS_PARTITIONS > 1 ? $clog2(deltamac_net_pkg::CLASS_PARTITIONS) : 0)
                                       + $clog2(deltamac_net_pkg::NUM_CLASSES > 1 ? deltamac_net_pkg::NUM_CLASSES : 2),
    // clock edges from the edge taking an image's last beat to the edge taking its result, at the
    // earliest (derived)
    localparam int LATENCY           = PIPE + 1,
    // results the FIFO holds, a power of two >= LATENCY + 2 (derived)
    localparam int FIFO_DEPTH        = 2**$clog2(LATENCY + 2),
    // images the core takes while m_axis stalls (derived)
    localparam int CAPACITY          = FIFO_DEPTH
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

    // AXI4-Stream result output: the class index
    output logic [31:0]      m_axis_tdata,
    // AXI4-Stream result output: valid
    output logic             m_axis_tvalid,
    // AXI4-Stream result output: ready
    input  wire logic        m_axis_tready,
    // AXI4-Stream result output: TLAST, high on every result beat (a result is one beat)
    output logic             m_axis_tlast,
    // AXI4-Stream result output: TUSER, the class scores, class c at [c*SCORE_BITS +: SCORE_BITS]
    output logic [deltamac_net_pkg::NUM_CLASSES*deltamac_net_pkg::SCORE_BITS-1:0] m_axis_tuser,

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
  localparam int IN_PIXELS   = deltamac_net_pkg::IN_PIXELS;
  localparam int IN_BITS     = deltamac_net_pkg::IN_BITS;
  localparam int NUM_CLASSES = deltamac_net_pkg::NUM_CLASSES;
  localparam int K           = deltamac_net_pkg::CLASS_PARTITIONS;
  localparam int SCORE_BITS  = deltamac_net_pkg::SCORE_BITS;
  localparam int CONN_BITS   = deltamac_net_pkg::CONN_BITS;
  localparam int LAST        = NUM_LAYERS - 1;

  // One 32-bit field of a per-layer table.
  function automatic int field(input logic [NUM_LAYERS*32-1:0] table_v, input int l);
    field = table_v[l*32 +: 32];
  endfunction

  // A PIXELS_PER_BEAT that divides IN_PIXELS (otherwise the core is built for one pixel per
  // beat, so that only the message below stops elaboration).
  localparam bit PPB_OK   = PIXELS_PER_BEAT >= 1 && IN_PIXELS % (PIXELS_PER_BEAT >= 1 ? PIXELS_PER_BEAT : 1) == 0;
  localparam int PPB      = PPB_OK ? PIXELS_PER_BEAT : 1;
  localparam int BEATS    = IN_PIXELS / PPB;         // beats per image
  localparam int CB       = PPB * IN_BITS;           // code bits of one beat
  localparam int IMG_BITS = IN_PIXELS * IN_BITS;     // code bits of one image
  localparam int LAST_OUT_BITS = field(deltamac_net_pkg::LAYER_OUT_BITS, LAST);
  localparam int CLASS_W  = $clog2(NUM_CLASSES > 1 ? NUM_CLASSES : 2);
  localparam int RESULT_W = CLASS_W + NUM_CLASSES * SCORE_BITS;  // a FIFO word: {scores, class}
  localparam int CREDIT_W = $clog2(FIFO_DEPTH) + 1;               // outstanding images, 0..FIFO_DEPTH

  // ---------------------------------------------------------------------------------------------
  // Parameter checks (the layers, the quantiser, the framer and the classifier check their own).
  if (deltamac_net_pkg::ARCHITECTURE != 2) begin : gen_check_architecture
    initial $fatal(1, "deltamac_lutnet_top: deltamac_net_pkg is not a LUT-network export (ARCHITECTURE %0d, expected 2)",
                   deltamac_net_pkg::ARCHITECTURE);
  end
  if (NUM_LAYERS < 1 || NUM_LAYERS > 10) begin : gen_check_layers
    initial $fatal(1, "deltamac_lutnet_top: NUM_LAYERS must be in 1..10 (one digit in the table file names), got %0d",
                   NUM_LAYERS);
  end
  if (!PPB_OK) begin : gen_check_ppb
    initial $fatal(1, "deltamac_lutnet_top: PIXELS_PER_BEAT (%0d) must divide IN_PIXELS (%0d)", PIXELS_PER_BEAT, IN_PIXELS);
  end
  if (REGISTER_LAYERS != 0 && REGISTER_LAYERS != 1) begin : gen_check_register_layers
    initial $fatal(1, "deltamac_lutnet_top: REGISTER_LAYERS must be 0 (combinational layers) or 1 (a register per layer), got %0d",
                   REGISTER_LAYERS);
  end
  if (field(deltamac_net_pkg::LAYER_N_IN, 0) != IN_PIXELS || field(deltamac_net_pkg::LAYER_IN_BITS, 0) != IN_BITS) begin : gen_check_input
    initial $fatal(1, "deltamac_lutnet_top: layer 0 must read the IN_PIXELS (%0d) codes of IN_BITS (%0d) bits, got %0d inputs of %0d bits",
                   IN_PIXELS, IN_BITS, field(deltamac_net_pkg::LAYER_N_IN, 0), field(deltamac_net_pkg::LAYER_IN_BITS, 0));
  end
  if (field(deltamac_net_pkg::LAYER_N_OUT, LAST) != NUM_CLASSES * K) begin : gen_check_classes
    initial $fatal(1, "deltamac_lutnet_top: the last layer has %0d partitions, expected NUM_CLASSES * CLASS_PARTITIONS = %0d * %0d",
                   field(deltamac_net_pkg::LAYER_N_OUT, LAST), NUM_CLASSES, K);
  end

  // ---------------------------------------------------------------------------------------------
  // Framing and input handshake.
  logic beat, store, complete, img_in;
  logic unused_first, discard, at_first, discarding, end_possible;
  logic                result_taken;                       // m_axis handshake
  logic [CREDIT_W-1:0] outstanding_q, outstanding_d;       // images in the pipeline or the FIFO
  logic                credit_q = 1'b1;                    // outstanding_q < CAPACITY (power-up = reset value)

  deltamac_framer #(
      .BEATS             (BEATS),
      .SOI_TUSER         (SOI_TUSER),
      .RESYNC_IDLE_CYCLES(RESYNC_IDLE_CYCLES),
      .NAME              ("deltamac_lutnet_top")
  ) u_framer (
      .clk          (clk),
      .rst          (rst),
      .s_axis_tvalid(s_axis_tvalid),
      .beat         (beat),
      .s_axis_tlast (s_axis_tlast),
      .s_axis_tuser (s_axis_tuser),
      .first        (unused_first),  // the collect register needs no beat index
      .discard      (discard),
      .complete     (complete),
      .at_first     (at_first),
      .discarding   (discarding),
      .end_possible (end_possible),
      .frame_error  (status_frame_error),
      .dropped      (status_dropped),
      .swallowed    (status_swallowed)
  );

  assign s_axis_tready = !end_possible || credit_q;
  assign beat          = s_axis_tvalid && s_axis_tready;
  assign store         = beat && !discard;   // the beat belongs to an image
  assign img_in        = store && complete;  // ... and ends a complete one: into stage 0

  // ---------------------------------------------------------------------------------------------
  // Quantiser and image register (stage 0): the beat's codes; the BEATS-1 beats before the last
  // one shift through collect_q (beat 0 ends in the low bits), so at the last beat
  // {its codes, collect_q} is the image, feature i at [i*IN_BITS +: IN_BITS]. Junk of dropped
  // images is shifted out by the next image's beats.
  logic [CB-1:0]       beat_codes;
  logic [IMG_BITS-1:0] image_codes, img_q;

  deltamac_lutnet_quantizer #(
      .N         (PPB),
      .IN_BITS   (IN_BITS),
      .THRESHOLDS(deltamac_net_pkg::IN_THRESHOLDS)
  ) u_quantizer (
      .features(s_axis_tdata[8*PPB-1:0]),
      .codes   (beat_codes)
  );

  if (BEATS > 1) begin : gen_collect
    logic [(BEATS-1)*CB-1:0] collect_q;
    logic [BEATS*CB-1:0]     shifted;
    assign shifted     = {beat_codes, collect_q};
    assign image_codes = shifted;
    always_ff @(posedge clk) begin
      if (store) begin
        collect_q <= shifted[BEATS*CB-1:CB];
      end
    end
  end else begin : gen_single_beat
    assign image_codes = beat_codes;
  end

  always_ff @(posedge clk) begin
    if (img_in) begin
      img_q <= image_codes;
    end
  end

  // credit_q = outstanding_q < CAPACITY. Its next value is one of two compares of the register
  // (outstanding_q <= CAPACITY always), selected by this cycle's image and result, which settle
  // last: one image in and none out leaves a credit if outstanding_q < CAPACITY - 1, one result
  // out and none in always, otherwise (neither or both) if outstanding_q < CAPACITY.
  logic below_full_q, below_almost_full_q;  // outstanding_q < CAPACITY, < CAPACITY - 1
  logic credit_d;

  assign below_full_q        = outstanding_q < CREDIT_W'(CAPACITY);
  assign below_almost_full_q = outstanding_q < CREDIT_W'(CAPACITY - 1);
  assign outstanding_d       = outstanding_q + CREDIT_W'(img_in) - CREDIT_W'(result_taken);
  assign credit_d            = img_in && !result_taken ? below_almost_full_q
                             : !img_in && result_taken ? 1'b1 : below_full_q;

  always_ff @(posedge clk) begin
    if (rst) begin
      outstanding_q <= '0;
      credit_q      <= 1'b1;
    end else begin
      outstanding_q <= outstanding_d;
      credit_q      <= credit_d;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Layers: layer l's output codes gen_layer[l].out_codes, registered every cycle
  // (REGISTER_LAYERS = 1) or combinational; layer l > 0 reads gen_layer[l-1].out_codes.
  for (genvar l = 0; l < NUM_LAYERS; l++) begin : gen_layer
    localparam int N_IN     = field(deltamac_net_pkg::LAYER_N_IN, l);
    localparam int N_OUT    = field(deltamac_net_pkg::LAYER_N_OUT, l);
    localparam int FAN_IN   = field(deltamac_net_pkg::LAYER_FAN_IN, l);
    localparam int L_IN     = field(deltamac_net_pkg::LAYER_IN_BITS, l);
    localparam int L_OUT    = field(deltamac_net_pkg::LAYER_OUT_BITS, l);
    localparam int BASE     = field(deltamac_net_pkg::LAYER_CONN_BASE, l);
    localparam int IN_W     = N_IN * L_IN;
    localparam logic [7:0] DIGIT = 8'd48 + 8'(l);  // ASCII digit of the table file name
    // layer 0 reads the image; layer l > 0 the N_OUT codes of OUT_BITS of layer l-1
    localparam bit CHAIN_OK = l == 0 ? IN_W == IMG_BITS
                                     : N_IN == field(deltamac_net_pkg::LAYER_N_OUT, l > 0 ? l - 1 : 0)
                                       && L_IN == field(deltamac_net_pkg::LAYER_OUT_BITS, l > 0 ? l - 1 : 0);
    localparam bit CONN_OK  = BASE + N_OUT * FAN_IN <= deltamac_net_pkg::CONN_FIELDS;

    logic [IN_W-1:0]        layer_in;
    logic [N_OUT*L_OUT-1:0] out_codes;

    if (l > 0 && !CHAIN_OK) begin : gen_check_chain
      initial $fatal(1, "deltamac_lutnet_top: layer %0d: its %0d inputs of %0d bits are not the previous layer's outputs",
                     l, N_IN, L_IN);
    end
    if (!CONN_OK) begin : gen_check_conn_base
      initial $fatal(1, "deltamac_lutnet_top: layer %0d: CONN fields %0d..%0d are beyond CONN_FIELDS = %0d",
                     l, BASE, BASE + N_OUT * FAN_IN - 1, deltamac_net_pkg::CONN_FIELDS);
    end
    if (!CHAIN_OK) begin : gen_no_input  // (layer 0: gen_check_input's message)
      assign layer_in = '0;
    end else if (l == 0) begin : gen_from_image
      assign layer_in = img_q;
    end else begin : gen_from_layer
      assign layer_in = gen_layer[l > 0 ? l - 1 : 0].out_codes;
    end

    // this layer's CONN fields (an illegal package reads from field 0 while its message stops elaboration)
    localparam int CONN_AT = CONN_OK ? BASE : 0;

    deltamac_lutnet_layer #(
        .N_IN      (N_IN),
        .N_OUT     (N_OUT),
        .FAN_IN    (FAN_IN),
        .IN_BITS   (L_IN),
        .OUT_BITS  (L_OUT),
        .CONN_BITS (CONN_BITS),
        .CONN      (deltamac_net_pkg::CONN[CONN_AT*CONN_BITS +: N_OUT*FAN_IN*CONN_BITS]),
        .TABLE_FILE({ROM_DIR, "/lut_l", DIGIT, ".mem"}),
        .REGISTERED(REGISTER_LAYERS != 0 ? 1 : 0)
    ) u_layer (
        .clk      (clk),
        .en       (1'b1),
        .in_codes (layer_in),
        .out_codes(out_codes)
    );
  end

  // ---------------------------------------------------------------------------------------------
  // Output rule, result FIFO and status. The valid bit of an image travels PIPE cycles beside it:
  // high in the cycle its result leaves the output rule, which writes it into the FIFO.
  logic [CLASS_W-1:0]                class_idx;
  logic [NUM_CLASSES*SCORE_BITS-1:0] scores;
  logic                              result_valid;  // the output rule holds an image's result
  logic [RESULT_W-1:0]               result_out;    // the FIFO's oldest result
  logic [CREDIT_W-1:0]               unused_fifo_count;  // outstanding_q covers it

  deltamac_lutnet_classify #(
      .NUM_CLASSES     (NUM_CLASSES),
      .CLASS_PARTITIONS(K),
      .CODE_BITS       (LAST_OUT_BITS),
      .SCORE_BITS      (SCORE_BITS)
  ) u_classify (
      .clk      (clk),
      .codes    (gen_layer[LAST].out_codes),
      .scores   (scores),
      .class_idx(class_idx)
  );

  deltamac_delay #(
      .WIDTH(1),
      .DEPTH(PIPE),
      .RESET(1)
  ) u_valid (
      .clk      (clk),
      .rst      (rst),
      .in_value (img_in),
      .out_value(result_valid)
  );

  deltamac_fifo #(
      .WIDTH(RESULT_W),
      .DEPTH(FIFO_DEPTH)
  ) u_results (
      .clk      (clk),
      .rst      (rst),
      .wr       (result_valid),
      .in_data  ({scores, class_idx}),
      .out_valid(m_axis_tvalid),
      .out_data (result_out),
      .rd       (result_taken),
      .count    (unused_fifo_count)
  );

  assign result_taken  = m_axis_tvalid && m_axis_tready;
  assign m_axis_tdata  = 32'(result_out[CLASS_W-1:0]);
  assign m_axis_tlast  = 1'b1;
  assign m_axis_tuser  = result_out[RESULT_W-1:CLASS_W];

  deltamac_event_counter u_images (
      .clk  (clk),
      .rst  (rst),
      .inc  (result_taken),
      .count(status_images)
  );

  deltamac_cycle_counter u_cycles (
      .clk   (clk),
      .rst   (rst),
      .cycles(status_cycles)
  );

  assign status_busy = !at_first || discarding || outstanding_q != '0;

`ifndef SYNTHESIS
  // Simulation checks: the source and the result master keep the AXI4-Stream rules (TUSER held
  // with TDATA where it is used); an image is taken only with a credit (a FIFO slot for it).
  deltamac_axis_check #(
      .DATA_W(8*PIXELS_PER_BEAT + 1),
      .NAME  ("deltamac_lutnet_top s_axis")
  ) u_s_axis_check (
      .clk   (clk),
      .rst   (rst),
      .tvalid(s_axis_tvalid),
      .tready(s_axis_tready),
      .tdata ({SOI_TUSER != 0 ? s_axis_tuser : 1'b0, s_axis_tdata}),
      .tlast (s_axis_tlast)
  );

  deltamac_axis_check #(
      .DATA_W(32 + NUM_CLASSES*SCORE_BITS),
      .NAME  ("deltamac_lutnet_top m_axis")
  ) u_m_axis_check (
      .clk   (clk),
      .rst   (rst),
      .tvalid(m_axis_tvalid),
      .tready(m_axis_tready),
      .tdata ({m_axis_tuser, m_axis_tdata}),
      .tlast (m_axis_tlast)
  );

  always @(posedge clk) begin
    if (!rst && img_in && !credit_q) begin
      $fatal(1, "deltamac_lutnet_top: an image was taken without a credit (%0d outstanding) at %0t", outstanding_q, $time);
    end
    if (!rst && outstanding_q > CREDIT_W'(CAPACITY)) begin
      $fatal(1, "deltamac_lutnet_top: %0d images outstanding, more than CAPACITY = %0d at %0t", outstanding_q, CAPACITY, $time);
    end
  end
`endif

endmodule

`resetall
