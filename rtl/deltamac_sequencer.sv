// deltamac_sequencer: layer / neuron / chunk counters driving the MAC pipeline.
//
// Per layer l, neuron j, word c it issues one word per cycle, with no gaps inside a layer and
// neurons back to back: delta ROM address DELTA_BASE[l]+j*C+c, reference ROM address (one per
// group of LAYER_GROUP_WORDS words), and the activation word c (input buffer for layer 0,
// hidden bank (l-1)%2 otherwise). All ROM addresses are running counters reset at image start,
// because layers, rows and groups are stored back to back. One cycle later, aligned with the
// registered ROM / buffer data, it presents the decoder input: lane activations sign- or
// zero-extended (LAYER_IN_SIGNED) to ACT_BITS+1 bits, lanes >= n_in masked to 0, and the tags.
//
// Scheduling: a layer starts when its input is ready (layer 0: a complete image in the input
// buffer; later layers: the previous layer's last output written, `layer_done`) and, for the
// last layer, when the output stage can take the result (`out_ready`; claimed by `out_claim`).
// The next image's layer 0 needs no barrier: it reads the input buffer and its first hidden
// write comes long after the last read of the previous image.
//
// Configuration comes from the generated package deltamac_net_pkg.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_sequencer #(
    // input buffer word address width (set by deltamac_top)
    parameter int IN_AW      = 6,
    // hidden buffer word address width (set by deltamac_top)
    parameter int HID_AW     = 6,
    // delta ROM address width (derived)
    localparam int DELTA_AW  = $clog2(deltamac_net_pkg::DELTA_ROM_DEPTH > 1 ? deltamac_net_pkg::DELTA_ROM_DEPTH : 2),
    // reference ROM address width (derived)
    localparam int REF_AW    = $clog2(deltamac_net_pkg::REF_ROM_DEPTH > 1 ? deltamac_net_pkg::REF_ROM_DEPTH : 2),
    // bias / multiplier ROM address width (derived)
    localparam int NEURON_AW = $clog2(deltamac_net_pkg::NEURON_ROM_DEPTH > 1 ? deltamac_net_pkg::NEURON_ROM_DEPTH : 2),
    // MAC lanes (derived)
    localparam int LANES     = deltamac_net_pkg::LANES,
    // width of one extended activation fed to the MAC array (derived)
    localparam int MAC_ACT_W = deltamac_net_pkg::ACT_BITS + 1,
    // layer index width (derived)
    localparam int LAYER_W   = $clog2(deltamac_net_pkg::NUM_LAYERS > 1 ? deltamac_net_pkg::NUM_LAYERS : 2)
) (
    // clock
    input  wire logic                         clk,
    // synchronous active-high reset
    input  wire logic                         rst,

    // a complete image waits in the input buffer
    input  wire logic                         img_valid,
    // one-cycle pulse: last read of the current input buffer slot issued
    output logic                              img_release,
    // one-cycle pulse: the last output of the current hidden layer has been written
    input  wire logic                         layer_done,
    // the output stage can take a result
    input  wire logic                         out_ready,
    // one-cycle pulse: the last layer starts, the output stage is claimed for its result
    output logic                              out_claim,

    // input buffer read request for the next cycle (the buffers register it)
    output logic                              in_rd_en_next,
    // input buffer word address to read in the next cycle
    output logic      [IN_AW-1:0]             in_rd_addr_next,
    // input buffer read data (two cycles after in_rd_en_next)
    input  wire logic [LANES*8-1:0]           in_rd_data,
    // hidden buffer read request for the next cycle
    output logic                              hid_rd_en_next,
    // hidden buffer bank to read in the next cycle
    output logic                              hid_rd_bank_next,
    // hidden buffer word address to read in the next cycle
    output logic      [HID_AW-1:0]            hid_rd_addr_next,
    // hidden buffer read data (two cycles after hid_rd_en_next)
    input  wire logic [LANES*8-1:0]           hid_rd_data,
    // delta (and reference) ROM read request
    output logic                              rom_rd_en,
    // delta ROM address
    output logic      [DELTA_AW-1:0]          delta_rd_addr,
    // reference ROM address
    output logic      [REF_AW-1:0]            ref_rd_addr,

    // decoder input valid (aligned with the ROM read data)
    output logic                              dec_valid,
    // the word starts a reference group
    output logic                              dec_group_start,
    // delta shift s of the word's layer
    output logic      [3:0]                   dec_shift,
    // lane activations, extended to MAC_ACT_W bits, padded lanes 0
    output logic      [LANES*MAC_ACT_W-1:0]   dec_acts,
    // first word of a neuron
    output logic                              dec_first,
    // last word of a neuron
    output logic                              dec_last,
    // tag: global neuron index (bias / multiplier ROM address)
    output logic      [NEURON_AW-1:0]         dec_neuron_addr,
    // tag: requantisation shift k of the layer
    output logic      [5:0]                   dec_req_shift,
    // tag: the layer's output is signed (clamp)
    output logic                              dec_out_signed,
    // tag: the layer's output activation width (LAYER_ACT_BITS, 2..ACT_BITS)
    output logic      [3:0]                   dec_act_bits,
    // tag: the neuron belongs to the last layer (result goes to the output stage)
    output logic                              dec_last_layer,
    // tag: first neuron of the layer
    output logic                              dec_neuron_first,
    // tag: last neuron of the layer
    output logic                              dec_neuron_last,
    // tag: hidden bank the layer's output is written to
    output logic                              dec_wr_bank,
    // tag: the word's layer (deltamac_top's run-time shifts are looked up with it)
    output logic      [LAYER_W-1:0]           dec_layer,

    // an image is being computed
    output logic                              busy
);

  localparam int NUM_LAYERS = deltamac_net_pkg::NUM_LAYERS;
  localparam int LANE_W     = $clog2(LANES + 1);
  localparam int WORD_AW    = $clog2(deltamac_net_pkg::MAX_CHUNKS > 1 ? deltamac_net_pkg::MAX_CHUNKS : 2);

  // Lanes used by the last word of a row of layer l: n_in - (C-1)*P.
  function automatic logic [NUM_LAYERS*32-1:0] last_word_lanes(input int lanes);
    int l;
    for (l = 0; l < NUM_LAYERS; l++) begin
      last_word_lanes[l*32 +: 32] = deltamac_net_pkg::LAYER_N_IN[l*32 +: 32]
                                  - (deltamac_net_pkg::LAYER_CHUNKS[l*32 +: 32] - 32'd1) * 32'(lanes);
    end
  endfunction

  localparam logic [NUM_LAYERS*32-1:0] LAYER_LAST_LANES = last_word_lanes(LANES);

  // The most neurons of any layer.
  function automatic logic [31:0] max_n_out(input int num_layers);
    int l;
    max_n_out = 32'd1;
    for (l = 0; l < num_layers; l++) begin
      if (deltamac_net_pkg::LAYER_N_OUT[l*32 +: 32] > max_n_out) begin
        max_n_out = deltamac_net_pkg::LAYER_N_OUT[l*32 +: 32];
      end
    end
  endfunction

  localparam int MAX_N_OUT = max_n_out(NUM_LAYERS);
  localparam int NEURON_W  = $clog2(MAX_N_OUT > 1 ? MAX_N_OUT : 2);  // neuron index in a layer

  // One 32-bit field of a per-layer table.
  function automatic logic [31:0] field(input logic [NUM_LAYERS*32-1:0] table_v, input logic [LAYER_W-1:0] l);
    field = table_v[32*l +: 32];
  endfunction

  typedef enum logic [1:0] {
    READY,  // layer layer_q starts when its inputs (and for the last layer the output stage) are ready
    RUN,    // issuing words
    WAIT    // barrier: waiting for the previous layer's last output
  } state_e;

  state_e               state_q, state_d;
  logic [LAYER_W-1:0]   layer_q, layer_d;
  logic [WORD_AW-1:0]   chunk_q, chunk_d;
  logic [WORD_AW-1:0]   gword_q, gword_d;  // word index inside the reference group
  logic [NEURON_W-1:0]  neuron_q, neuron_d;
  logic [DELTA_AW-1:0]  delta_addr_q, delta_addr_d;
  logic [REF_AW-1:0]    ref_addr_q, ref_addr_d;
  logic [NEURON_AW-1:0] neuron_addr_q, neuron_addr_d;

  // Current layer's constants, registered from layer_q so that no table mux feeds the counters
  // (a layer change always passes through WAIT or READY, so they are current before the layer's
  // first issue): the index before the last word, group word and neuron, whether there is only
  // one, and the lanes of a row's last word.
  logic [WORD_AW-1:0]  cur_chunk_before_last_q, cur_gword_before_last_q;
  logic [NEURON_W-1:0] cur_neuron_before_last_q;
  logic                cur_single_chunk_q, cur_single_gword_q;
  logic [LANE_W-1:0]   cur_last_lanes_q;
  logic                cur_is_last, cur_start_ok;
  logic                layer_first_q, layer_last_q;  // layer_q is the first / the last layer
  logic [LAYER_W-1:0]  cur_layer;

  assign cur_layer = rst ? '0 : layer_q;

  always_ff @(posedge clk) begin
    cur_chunk_before_last_q  <= WORD_AW'(field(deltamac_net_pkg::LAYER_CHUNKS, cur_layer) - 32'd2);
    cur_gword_before_last_q  <= WORD_AW'(field(deltamac_net_pkg::LAYER_GROUP_WORDS, cur_layer) - 32'd2);
    cur_neuron_before_last_q <= NEURON_W'(field(deltamac_net_pkg::LAYER_N_OUT, cur_layer) - 32'd2);
    cur_single_chunk_q       <= field(deltamac_net_pkg::LAYER_CHUNKS, cur_layer) == 32'd1;
    cur_single_gword_q       <= field(deltamac_net_pkg::LAYER_GROUP_WORDS, cur_layer) == 32'd1;
    cur_last_lanes_q         <= LANE_W'(field(LAYER_LAST_LANES, cur_layer));
  end

  assign cur_is_last  = layer_last_q;
  assign cur_start_ok = (!layer_first_q || img_valid) && (!cur_is_last || out_ready);

  // The word being issued is the last of its row / group, the neuron the last of its layer:
  // registered flags, set one word ahead (counter == index before the last), so that neither
  // an increment nor a wide compare lies between these high-fanout decisions and the counters.
  logic last_chunk_q, last_chunk_d;
  logic last_gword_q, last_gword_d;
  logic last_neuron_q, last_neuron_d;
  logic issue, last_chunk, last_neuron, last_gword, start;
  logic issue_q, img_release_q;  // state_q == RUN; the issued word is layer 0's last (both registered ahead)
  assign issue       = issue_q;
  assign last_chunk  = last_chunk_q;
  assign last_neuron = last_neuron_q;
  assign last_gword  = last_gword_q;
  assign start       = state_q == READY && cur_start_ok;

  // A word is issued in the next cycle (state_d == RUN, written out: the layer starts, or the
  // current one goes on). The layer of that word is layer_q, which changes only on leaving RUN.
  logic issue_next;
  assign issue_next = start || (issue && !(last_chunk && last_neuron));

  always_comb begin
    state_d       = state_q;
    layer_d       = layer_q;
    chunk_d       = chunk_q;
    gword_d       = gword_q;
    neuron_d      = neuron_q;
    delta_addr_d  = delta_addr_q;
    ref_addr_d    = ref_addr_q;
    neuron_addr_d = neuron_addr_q;
    last_chunk_d  = last_chunk_q;
    last_gword_d  = last_gword_q;
    last_neuron_d = last_neuron_q;
    case (state_q)
      READY: begin
        // Counters, flags and (for layer 0) ROM addresses restart whether or not the layer
        // starts now, so that only the state waits for the start decision (img_valid,
        // out_ready): none of them is in use in READY.
        chunk_d  = '0;
        gword_d  = '0;
        neuron_d = '0;
        // From the table: cur_* may still hold the previous layer in READY's first cycle.
        last_chunk_d  = field(deltamac_net_pkg::LAYER_CHUNKS, layer_q) == 32'd1;
        last_gword_d  = field(deltamac_net_pkg::LAYER_GROUP_WORDS, layer_q) == 32'd1;
        last_neuron_d = field(deltamac_net_pkg::LAYER_N_OUT, layer_q) == 32'd1;
        if (layer_first_q) begin
          delta_addr_d  = '0;
          ref_addr_d    = '0;
          neuron_addr_d = '0;
        end
        if (start) begin
          state_d = RUN;
        end
      end
      RUN: begin
        delta_addr_d = delta_addr_q + DELTA_AW'(1);
        chunk_d      = last_chunk ? '0 : chunk_q + WORD_AW'(1);
        gword_d      = last_gword ? '0 : gword_q + WORD_AW'(1);
        if (last_gword) begin
          ref_addr_d = ref_addr_q + REF_AW'(1);
        end
        last_chunk_d = last_chunk ? cur_single_chunk_q : chunk_q == cur_chunk_before_last_q;
        last_gword_d = last_gword ? cur_single_gword_q : gword_q == cur_gword_before_last_q;
        if (last_chunk) begin
          neuron_d      = neuron_q + NEURON_W'(1);
          neuron_addr_d = neuron_addr_q + NEURON_AW'(1);
          last_neuron_d = neuron_q == cur_neuron_before_last_q;  // after the last: READY resets it
          if (last_neuron) begin
            if (cur_is_last) begin
              state_d = READY;
              layer_d = '0;
            end else begin
              state_d = WAIT;
              layer_d = layer_q + LAYER_W'(1);
            end
          end
        end
      end
      WAIT: begin
        if (layer_done) begin
          state_d = READY;
        end
      end
      default: state_d = READY;
    endcase
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      state_q       <= READY;
      layer_q       <= '0;
      chunk_q       <= '0;
      gword_q       <= '0;
      neuron_q      <= '0;
      delta_addr_q  <= '0;
      ref_addr_q    <= '0;
      neuron_addr_q <= '0;
      last_chunk_q  <= 1'b0;
      last_gword_q  <= 1'b0;
      last_neuron_q <= 1'b0;
      layer_first_q <= 1'b1;
      layer_last_q  <= NUM_LAYERS == 1;
      issue_q       <= 1'b0;
      img_release_q <= 1'b0;
    end else begin
      state_q       <= state_d;
      layer_q       <= layer_d;
      chunk_q       <= chunk_d;
      gword_q       <= gword_d;
      neuron_q      <= neuron_d;
      delta_addr_q  <= delta_addr_d;
      ref_addr_q    <= ref_addr_d;
      neuron_addr_q <= neuron_addr_d;
      last_chunk_q  <= last_chunk_d;
      last_gword_q  <= last_gword_d;
      last_neuron_q <= last_neuron_d;
      layer_first_q <= layer_d == '0;
      layer_last_q  <= layer_d == LAYER_W'(NUM_LAYERS - 1);
      issue_q       <= issue_next;
      img_release_q <= issue_next && layer_first_q && last_chunk_d && last_neuron_d;
    end
  end

  assign img_release   = img_release_q;
  assign out_claim     = start && cur_is_last;
  // Buffer reads are requested a cycle ahead, from the next state: the word issued next cycle.
  // The word address comes from a copy of the word counter (kept apart from chunk_q by `keep`)
  // whose next value feeds only the buffers' address registers (or block RAM address), so that
  // their spread does not stretch chunk_q's own loop. The copy holds the word after the one
  // issued now, so no adder lies on the way to the buffers.
  (* keep *) logic [WORD_AW-1:0] rd_chunk_after_q;
  logic [WORD_AW-1:0]            rd_chunk_d;

  assign rd_chunk_d = state_q != RUN || last_chunk ? '0 : rd_chunk_after_q;

  (* keep *) always_ff @(posedge clk) begin
    if (rst) begin
      rd_chunk_after_q <= WORD_AW'(1);
    end else begin
      rd_chunk_after_q <= rd_chunk_d + WORD_AW'(1);
    end
  end

  assign in_rd_en_next    = issue_next && layer_first_q;
  assign in_rd_addr_next  = IN_AW'(rd_chunk_d);
  assign hid_rd_en_next   = issue_next && !layer_first_q;
  assign hid_rd_bank_next = !layer_q[0];
  assign hid_rd_addr_next = HID_AW'(rd_chunk_d);
  assign rom_rd_en     = issue;
  assign delta_rd_addr = delta_addr_q;
  assign ref_rd_addr   = ref_addr_q;
  assign busy          = state_q != READY || layer_q != '0;

  // Stage 1: tags delayed by the one-cycle ROM / buffer read.
  logic                 s1_valid_q;
  logic                 s1_from_input_q, s1_in_signed_q;
  logic [LANE_W-1:0]    s1_lanes_q;  // lanes holding real activations
  logic                 s1_group_start_q, s1_first_q, s1_last_q;
  logic [3:0]           s1_shift_q;
  logic [NEURON_AW-1:0] s1_neuron_addr_q;
  logic [5:0]           s1_req_shift_q;
  logic                 s1_out_signed_q, s1_last_layer_q, s1_neuron_first_q, s1_neuron_last_q, s1_wr_bank_q;
  logic [3:0]           s1_act_bits_q;
  logic [LAYER_W-1:0]   s1_layer_q;

  always_ff @(posedge clk) begin
    if (rst) begin
      s1_valid_q <= 1'b0;
    end else begin
      s1_valid_q <= issue;
    end
    s1_from_input_q   <= layer_q == '0;
    s1_in_signed_q    <= field(deltamac_net_pkg::LAYER_IN_SIGNED, layer_q) != 32'd0;
    s1_lanes_q        <= last_chunk ? cur_last_lanes_q : LANE_W'(LANES);
    s1_group_start_q  <= gword_q == '0;
    s1_first_q        <= chunk_q == '0;
    s1_last_q         <= last_chunk;
    s1_shift_q        <= 4'(field(deltamac_net_pkg::LAYER_DELTA_SHIFT, layer_q));
    s1_neuron_addr_q  <= neuron_addr_q;
    s1_req_shift_q    <= 6'(field(deltamac_net_pkg::LAYER_REQ_SHIFT, layer_q));
    s1_out_signed_q   <= field(deltamac_net_pkg::LAYER_OUT_SIGNED, layer_q) != 32'd0;
    s1_act_bits_q     <= 4'(field(deltamac_net_pkg::LAYER_ACT_BITS, layer_q));
    s1_last_layer_q   <= cur_is_last;
    s1_neuron_first_q <= neuron_q == '0;
    s1_neuron_last_q  <= last_neuron;
    s1_wr_bank_q      <= layer_q[0];
    s1_layer_q        <= layer_q;
  end

  logic [LANES*8-1:0] s1_word;
  assign s1_word = s1_from_input_q ? in_rd_data : hid_rd_data;

  for (genvar p = 0; p < LANES; p++) begin : gen_lane
    logic [7:0] act;
    assign act = s1_word[p*8 +: 8];
    assign dec_acts[p*MAC_ACT_W +: MAC_ACT_W] =
        LANE_W'(p) < s1_lanes_q ? {s1_in_signed_q & act[7], act} : '0;
  end

  assign dec_valid        = s1_valid_q;
  assign dec_group_start  = s1_group_start_q;
  assign dec_shift        = s1_shift_q;
  assign dec_first        = s1_first_q;
  assign dec_last         = s1_last_q;
  assign dec_neuron_addr  = s1_neuron_addr_q;
  assign dec_req_shift    = s1_req_shift_q;
  assign dec_out_signed   = s1_out_signed_q;
  assign dec_act_bits     = s1_act_bits_q;
  assign dec_last_layer   = s1_last_layer_q;
  assign dec_neuron_first = s1_neuron_first_q;
  assign dec_neuron_last  = s1_neuron_last_q;
  assign dec_wr_bank      = s1_wr_bank_q;
  assign dec_layer        = s1_layer_q;

`ifndef SYNTHESIS
  // Simulation check: the barrier. A hidden layer's last output is written (layer_done) only
  // while the sequencer waits for it; anywhere else the pulse would be lost and it would hang.
  always @(posedge clk) begin
    if (!rst && layer_done && state_q != WAIT) begin
      $fatal(1, "deltamac_sequencer: layer_done in state %0d (0 READY, 1 RUN), not at the barrier (WAIT), at %0t", state_q,
             $time);
    end
  end
`endif

endmodule

`resetall
