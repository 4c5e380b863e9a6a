// deltamac_lutnet_top: a LUT-mapped network as logic (ARCHITECTURE.md section 7), one image per
// clock when an image is one beat.
//
//   s_axis -> deltamac_framer (wrong-length rule, resync)
//          -> deltamac_lutnet_quantizer (the beat's PIXELS_PER_BEAT pixels -> IN_BITS-bit codes)
//          -> image register (stage 0: the codes of the whole image, BEATS-1 beats collected
//             before the last one)
//          -> deltamac_lutnet_layer 0 -> ... -> layer L-1 (a register each with REGISTER_LAYERS = 1)
//          -> deltamac_lutnet_classify (class scores, argmax; the result register) -> m_axis
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
// Pipeline: STAGES = 2 + (REGISTER_LAYERS ? NUM_LAYERS : 0) register stages (image, each layer,
// result), each with a valid bit. A stage takes new data when it is empty or its content moves
// on in the same cycle (ready[s] = !valid[s] || ready[s+1], ready[STAGES] = m_axis_tready), so
// images follow each other one per clock and m_axis backpressure stalls only what it must.
// s_axis_tready is low only when a beat taken now could end an image (the framer's end_possible)
// and stage 0 cannot take it: the pipeline is full and m_axis is stalled. The other beats of a
// multi-beat image are always taken.
//
// Latency: LATENCY = STAGES clock edges. An image whose last beat is taken at edge t is offered
// on m_axis (TVALID high) from edge t + LATENCY - 1, so its result beat is taken at edge
// t + LATENCY at the earliest: NUM_LAYERS + 2 with REGISTER_LAYERS = 1, 2 with 0 (all layers and
// the score sums in one cycle). Throughput: one image per BEATS cycles (one per clock at
// PIXELS_PER_BEAT = IN_PIXELS).

`resetall
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
    // clock edges from the edge taking an image's last beat to the edge taking its result, at the
    // earliest: the register stages (image, REGISTER_LAYERS ? each layer : none, result) (derived)
    localparam int LATENCY           = 2 + (REGISTER_LAYERS != 0 ? deltamac_net_pkg::NUM_LAYERS : 0)
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
  // register stages, one clock edge of latency each: image, the layers (REGISTER_LAYERS = 1), result
  localparam int STAGES   = LATENCY;

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
  logic [STAGES:0]   ready;    // ready[s]: stage s can take data in this cycle (ready[STAGES]: m_axis)
  logic [STAGES-1:0] valid_q;  // stage s holds an image (valid_q[STAGES-1]: m_axis_tvalid)

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

  assign s_axis_tready = !end_possible || ready[0];
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

  // ---------------------------------------------------------------------------------------------
  // Valid bits: stage s loads when ready[s]; stage 0 from the input, stage s > 0 from stage s-1.
  logic [STAGES-1:0] valid_d;

  // ready[s] = !valid_q[s] || ready[s+1], unrolled: a stage at or after s is empty, or m_axis takes the result
  assign ready[STAGES] = m_axis_tready;
  for (genvar s = 0; s < STAGES; s++) begin : gen_stage
    assign ready[s] = m_axis_tready || !(&valid_q[STAGES-1:s]);
    if (s == 0) begin : gen_image
      assign valid_d[s] = img_in || (valid_q[s] && !ready[s+1]);
    end else begin : gen_next
      assign valid_d[s] = ready[s] ? valid_q[s-1] : valid_q[s];
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      valid_q <= '0;
    end else begin
      valid_q <= valid_d;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Layers: layer l's output codes gen_layer[l].out_codes, registered as stage l+1
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
        .en       (ready[REGISTER_LAYERS != 0 ? l + 1 : 0]),
        .in_codes (layer_in),
        .out_codes(out_codes)
    );
  end

  // ---------------------------------------------------------------------------------------------
  // Output rule (the result register, stage STAGES-1) and status.
  logic [$clog2(NUM_CLASSES > 1 ? NUM_CLASSES : 2)-1:0] class_idx;
  logic [NUM_CLASSES*SCORE_BITS-1:0]                   scores;

  deltamac_lutnet_classify #(
      .NUM_CLASSES     (NUM_CLASSES),
      .CLASS_PARTITIONS(K),
      .CODE_BITS       (LAST_OUT_BITS),
      .SCORE_BITS      (SCORE_BITS)
  ) u_classify (
      .clk      (clk),
      .en       (ready[STAGES-1]),
      .codes    (gen_layer[LAST].out_codes),
      .scores   (scores),
      .class_idx(class_idx)
  );

  assign m_axis_tvalid = valid_q[STAGES-1];
  assign m_axis_tdata  = 32'(class_idx);
  assign m_axis_tlast  = 1'b1;
  assign m_axis_tuser  = scores;

  deltamac_event_counter u_images (
      .clk  (clk),
      .rst  (rst),
      .inc  (m_axis_tvalid && m_axis_tready),
      .count(status_images)
  );

  deltamac_cycle_counter u_cycles (
      .clk   (clk),
      .rst   (rst),
      .cycles(status_cycles)
  );

  assign status_busy = !at_first || discarding || valid_q != '0;

`ifndef SYNTHESIS
  // Simulation checks: the source and the result master keep the AXI4-Stream rules (TUSER held
  // with TDATA where it is used); an image is taken into stage 0 only when it is free.
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
    if (!rst && img_in && !ready[0]) begin
      $fatal(1, "deltamac_lutnet_top: an image was taken while stage 0 was full at %0t", $time);
    end
  end
`endif

endmodule

`resetall
