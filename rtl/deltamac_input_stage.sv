// deltamac_input_stage: AXI4-Stream pixel slave into a ping-pong pair of input buffers.
//
// Pixels (one per beat) are written into the free slot of a two-slot buffer; a slot is full
// once it has received exactly IN_PIXELS pixels with TLAST on the last, and becomes `img_valid`
// when the buffer reports the image written (`wr_done`, WRITE_LATENCY cycles later). The
// sequencer reads that slot and returns it with `img_release` once it has issued its last read,
// so the next image loads while the current one computes. TREADY is low while both slots are
// full. The first / last pixel flags are registers (no pixel counter compare feeds the buffer).
//
// Wrong-length images: TLAST before pixel IN_PIXELS-1 -> the partial image is dropped; no TLAST
// on pixel IN_PIXELS-1 -> the image is dropped and further beats are discarded up to and
// including the next TLAST. Either way `frame_error` pulses, `dropped` counts (saturating) and
// the slot is reused by the next image.

`resetall
`default_nettype none

module deltamac_input_stage #(
    // MAC lanes (pixels per buffer word)
    parameter int LANES     = 16,
    // pixels per image
    parameter int IN_PIXELS = 784,
    // input buffer memory: 1 distributed (LUT) RAM, 0 block RAM
    parameter int DISTRIBUTED = 0,
    // buffer words per image (derived)
    localparam int WORDS    = (IN_PIXELS + LANES - 1) / LANES,
    // buffer word address width (derived)
    localparam int ADDR_W   = $clog2(WORDS > 1 ? WORDS : 2)
) (
    // clock
    input  wire logic                      clk,
    // synchronous active-high reset (drops a partly received image)
    input  wire logic                      rst,

    // AXI4-Stream pixel input: data
    input  wire logic [7:0]                s_axis_tdata,
    // AXI4-Stream pixel input: valid
    input  wire logic                      s_axis_tvalid,
    // AXI4-Stream pixel input: ready
    output logic                           s_axis_tready,
    // AXI4-Stream pixel input: last pixel of an image
    input  wire logic                      s_axis_tlast,

    // a complete image waits in the slot the sequencer reads
    output logic                           img_valid,
    // one-cycle pulse: the sequencer has issued its last read of that slot
    input  wire logic                      img_release,
    // buffer read request for the next cycle (the slot read then)
    input  wire logic                      rd_en_next,
    // buffer word address to read in the next cycle
    input  wire logic [ADDR_W-1:0]       rd_addr_next,
    // buffer word, two cycles after rd_en_next (lane p = pixel rd_addr_next*LANES+p)
    output logic      [LANES*8-1:0]        rd_data,

    // an image is being received or waits in a slot
    output logic                           busy,
    // one-cycle pulse when a wrong-length image is dropped
    output logic                           frame_error,
    // number of dropped images (saturating; counts one cycle after the frame_error pulse)
    output logic      [15:0]               dropped
);

  localparam int PIX_W = $clog2(IN_PIXELS > 1 ? IN_PIXELS : 2);

  if (LANES < 1 || IN_PIXELS < 1) begin : gen_check_params
    initial $fatal(1, "deltamac_input_stage: LANES (%0d) and IN_PIXELS (%0d) must be >= 1", LANES, IN_PIXELS);
  end

  logic [PIX_W-1:0] pix_q, pix_d;         // index of the next pixel of the image
  logic             first_q, first_d;     // pix_q == 0
  logic             last_q, last_d;       // pix_q == IN_PIXELS - 1
  logic             discard_q, discard_d; // discarding beats up to the next TLAST
  logic [1:0]       full_q, full_d;       // slot holds a complete image (written or being written)
  logic [1:0]       ready_q, ready_d;     // slot's image is in the buffer (readable)
  logic             wr_slot_q, wr_slot_d; // slot being filled
  logic             done_slot_q, done_slot_d; // slot of the next image the buffer reports written
  logic             rd_slot_q, rd_slot_d; // slot read by the sequencer
  logic [15:0]      dropped_q, dropped_d;
  logic             error_q, error_d;
  logic             img_valid_q, img_valid_d;  // (ready_q & rd_sel) != 0, registered from the next state

  logic       beat, store, complete, wr_done;
  logic [1:0] wr_sel, rd_sel, done_sel;  // one-hot masks of the slots (no indexed writes)

  assign wr_sel        = {wr_slot_q, !wr_slot_q};
  assign rd_sel        = {rd_slot_q, !rd_slot_q};
  assign done_sel      = {done_slot_q, !done_slot_q};
  assign s_axis_tready = discard_q || (full_q & wr_sel) == 2'b00;
  assign beat          = s_axis_tvalid && s_axis_tready;
  assign store         = beat && !discard_q;
  assign complete      = last_q && s_axis_tlast;  // with store: the image's last pixel

  // The next img_valid with img_release as the last select (it comes from the sequencer): the
  // slot read next is the other one after a release, whose ready bit the release does not clear.
  logic ready_cur_d, ready_other_d;  // next ready bit of the slot read now / of the other slot
  assign ready_cur_d   = ((ready_q & rd_sel) != 2'b00) || (wr_done && done_slot_q == rd_slot_q);
  assign ready_other_d = ((ready_q & ~rd_sel) != 2'b00) || (wr_done && done_slot_q != rd_slot_q);
  assign img_valid_d   = img_release ? ready_other_d : ready_cur_d;

  always_comb begin
    pix_d       = pix_q;
    first_d     = first_q;
    last_d      = last_q;
    discard_d   = discard_q;
    full_d      = full_q;
    ready_d     = ready_q;
    wr_slot_d   = wr_slot_q;
    done_slot_d = done_slot_q;
    rd_slot_d   = rd_slot_q;
    // Counted from the registered error pulse (one cycle after it), off the handshake's path.
    dropped_d   = error_q && dropped_q != 16'hffff ? dropped_q + 16'd1 : dropped_q;
    error_d     = 1'b0;
    if (img_release) begin
      full_d    = full_q & ~rd_sel;
      ready_d   = ready_q & ~rd_sel;
      rd_slot_d = !rd_slot_q;
    end
    if (wr_done) begin
      ready_d     = ready_d | done_sel;
      done_slot_d = !done_slot_q;
    end
    if (beat) begin
      if (discard_q) begin
        discard_d = !s_axis_tlast;
      end else if (last_q || s_axis_tlast) begin
        pix_d   = '0;
        first_d = 1'b1;
        last_d  = IN_PIXELS == 1;
        if (complete) begin
          full_d    = full_d | wr_sel;
          wr_slot_d = !wr_slot_q;
        end else begin
          discard_d = !s_axis_tlast;
          error_d   = 1'b1;
        end
      end else begin
        pix_d   = pix_q + PIX_W'(1);
        first_d = 1'b0;
        last_d  = pix_q == PIX_W'(IN_PIXELS - 2);
      end
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      pix_q       <= '0;
      first_q     <= 1'b1;
      last_q      <= IN_PIXELS == 1;
      discard_q   <= 1'b0;
      full_q      <= '0;
      ready_q     <= '0;
      wr_slot_q   <= 1'b0;
      done_slot_q <= 1'b0;
      rd_slot_q   <= 1'b0;
      dropped_q   <= '0;
      error_q     <= 1'b0;
      img_valid_q <= 1'b0;
    end else begin
      pix_q       <= pix_d;
      first_q     <= first_d;
      last_q      <= last_d;
      discard_q   <= discard_d;
      full_q      <= full_d;
      ready_q     <= ready_d;
      wr_slot_q   <= wr_slot_d;
      done_slot_q <= done_slot_d;
      rd_slot_q   <= rd_slot_d;
      dropped_q   <= dropped_d;
      error_q     <= error_d;
      img_valid_q <= img_valid_d;
    end
  end

  // Only complete images end with wr_last (a dropped image's partial word is never flushed, and
  // the next image restarts with wr_first), so wr_done reports exactly the full slots, in order.
  deltamac_act_buffer #(
      .LANES      (LANES),
      .ACT_BITS   (8),
      .DEPTH      (WORDS),
      .DISTRIBUTED(DISTRIBUTED)
  ) u_buffer (
      .clk         (clk),
      .rst         (rst),
      .wr_valid    (store),
      .wr_first    (first_q),
      .wr_last     (complete),
      .wr_bank     (wr_slot_q),
      .wr_data     (s_axis_tdata),
      .wr_done     (wr_done),
      .rd_en_next  (rd_en_next),
      .rd_bank_next(rd_slot_d),
      .rd_addr_next(rd_addr_next),
      .rd_data     (rd_data)
  );

  assign img_valid   = img_valid_q;
  assign busy        = discard_q || !first_q || full_q != '0;
  assign frame_error = error_q;
  assign dropped     = dropped_q;

endmodule

`resetall
