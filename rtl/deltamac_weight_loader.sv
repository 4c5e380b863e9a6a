// deltamac_weight_loader: the run-time weight load port of deltamac_top (RUNTIME_WEIGHTS = 1).
//
// Takes a load image (ARCHITECTURE.md "Run-time weight load image") from an AXI4-Stream of 32-bit
// words and writes it into the core's weight RAMs and per-layer shift registers:
//   beat 0           MAGIC ("DMW1")
//   beat 1           SHAPE: the network shape's signature, computed here from deltamac_net_pkg
//   NUM_LAYERS beats per layer l: [3:0] delta shift s, [13:8] requantisation shift k
//   then the delta, reference (not for plain), bias and multiplier memories, word 0 first, each
//   word in ceil(width/32) beats, least significant 32 bits first (upper bits of the last beat 0,
//   ignored); TLAST on the image's last beat only.
// A wrong MAGIC or SHAPE (or TLAST inside the header) refuses the image: nothing is written, the
// rest of it up to TLAST is discarded, `errors` counts it. After the header the words are written
// as they arrive and `weights_valid` is low until the image ends correctly; an image that ends
// early (TLAST before its last beat) or late (no TLAST on it, the rest discarded up to TLAST) is
// counted in `errors` and leaves `weights_valid` low (deltamac_top then takes no pixels) until a
// complete image is loaded. `loads` counts complete images.
//
// Load rule (enforced with deltamac_top): s_axis_tready of this port is low until `core_idle` (no
// image received, waiting, computed or sent). From the cycle the image's first beat is taken until
// its last word is written, `hold_pixels` is high and deltamac_top takes no pixel, so an image is
// computed entirely with one network: the one before the load, or the one after it. A pixel and a
// load beat offered in the same idle cycle: the load goes first.
//
// The RAM contents, the shifts and `weights_valid` are not reset by rst (as the RAMs' contents are
// not): they start as the exported network, by the FPGA's configuration.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_weight_loader #(
    // delta memory address width (set by deltamac_top)
    parameter int DELTA_AW  = 10,
    // reference memory address width (set by deltamac_top)
    parameter int REF_AW    = 7,
    // bias / multiplier memory address width (set by deltamac_top)
    parameter int NEURON_AW = 7,
    // layers (derived)
    localparam int NUM_LAYERS  = deltamac_net_pkg::NUM_LAYERS,
    // delta memory word width (derived)
    localparam int DELTA_W     = deltamac_net_pkg::LANES * deltamac_net_pkg::DELTA_BITS,
    // reference word width (derived)
    localparam int REF_W       = deltamac_net_pkg::WEIGHT_BITS,
    // bias word width (derived)
    localparam int BIAS_W      = deltamac_net_pkg::BIAS_BITS,
    // multiplier word width (derived)
    localparam int MULT_W      = deltamac_net_pkg::MULT_BITS
) (
    // clock
    input  wire logic                      clk,
    // synchronous active-high reset (the counters and the receive state; not the weights)
    input  wire logic                      rst,

    // AXI4-Stream load image: one 32-bit word per beat
    input  wire logic [31:0]               s_axis_tdata,
    // AXI4-Stream load image: valid
    input  wire logic                      s_axis_tvalid,
    // AXI4-Stream load image: ready (low until core_idle, then high up to the image's TLAST)
    output logic                           s_axis_tready,
    // AXI4-Stream load image: TLAST on the image's last beat
    input  wire logic                      s_axis_tlast,

    // the core has no image in flight (received, waiting, computed or sent)
    input  wire logic                      core_idle,
    // the core must take no pixel: an image is being loaded (or its first beat is taken now), or
    // the weights are not valid
    output logic                           hold_pixels,

    // delta memory write strobe
    output logic                           delta_wr_en,
    // reference memory write strobe
    output logic                           ref_wr_en,
    // bias memory write strobe
    output logic                           bias_wr_en,
    // multiplier memory write strobe
    output logic                           mult_wr_en,
    // word address of the write (the memory's own; the narrower memories take its low bits)
    output logic [DELTA_AW-1:0]            wr_addr_delta,
    // reference memory word address of the write
    output logic [REF_AW-1:0]              wr_addr_ref,
    // bias / multiplier memory word address of the write
    output logic [NEURON_AW-1:0]           wr_addr_neuron,
    // delta memory word
    output logic [DELTA_W-1:0]             delta_wr_data,
    // reference memory word
    output logic [REF_W-1:0]               ref_wr_data,
    // bias memory word
    output logic [BIAS_W-1:0]              bias_wr_data,
    // multiplier memory word
    output logic [MULT_W-1:0]              mult_wr_data,

    // per-layer delta shift s (layer l at [4*l +: 4])
    output logic [NUM_LAYERS*4-1:0]        layer_delta_shift,
    // per-layer requantisation shift k (layer l at [6*l +: 6])
    output logic [NUM_LAYERS*6-1:0]        layer_req_shift,
    // the memories and shifts hold a complete network (the configuration's, or the last complete load)
    output logic                           weights_valid,
    // complete images loaded since reset (saturating)
    output logic [31:0]                    loads,
    // images refused (wrong header) or broken (wrong length) since reset (saturating)
    output logic [31:0]                    errors
);

  localparam logic [31:0] MAGIC = 32'h444d_5731;  // "DMW1"
  localparam int SCHEME       = deltamac_net_pkg::SCHEME;
  localparam int DELTA_DEPTH  = deltamac_net_pkg::DELTA_ROM_DEPTH;
  localparam int REF_DEPTH    = deltamac_net_pkg::REF_ROM_DEPTH;
  localparam int NEURON_DEPTH = deltamac_net_pkg::NEURON_ROM_DEPTH;
  localparam int DELTA_BEATS  = (DELTA_W + 31) / 32;
  localparam int BIAS_BEATS   = (BIAS_W + 31) / 32;
  localparam int MAX_BEATS    = DELTA_BEATS > BIAS_BEATS ? DELTA_BEATS : BIAS_BEATS;
  localparam int BEAT_W       = $clog2(MAX_BEATS > 1 ? MAX_BEATS : 2);
  localparam int ADDR_W       = DELTA_AW > NEURON_AW ? DELTA_AW : NEURON_AW;  // the deepest memory's

  // One 32-bit field of a per-layer table of the package.
  function automatic logic [31:0] field(input logic [NUM_LAYERS*32-1:0] table_v, input int l);
    field = table_v[32*l +: 32];
  endfunction

  // SHAPE: FNV-1a over 32-bit words (h = (h ^ word) * 16777619 mod 2**32, from 2166136261) of
  // LANES, SCHEME, WEIGHT_BITS, DELTA_BITS, BIAS_BITS, MULT_BITS, NUM_LAYERS, then per layer
  // n_in, n_out, group words, input signed, output signed, activation bits (model/loadimage.py).
  function automatic logic [31:0] fnv(input logic [31:0] h, input logic [31:0] word);
    fnv = (h ^ word) * 32'd16777619;
  endfunction

  function automatic logic [31:0] shape_signature(input int num_layers);
    int l;
    shape_signature = 32'd2166136261;
    shape_signature = fnv(shape_signature, 32'(deltamac_net_pkg::LANES));
    shape_signature = fnv(shape_signature, 32'(SCHEME));
    shape_signature = fnv(shape_signature, 32'(deltamac_net_pkg::WEIGHT_BITS));
    shape_signature = fnv(shape_signature, 32'(deltamac_net_pkg::DELTA_BITS));
    shape_signature = fnv(shape_signature, 32'(BIAS_W));
    shape_signature = fnv(shape_signature, 32'(MULT_W));
    shape_signature = fnv(shape_signature, 32'(num_layers));
    for (l = 0; l < num_layers; l++) begin
      shape_signature = fnv(shape_signature, field(deltamac_net_pkg::LAYER_N_IN, l));
      shape_signature = fnv(shape_signature, field(deltamac_net_pkg::LAYER_N_OUT, l));
      shape_signature = fnv(shape_signature, field(deltamac_net_pkg::LAYER_GROUP_WORDS, l));
      shape_signature = fnv(shape_signature, field(deltamac_net_pkg::LAYER_IN_SIGNED, l));
      shape_signature = fnv(shape_signature, field(deltamac_net_pkg::LAYER_OUT_SIGNED, l));
      shape_signature = fnv(shape_signature, field(deltamac_net_pkg::LAYER_ACT_BITS, l));
    end
  endfunction

  localparam logic [31:0] SHAPE = shape_signature(NUM_LAYERS);

  typedef enum logic [2:0] {
    HEAD,     // idle: the next beat is an image's MAGIC
    SHAPE_W,  // the next beat is SHAPE
    CONFIG,   // per-layer shift words
    DELTA,    // memory words, in this order
    REF,
    BIAS,
    MULT,
    DISCARD   // a refused or overlong image: beats up to TLAST are dropped
  } state_e;

  state_e                  state_q = HEAD, state_d;
  logic [BEAT_W-1:0]       beat_q = '0, beat_d;    // beat inside the memory word
  logic [ADDR_W-1:0]       addr_q = '0, addr_d;    // memory word (or layer, in CONFIG)
  logic [MAX_BEATS*32-1:0] collect_q;              // the word's beats, the last one at the top
  logic [MAX_BEATS*32+31:0] collect_shifted;
  logic [3:0]              wr_q = '0, wr_d;        // write strobes {delta, ref, bias, mult}
  logic [ADDR_W-1:0]       wr_addr_q;
  logic                    valid_q = 1'b1, valid_d;
  logic                    beat, loaded, failed;

  assign s_axis_tready   = state_q == HEAD ? core_idle : 1'b1;
  assign collect_shifted = {s_axis_tdata, collect_q};
  assign beat          = s_axis_tvalid && s_axis_tready;

  // The current memory's last beat of a word and last word.
  logic last_beat, last_word;
  always_comb begin
    last_beat = 1'b1;
    last_word = 1'b0;
    case (state_q)
      CONFIG: last_word = addr_q == ADDR_W'(NUM_LAYERS - 1);
      DELTA: begin
        last_beat = beat_q == BEAT_W'(DELTA_BEATS - 1);
        last_word = addr_q == ADDR_W'(DELTA_DEPTH - 1);
      end
      REF:  last_word = addr_q == ADDR_W'(REF_DEPTH - 1);
      BIAS: begin
        last_beat = beat_q == BEAT_W'(BIAS_BEATS - 1);
        last_word = addr_q == ADDR_W'(NEURON_DEPTH - 1);
      end
      MULT: last_word = addr_q == ADDR_W'(NEURON_DEPTH - 1);
      default: ;
    endcase
  end

  always_comb begin
    state_d = state_q;
    beat_d  = beat_q;
    addr_d  = addr_q;
    wr_d    = '0;
    valid_d = valid_q;
    loaded  = 1'b0;
    failed  = 1'b0;
    if (beat) begin
      case (state_q)
        HEAD, SHAPE_W: begin
          if (s_axis_tdata == (state_q == HEAD ? MAGIC : SHAPE) && !s_axis_tlast) begin
            state_d = SHAPE_W;
            if (state_q == SHAPE_W) begin
              state_d = CONFIG;
              addr_d  = '0;
              valid_d = 1'b0;  // from here on the memories change
            end
          end else begin
            failed  = 1'b1;  // refused: nothing written, the rest discarded
            state_d = DISCARD;
            if (s_axis_tlast) begin
              state_d = HEAD;
            end
          end
        end
        DISCARD: begin
          if (s_axis_tlast) begin
            state_d = HEAD;
          end
        end
        default: begin  // CONFIG and the memories
          beat_d = last_beat ? '0 : beat_q + BEAT_W'(1);
          if (last_beat) begin
            addr_d = last_word ? '0 : addr_q + ADDR_W'(1);
            wr_d   = {state_q == DELTA, state_q == REF, state_q == BIAS, state_q == MULT};
          end
          if (last_beat && last_word) begin
            case (state_q)
              CONFIG:  state_d = DELTA;
              DELTA: begin
                state_d = BIAS;
                if (SCHEME != 0) begin
                  state_d = REF;
                end
              end
              REF:     state_d = BIAS;
              BIAS:    state_d = MULT;
              default: state_d = HEAD;  // MULT: the image's last beat
            endcase
          end
          if (state_q == MULT && last_beat && last_word) begin
            loaded  = s_axis_tlast;
            failed  = !s_axis_tlast;
            valid_d = s_axis_tlast;
            if (!s_axis_tlast) begin
              state_d = DISCARD;  // overlong: the rest up to TLAST is dropped
            end
          end else if (s_axis_tlast) begin
            failed  = 1'b1;  // ended early
            state_d = HEAD;
            beat_d  = '0;
            wr_d    = '0;
          end
        end
      endcase
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      state_q <= HEAD;
      beat_q  <= '0;
      addr_q  <= '0;
      wr_q    <= '0;
    end else begin
      state_q <= state_d;
      beat_q  <= beat_d;
      addr_q  <= addr_d;
      wr_q    <= wr_d;
    end
    valid_q   <= valid_d;  // not reset: the memories keep their contents over rst
    wr_addr_q <= addr_q;
    if (beat) begin
      collect_q <= collect_shifted[32 +: MAX_BEATS*32];
    end
  end

  // Per-layer shifts, starting as the package's (the configuration's network, whose words the
  // RAMs' INIT files hold); written by the layer's CONFIG beat.
  for (genvar l = 0; l < NUM_LAYERS; l++) begin : gen_shift
    logic [3:0] delta_shift_q = 4'(field(deltamac_net_pkg::LAYER_DELTA_SHIFT, l));
    logic [5:0] req_shift_q   = 6'(field(deltamac_net_pkg::LAYER_REQ_SHIFT, l));
    always_ff @(posedge clk) begin
      if (beat && state_q == CONFIG && addr_q == ADDR_W'(l)) begin
        delta_shift_q <= s_axis_tdata[3:0];
        req_shift_q   <= s_axis_tdata[13:8];
      end
    end
    assign layer_delta_shift[4*l +: 4] = delta_shift_q;
    assign layer_req_shift[6*l +: 6]   = req_shift_q;
  end

  logic unused_collect;  // bits above the memories' widths (0 in an image), the oldest beat, CONFIG fields
  assign unused_collect = ^collect_shifted;

  assign hold_pixels    = state_q != HEAD || wr_q != '0 || beat || !valid_q;
  assign {delta_wr_en, ref_wr_en, bias_wr_en, mult_wr_en} = wr_q;
  assign wr_addr_delta  = DELTA_AW'(wr_addr_q);
  assign wr_addr_ref    = REF_AW'(wr_addr_q);
  assign wr_addr_neuron = NEURON_AW'(wr_addr_q);
  // a word of B beats is the top B*32 bits of collect_q after its last beat
  assign delta_wr_data  = collect_q[(MAX_BEATS - DELTA_BEATS)*32 +: DELTA_W];
  assign ref_wr_data    = collect_q[(MAX_BEATS - 1)*32 +: REF_W];
  assign bias_wr_data   = collect_q[(MAX_BEATS - BIAS_BEATS)*32 +: BIAS_W];
  assign mult_wr_data   = collect_q[(MAX_BEATS - 1)*32 +: MULT_W];
  assign weights_valid     = valid_q;

  deltamac_event_counter u_loads (
      .clk  (clk),
      .rst  (rst),
      .inc  (loaded),
      .count(loads)
  );

  deltamac_event_counter u_errors (
      .clk  (clk),
      .rst  (rst),
      .inc  (failed),
      .count(errors)
  );

`ifndef SYNTHESIS
  // The load rule: while an image is loaded, the core stays idle (it takes no pixel).
  always @(posedge clk) begin
    if (!rst && state_q != HEAD && !core_idle) begin
      $fatal(1, "deltamac_weight_loader: the core is busy while a weight image is loaded (state %0d), at %0t",
             state_q, $time);
    end
  end
`endif

endmodule

`resetall
