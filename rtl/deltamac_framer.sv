// deltamac_framer: image framing of an AXI4-Stream pixel slave (ARCHITECTURE.md section 5).
//
// Tracks where the next beat falls in an image of BEATS beats and applies the wrong-length rule,
// counted in beats; the slave around it decides TREADY and what to do with a beat
// (deltamac_input_stage: write it into a buffer slot; deltamac_lutnet_top: shift its codes into
// the image register). For a beat taken in this cycle (`beat`) it says whether the beat is beat 0
// of an image (`first`), is discarded (`discard`), or, not discarded, is the last beat of a
// complete image (`complete`: beat BEATS-1 with TLAST). A beat that is neither discarded nor
// complete belongs to an image still being received.
//
// Wrong-length images: TLAST before beat BEATS-1 -> the partial image is dropped; no TLAST on
// beat BEATS-1 -> the image is dropped and further beats are discarded up to and including the
// next TLAST. Each such image pulses `frame_error` once (the cycle after the deciding beat) and
// counts in `dropped` one cycle later (saturating). While discarding, every BEATS-th discarded
// beat counts in `swallowed` (saturating): an image lost inside the discarded run (without TLAST
// the next image's beats are discarded, and its TLAST ends the discarding).
// Images lost = dropped + swallowed.
//
// Resynchronisation, both off by default: with SOI_TUSER = 1 a beat with s_axis_tuser high is
// beat 0 of a new image; with RESYNC_IDLE_CYCLES = N > 0, after N consecutive cycles without
// TVALID the next beat is beat 0. Either one ends discarding, and a partly received image it cuts
// off is dropped (frame_error, dropped) like a short one.
//
// The first / last beat flags are registers (no beat counter compare feeds the slave's data
// path); `first`, `discard` and `complete` depend on the registers and, with SOI_TUSER = 1, on
// `beat` and s_axis_tuser. `end_possible` comes from registers only: low, no beat taken in this
// cycle can be the last beat of a complete image, so a slave may take it without room for one.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_framer #(
    // beats per image (>= 1)
    parameter int BEATS              = 784,
    // 1: s_axis_tuser marks beat 0 of an image (a new image starts there); 0: TUSER is ignored
    parameter int SOI_TUSER          = 0,
    // N > 0: after N consecutive cycles without TVALID the next beat is beat 0; 0: off
    parameter int RESYNC_IDLE_CYCLES = 0,
    // name of the slave in the $fatal messages of illegal parameters
    parameter     NAME               = "deltamac_framer"
) (
    // clock
    input  wire logic        clk,
    // synchronous active-high reset (drops a partly received image, clears the counters)
    input  wire logic        rst,

    // AXI4-Stream slave: valid (counts the idle cycles of RESYNC_IDLE_CYCLES)
    input  wire logic        s_axis_tvalid,
    // AXI4-Stream slave: a beat is taken in this cycle (TVALID and TREADY)
    input  wire logic        beat,
    // AXI4-Stream slave: last beat of an image
    input  wire logic        s_axis_tlast,
    // AXI4-Stream slave: beat 0 of an image (used with SOI_TUSER = 1)
    input  wire logic        s_axis_tuser,

    // a beat taken now is beat 0 of an image
    output logic             first,
    // a beat taken now is discarded (the rest of a wrong-length image)
    output logic             discard,
    // a beat taken now, if not discarded, ends a complete image (beat BEATS-1 with TLAST)
    output logic             complete,
    // registered: the next beat is beat 0 unless discarding (no image partly received)
    output logic             at_first,
    // registered: beats are being discarded up to the next TLAST (or resync)
    output logic             discarding,
    // a beat taken now may end a complete image (from registers only, see above)
    output logic             end_possible,

    // one-cycle pulse when a wrong-length image (or one cut off by a resync) is dropped
    output logic             frame_error,
    // number of dropped images (saturating; counts one cycle after the frame_error pulse)
    output logic [15:0]      dropped,
    // number of images swallowed while discarding: BEATS discarded beats each (saturating)
    output logic [15:0]      swallowed
);

  localparam int PIX_W = $clog2(BEATS > 1 ? BEATS : 2);

  if (BEATS < 1) begin : gen_check_beats
    initial $fatal(1, "%0s: an image must have at least one beat, got BEATS = %0d", NAME, BEATS);
  end
  if (SOI_TUSER != 0 && SOI_TUSER != 1) begin : gen_check_soi
    initial $fatal(1, "%0s: SOI_TUSER must be 0 (TUSER ignored) or 1 (TUSER marks pixel 0), got %0d",
                   NAME, SOI_TUSER);
  end
  if (RESYNC_IDLE_CYCLES < 0 || RESYNC_IDLE_CYCLES > 65535) begin : gen_check_idle
    initial $fatal(1, "%0s: RESYNC_IDLE_CYCLES must be 0 (off) or 1..65535, got %0d",
                   NAME, RESYNC_IDLE_CYCLES);
  end

  // While discarding, pix_q counts the discarded beats modulo BEATS (swallowed images).
  logic [PIX_W-1:0] pix_q, pix_d;         // index of the next beat of the image
  // first_q, last_q and discard_q (behind TREADY) start at their reset values, as the FPGA's
  // configuration loads them, so that TREADY is defined before the first clock edge under reset.
  logic             first_q = 1'b1, first_d;      // pix_q == 0
  logic             last_q = BEATS == 1, last_d;  // pix_q == BEATS - 1
  logic             discard_q = 1'b0, discard_d;  // discarding beats up to the next TLAST (or resync)
  logic [15:0]      dropped_q, dropped_d;
  logic             error_q, error_d;
  logic [15:0]      swallowed_q, swallowed_d;
  logic             swallow_q, swallow_d;   // the previous beat was a BEATS-th discarded one

  // A resync cycle starts a new image: a beat in it is beat 0 (cur_*: the position it is
  // taken at), discarding ends, and a partly received image is cut off (dropped).
  logic             resync, cut_off;
  logic             cur_first, cur_last, cur_discard;
  logic [PIX_W-1:0] cur_pix;

  assign cur_first   = resync || first_q;
  assign cur_last    = resync ? BEATS == 1 : last_q;
  assign cur_discard = !resync && discard_q;
  assign cur_pix     = resync ? '0 : pix_q;
  assign cut_off     = resync && !first_q && !discard_q;

  logic resync_soi, resync_idle;  // a beat with TUSER (SOI_TUSER); the idle timeout (RESYNC_IDLE_CYCLES)
  assign resync = resync_soi || resync_idle;

  if (SOI_TUSER != 0) begin : gen_soi
    assign resync_soi = beat && s_axis_tuser;
  end else begin : gen_no_soi
    logic unused_tuser;
    assign unused_tuser = s_axis_tuser;
    assign resync_soi   = 1'b0;
  end

  if (RESYNC_IDLE_CYCLES > 0) begin : gen_idle
    localparam int IDLE_W = $clog2(RESYNC_IDLE_CYCLES + 1);
    logic [IDLE_W-1:0] idle_q;     // consecutive cycles without TVALID, saturating
    logic              timeout_q;  // the previous cycle was the RESYNC_IDLE_CYCLES-th of them
    always_ff @(posedge clk) begin
      if (rst || s_axis_tvalid) begin
        idle_q <= '0;
      end else if (idle_q != IDLE_W'(RESYNC_IDLE_CYCLES)) begin
        idle_q <= idle_q + IDLE_W'(1);
      end
      timeout_q <= !rst && !s_axis_tvalid && idle_q == IDLE_W'(RESYNC_IDLE_CYCLES - 1);
    end
    assign resync_idle = timeout_q;
  end else begin : gen_no_idle
    logic unused_tvalid;  // only the idle timeout watches TVALID
    assign unused_tvalid = s_axis_tvalid;
    assign resync_idle   = 1'b0;
  end

  always_comb begin
    pix_d       = pix_q;
    first_d     = first_q;
    last_d      = last_q;
    discard_d   = discard_q;
    // Counted from the registered error pulse (one cycle after it), off the handshake's path.
    dropped_d   = error_q && dropped_q != 16'hffff ? dropped_q + 16'd1 : dropped_q;
    swallowed_d = swallow_q && swallowed_q != 16'hffff ? swallowed_q + 16'd1 : swallowed_q;
    // At most one drop per cycle: `cut_off` needs beat 0 to be passed, so BEATS > 1, and then
    // the beat of the resync cycle (beat 0) cannot end a wrong-length image.
    error_d     = cut_off;
    swallow_d   = 1'b0;
    if (beat) begin
      if (cur_last || s_axis_tlast) begin
        pix_d   = '0;
        first_d = 1'b1;
        last_d  = BEATS == 1;
      end else begin
        pix_d   = cur_pix + PIX_W'(1);
        first_d = 1'b0;
        last_d  = cur_pix == PIX_W'(BEATS - 2);
      end
      if (cur_discard) begin
        discard_d = !s_axis_tlast;
        swallow_d = cur_last;  // the BEATS-th discarded beat: a swallowed image
      end else if (complete) begin
        discard_d = 1'b0;
      end else if (cur_last || s_axis_tlast) begin
        discard_d = !s_axis_tlast;
        error_d   = 1'b1;
      end else begin
        discard_d = 1'b0;
      end
    end else if (resync) begin
      pix_d     = '0;
      first_d   = 1'b1;
      last_d    = BEATS == 1;
      discard_d = 1'b0;
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      pix_q       <= '0;
      first_q     <= 1'b1;
      last_q      <= BEATS == 1;
      discard_q   <= 1'b0;
      dropped_q   <= '0;
      error_q     <= 1'b0;
      swallowed_q <= '0;
      swallow_q   <= 1'b0;
    end else begin
      pix_q       <= pix_d;
      first_q     <= first_d;
      last_q      <= last_d;
      discard_q   <= discard_d;
      dropped_q   <= dropped_d;
      error_q     <= error_d;
      swallowed_q <= swallowed_d;
      swallow_q   <= swallow_d;
    end
  end

  assign first      = cur_first;
  assign discard    = cur_discard;
  assign complete   = cur_last && s_axis_tlast;
  assign at_first   = first_q;
  assign discarding = discard_q;
  // A beat can end a complete image only at beat BEATS-1 and not discarding; a resync beat is
  // beat 0, the last one only when BEATS == 1 (TUSER: from a beat, so assumed possible; the idle
  // timeout is a register).
  assign end_possible = BEATS == 1 ? !discard_q || resync_idle || SOI_TUSER != 0
                                   : last_q && !discard_q && !resync_idle;
  assign frame_error  = error_q;
  assign dropped      = dropped_q;
  assign swallowed    = swallowed_q;

`ifndef SYNTHESIS
  // Simulation check: end_possible is never low under a beat that ends a complete image (a slave
  // taking such a beat without room would lose the image).
  always @(posedge clk) begin
    if (!rst && beat && !cur_discard && complete && !end_possible) begin
      $fatal(1, "%0s: a beat ended a complete image while end_possible was low at %0t", NAME, $time);
    end
  end
`endif

endmodule

`resetall
