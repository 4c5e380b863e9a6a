// deltamac_input_stage: AXI4-Stream pixel slave into a ping-pong pair of input buffers.
//
// Each beat carries PIXELS_PER_BEAT pixels (1, 2, 4 or 8; default 1): pixel i of the beat in
// TDATA bits [8*i +: 8], pixel 0 in the LSBs, the image in row-major order, so an image is
// BEATS = IN_PIXELS / PIXELS_PER_BEAT beats with TLAST on the last. IN_PIXELS and LANES must be
// multiples of PIXELS_PER_BEAT (a beat's pixels land in one buffer word; lane p of word w is
// still pixel w*LANES + p), else elaboration stops with $fatal naming the values.
//
// Beats are written into the free slot of a two-slot buffer; a slot is full once it has received
// exactly BEATS beats with TLAST on the last, and becomes `img_valid` when the buffer reports the
// image written (`wr_done`, WRITE_LATENCY cycles later). The sequencer reads that slot and
// returns it with `img_release` once it has issued its last read, so the next image loads while
// the current one computes. TREADY is low while both slots are full. The first / last beat flags
// are registers (no beat counter compare feeds the buffer).
//
// Wrong-length images (ARCHITECTURE.md section 5, counted in beats; the rule is deltamac_framer,
// shared with deltamac_lutnet_top): TLAST before beat BEATS-1
// -> the partial image is dropped; no TLAST on beat BEATS-1 -> the image is dropped and further
// beats are discarded up to and including the next TLAST. Each such image pulses `frame_error`
// once and counts in `dropped` (saturating); the slot is reused by the next image. Every
// BEATS-th discarded beat counts in `swallowed` (saturating): an image lost inside the discarded
// run (without TLAST the next image's beats are discarded, and its TLAST ends the discarding).
// Images lost = dropped + swallowed.
//
// Resynchronisation, both off by default: with SOI_TUSER = 1 a beat with s_axis_tuser high is
// beat 0 (pixels 0..PIXELS_PER_BEAT-1) of a new image; with RESYNC_IDLE_CYCLES = N > 0, after N
// consecutive cycles without TVALID the next beat is beat 0. Either one ends discarding, and a
// partly received image it cuts off is dropped (frame_error, dropped) like a short one.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_input_stage #(
    // MAC lanes (pixels per buffer word)
    parameter int LANES     = 16,
    // pixels per image
    parameter int IN_PIXELS = 784,
    // input buffer memory: 1 distributed (LUT) RAM, 0 block RAM
    parameter int DISTRIBUTED = 0,
    // 1: s_axis_tuser marks pixel 0 of an image (a new image starts there); 0: TUSER is ignored
    parameter int SOI_TUSER   = 0,
    // N > 0: after N consecutive cycles without TVALID the next beat is pixel 0; 0: off
    parameter int RESYNC_IDLE_CYCLES = 0,
    // pixels per AXI4-Stream beat: 1, 2, 4 or 8 (IN_PIXELS and LANES multiples of it)
    parameter int PIXELS_PER_BEAT = 1,
    // cycles from rd_en_next to rd_data, 2 or 3 (deltamac_act_buffer's READ_LATENCY)
    parameter int READ_LATENCY = 2,
    // buffer words per image (derived)
    localparam int WORDS    = (IN_PIXELS + LANES - 1) / LANES,
    // buffer word address width (derived)
    localparam int ADDR_W   = $clog2(WORDS > 1 ? WORDS : 2)
) (
    // clock
    input  wire logic                      clk,
    // synchronous active-high reset (drops a partly received image)
    input  wire logic                      rst,

    // AXI4-Stream pixel input: data, pixel i of the beat in bits [8*i +: 8]
    input  wire logic [8*PIXELS_PER_BEAT-1:0] s_axis_tdata,
    // AXI4-Stream pixel input: valid
    input  wire logic                      s_axis_tvalid,
    // AXI4-Stream pixel input: ready
    output logic                           s_axis_tready,
    // AXI4-Stream pixel input: last beat of an image
    input  wire logic                      s_axis_tlast,
    // AXI4-Stream pixel input: beat 0 (pixel 0) of an image (used with SOI_TUSER = 1)
    input  wire logic                      s_axis_tuser,

    // a complete image waits in the slot the sequencer reads
    output logic                           img_valid,
    // one-cycle pulse: the sequencer has issued its last read of that slot
    input  wire logic                      img_release,
    // buffer read request for the next cycle (the slot read then)
    input  wire logic                      rd_en_next,
    // buffer word address to read in the next cycle
    input  wire logic [ADDR_W-1:0]       rd_addr_next,
    // buffer word, READ_LATENCY cycles after rd_en_next (lane p = pixel rd_addr_next*LANES+p)
    output logic      [LANES*8-1:0]        rd_data,

    // an image is being received or waits in a slot
    output logic                           busy,
    // one-cycle pulse when a wrong-length image (or one cut off by a resync) is dropped
    output logic                           frame_error,
    // number of dropped images (saturating; counts one cycle after the frame_error pulse)
    output logic      [15:0]               dropped,
    // number of images swallowed while discarding: BEATS discarded beats each (saturating)
    output logic      [15:0]               swallowed
);

  // A legal PIXELS_PER_BEAT that divides IN_PIXELS and LANES (PPB_OK: the buffer then takes
  // whole beats; otherwise it is built for one pixel per write, so only this module's message
  // stops elaboration).
  localparam bit PPB_LEGAL = PIXELS_PER_BEAT == 1 || PIXELS_PER_BEAT == 2 || PIXELS_PER_BEAT == 4
                             || PIXELS_PER_BEAT == 8;
  localparam bit PPB_OK    = PPB_LEGAL && IN_PIXELS % (PPB_LEGAL ? PIXELS_PER_BEAT : 1) == 0
                             && LANES % (PPB_LEGAL ? PIXELS_PER_BEAT : 1) == 0;
  localparam int PPB       = PPB_OK ? PIXELS_PER_BEAT : 1;  // pixels per buffer write
  // beats per image (IN_PIXELS with the default PIXELS_PER_BEAT = 1)
  localparam int BEATS     = IN_PIXELS / PPB;

  if (LANES < 1 || IN_PIXELS < 1) begin : gen_check_params
    initial $fatal(1, "deltamac_input_stage: LANES (%0d) and IN_PIXELS (%0d) must be >= 1", LANES, IN_PIXELS);
  end
  if (!PPB_LEGAL) begin : gen_check_ppb
    initial $fatal(1, "deltamac_input_stage: PIXELS_PER_BEAT must be 1, 2, 4 or 8, got %0d", PIXELS_PER_BEAT);
  end else if (IN_PIXELS % PIXELS_PER_BEAT != 0) begin : gen_check_ppb_pixels
    initial $fatal(1, "deltamac_input_stage: IN_PIXELS (%0d) must be a multiple of PIXELS_PER_BEAT (%0d)",
                   IN_PIXELS, PIXELS_PER_BEAT);
  end else if (LANES % PIXELS_PER_BEAT != 0) begin : gen_check_ppb_lanes
    initial $fatal(1, "deltamac_input_stage: LANES (%0d) must be a multiple of PIXELS_PER_BEAT (%0d): a beat's pixels go into one buffer word",
                   LANES, PIXELS_PER_BEAT);
  end
  // SOI_TUSER and RESYNC_IDLE_CYCLES are checked by u_framer (with this module's name).

  // Power-up values (= the reset values, as the FPGA's configuration loads them) on the registers
  // behind s_axis_tready, so that it is defined before the first clock edge under reset.
  logic [1:0]       full_q = '0, full_d;  // slot holds a complete image (written or being written)
  logic [1:0]       ready_q, ready_d;     // slot's image is in the buffer (readable)
  logic             wr_slot_q = 1'b0, wr_slot_d; // slot being filled
  logic             done_slot_q, done_slot_d; // slot of the next image the buffer reports written
  logic             rd_slot_q, rd_slot_d; // slot read by the sequencer
  logic             img_valid_q, img_valid_d;  // (ready_q & rd_sel) != 0, registered from the next state

  logic       beat, store, complete, wr_done;
  logic [1:0] wr_sel, rd_sel, done_sel;  // one-hot masks of the slots (no indexed writes)

  // Framing (deltamac_framer): cur_first / cur_discard / complete: where a beat taken now falls
  // (beat 0; discarded; the last beat of a complete image); first_q / discard_q: its registers
  // (no image partly received; discarding up to the next TLAST or resync).
  logic cur_first, cur_discard, first_q, discard_q;
  logic unused_end_possible;  // TREADY here waits for a free slot at every beat

  deltamac_framer #(
      .BEATS             (BEATS),
      .SOI_TUSER         (SOI_TUSER),
      .RESYNC_IDLE_CYCLES(RESYNC_IDLE_CYCLES),
      .NAME              ("deltamac_input_stage")
  ) u_framer (
      .clk          (clk),
      .rst          (rst),
      .s_axis_tvalid(s_axis_tvalid),
      .beat         (beat),
      .s_axis_tlast (s_axis_tlast),
      .s_axis_tuser (s_axis_tuser),
      .first        (cur_first),
      .discard      (cur_discard),
      .complete     (complete),
      .at_first     (first_q),
      .discarding   (discard_q),
      .end_possible (unused_end_possible),
      .frame_error  (frame_error),
      .dropped      (dropped),
      .swallowed    (swallowed)
  );

  assign wr_sel        = {wr_slot_q, !wr_slot_q};
  assign rd_sel        = {rd_slot_q, !rd_slot_q};
  assign done_sel      = {done_slot_q, !done_slot_q};
  // While discarding the write slot is free (it was being filled when the error came), so a
  // beat that resyncs out of discarding can be stored.
  assign s_axis_tready = discard_q || (full_q & wr_sel) == 2'b00;
  assign beat          = s_axis_tvalid && s_axis_tready;
  assign store         = beat && !cur_discard;  // with complete: the image's last beat

  // The next img_valid with img_release as the last select (it comes from the sequencer): the
  // slot read next is the other one after a release, whose ready bit the release does not clear.
  logic ready_cur_d, ready_other_d;  // next ready bit of the slot read now / of the other slot
  assign ready_cur_d   = ((ready_q & rd_sel) != 2'b00) || (wr_done && done_slot_q == rd_slot_q);
  assign ready_other_d = ((ready_q & ~rd_sel) != 2'b00) || (wr_done && done_slot_q != rd_slot_q);
  assign img_valid_d   = img_release ? ready_other_d : ready_cur_d;

  always_comb begin
    full_d      = full_q;
    ready_d     = ready_q;
    wr_slot_d   = wr_slot_q;
    done_slot_d = done_slot_q;
    rd_slot_d   = rd_slot_q;
    if (img_release) begin
      full_d    = full_q & ~rd_sel;
      ready_d   = ready_q & ~rd_sel;
      rd_slot_d = !rd_slot_q;
    end
    if (wr_done) begin
      ready_d     = ready_d | done_sel;
      done_slot_d = !done_slot_q;
    end
    if (store && complete) begin
      full_d    = full_d | wr_sel;
      wr_slot_d = !wr_slot_q;
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      full_q      <= '0;
      ready_q     <= '0;
      wr_slot_q   <= 1'b0;
      done_slot_q <= 1'b0;
      rd_slot_q   <= 1'b0;
      img_valid_q <= 1'b0;
    end else begin
      full_q      <= full_d;
      ready_q     <= ready_d;
      wr_slot_q   <= wr_slot_d;
      done_slot_q <= done_slot_d;
      rd_slot_q   <= rd_slot_d;
      img_valid_q <= img_valid_d;
    end
  end

  // Only complete images end with wr_last (a dropped image's partial word is never flushed, and
  // the next image restarts with wr_first), so wr_done reports exactly the full slots, in order.
  // A beat is one write of PIXELS_PER_BEAT pixels (LANES is a multiple of it).
  deltamac_act_buffer #(
      .LANES       (LANES),
      .ACT_BITS    (8),
      .DEPTH       (WORDS),
      .DISTRIBUTED (DISTRIBUTED),
      .WR_ELEMS    (PPB),
      .READ_LATENCY(READ_LATENCY)
  ) u_buffer (
      .clk         (clk),
      .rst         (rst),
      .wr_valid    (store),
      .wr_first    (cur_first),
      .wr_last     (complete),
      .wr_bank     (wr_slot_q),
      .wr_data     (s_axis_tdata[8*PPB-1:0]),
      .wr_done     (wr_done),
      .rd_en_next  (rd_en_next),
      .rd_bank_next(rd_slot_d),
      .rd_addr_next(rd_addr_next),
      .rd_data     (rd_data)
  );

  assign img_valid   = img_valid_q;
  assign busy        = discard_q || !first_q || full_q != '0;

`ifndef SYNTHESIS
  // Simulation checks: the source keeps the AXI4-Stream rules (TUSER held with TDATA when it is
  // used); the sequencer releases only the slot it was offered; while discarding the write slot
  // is free (a resync beat is stored into it at once).
  deltamac_axis_check #(
      .DATA_W(8*PIXELS_PER_BEAT + 1),
      .NAME  ("deltamac_input_stage s_axis")
  ) u_s_axis_check (
      .clk   (clk),
      .rst   (rst),
      .tvalid(s_axis_tvalid),
      .tready(s_axis_tready),
      .tdata ({SOI_TUSER != 0 ? s_axis_tuser : 1'b0, s_axis_tdata}),
      .tlast (s_axis_tlast)
  );

  always @(posedge clk) begin
    if (!rst) begin
      if (img_release && !img_valid_q) begin
        $fatal(1, "deltamac_input_stage: img_release without an image offered (img_valid low) at %0t", $time);
      end
      if (discard_q && (full_q & wr_sel) != 2'b00) begin
        $fatal(1, "deltamac_input_stage: discarding while the write slot is full at %0t", $time);
      end
    end
  end
`endif

endmodule

`resetall
