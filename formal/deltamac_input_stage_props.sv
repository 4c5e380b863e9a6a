// deltamac_input_stage_props: formal properties of deltamac_input_stage (docs/formal.md).
//
// The wrapper drives the DUT's pixel slave from a free AXI4-Stream master (assumed to keep the
// AXI rules) and its sequencer side from a free consumer (assumed to release only an offered
// image). A shadow model of the stream, written from the contract (ARCHITECTURE.md section 5)
// and not from the RTL, counts the beats of each image and the complete images not yet
// released; the assertions compare the DUT's ports with it. Images are counted in beats
// (BEATS = IN_PIXELS / PIXELS_PER_BEAT beats per image), as the contract counts them.
//
// PROOF selects the group of assertions, so that each group is proven the strongest way it can:
//   0 (bounded): frame handling, TREADY, img_valid, busy, `swallowed` and reset against the
//     shadow model;
//   1 (induction): `dropped` counts every `frame_error` pulse once, saturates and never wraps,
//     `swallowed` steps by at most one, saturates and never wraps, and reset clears both
//     (properties of the ports alone, so they hold from any state).

`resetall
`default_nettype none

module deltamac_input_stage_props #(
    // assertion group: 0 stream and frame properties (bounded), 1 counter properties (induction)
    parameter int PROOF     = 0,
    // MAC lanes of the DUT (2: an image spans several words)
    parameter int LANES     = 2,
    // pixels per image of the DUT (3 with LANES = 2: the last word is padded)
    parameter int IN_PIXELS = 3,
    // pixels per beat of the DUT (1: its default)
    parameter int PIXELS_PER_BEAT = 1,
    // buffer word address width of the DUT (derived as in deltamac_input_stage)
    localparam int ADDR_W   = $clog2((IN_PIXELS + LANES - 1) / LANES > 1 ? (IN_PIXELS + LANES - 1) / LANES : 2)
) (
    // clock
    input wire logic              clk,
    // synchronous active-high reset (free after the first cycle: reset from any state)
    input wire logic              rst,
    // pixel stream master: data
    input wire logic [8*PIXELS_PER_BEAT-1:0] s_axis_tdata,
    // pixel stream master: valid
    input wire logic              s_axis_tvalid,
    // pixel stream master: last beat of an image
    input wire logic              s_axis_tlast,
    // pixel stream master: start of image (free: the DUT's default SOI_TUSER = 0 ignores it)
    input wire logic              s_axis_tuser,
    // consumer: releases the offered image
    input wire logic              img_release,
    // consumer: buffer read request (free; the read data is not checked here)
    input wire logic              rd_en_next,
    // consumer: buffer read address (free)
    input wire logic [ADDR_W-1:0] rd_addr_next
);

  localparam int BEATS = IN_PIXELS / PIXELS_PER_BEAT;  // beats per image
  localparam int CNT_W = $clog2(BEATS + 1);
  // Cycles a complete image may wait before img_valid offers it: the buffer's write latency
  // (3) after the TLAST beat, minus the cycle of the beat itself.
  localparam int OFFER_CYCLES = 3;

  logic                 s_axis_tready, img_valid, busy, frame_error;
  logic [LANES*8-1:0]   rd_data;
  logic [15:0]          dropped, swallowed;

  deltamac_input_stage #(
      .LANES      (LANES),
      .IN_PIXELS  (IN_PIXELS),
      .DISTRIBUTED(1),
      .PIXELS_PER_BEAT(PIXELS_PER_BEAT)
  ) u_dut (
      .clk          (clk),
      .rst          (rst),
      .s_axis_tdata (s_axis_tdata),
      .s_axis_tvalid(s_axis_tvalid),
      .s_axis_tready(s_axis_tready),
      .s_axis_tlast (s_axis_tlast),
      .s_axis_tuser (s_axis_tuser),
      .img_valid    (img_valid),
      .img_release  (img_release),
      .rd_en_next   (rd_en_next),
      .rd_addr_next (rd_addr_next),
      .rd_data      (rd_data),
      .busy         (busy),
      .frame_error  (frame_error),
      .dropped      (dropped),
      .swallowed    (swallowed)
  );

  // $past is only meaningful from the second cycle on.
  logic past_valid_q = 1'b0;
  always_ff @(posedge clk) begin
    past_valid_q <= 1'b1;
  end

  initial assume (rst);

  // AXI4-Stream master rules: once TVALID is high it stays high, with TDATA and TLAST held,
  // until the beat is accepted.
  always @(posedge clk) begin
    if (past_valid_q && !$past(rst) && $past(s_axis_tvalid && !s_axis_tready)) begin
      assume (s_axis_tvalid);
      assume (s_axis_tdata == $past(s_axis_tdata));
      assume (s_axis_tlast == $past(s_axis_tlast));
      assume (s_axis_tuser == $past(s_axis_tuser));
    end
  end

  // The consumer releases only an image it was offered.
  always @(posedge clk) begin
    if (!img_valid) begin
      assume (!img_release);
    end
  end

  if (PROOF == 0) begin : gen_stream
    // Shadow model of the stream: beats of the current image, discarding after a long image,
    // complete images accepted and not yet released, cycles a complete image waits unoffered.
    logic [CNT_W-1:0] beats_q;
    logic             discard_q;
    logic [1:0]       pending_q;
    logic [2:0]       waiting_q;
    logic [CNT_W-1:0] discarded_q;     // beats discarded since discarding began, modulo BEATS
    logic             swallowed_ev_q;  // the previous beat was a BEATS-th discarded one
    logic             beat, good, wrong, swallow;

    assign beat  = s_axis_tvalid && s_axis_tready && !discard_q;
    assign good  = beat && s_axis_tlast && beats_q == CNT_W'(BEATS - 1);
    assign wrong = beat && (s_axis_tlast != (beats_q == CNT_W'(BEATS - 1)));
    // every BEATS-th discarded beat stands for an image lost inside the discarded run
    assign swallow = s_axis_tvalid && s_axis_tready && discard_q && discarded_q == CNT_W'(BEATS - 1);

    always_ff @(posedge clk) begin
      if (rst) begin
        beats_q   <= '0;
        discard_q <= 1'b0;
        pending_q <= '0;
        waiting_q <= '0;
        discarded_q    <= '0;
        swallowed_ev_q <= 1'b0;
      end else begin
        if (s_axis_tvalid && s_axis_tready && discard_q && s_axis_tlast) begin
          discard_q <= 1'b0;
        end
        if (beat) begin
          beats_q   <= s_axis_tlast || good || wrong ? '0 : beats_q + CNT_W'(1);
          discard_q <= wrong && !s_axis_tlast;
        end
        if (s_axis_tvalid && s_axis_tready && discard_q) begin
          discarded_q <= swallow ? '0 : discarded_q + CNT_W'(1);
        end else if (beat) begin
          discarded_q <= '0;
        end
        swallowed_ev_q <= swallow;
        pending_q <= pending_q + {1'b0, good} - {1'b0, img_release};
        waiting_q <= pending_q != 2'd0 && !img_valid ? waiting_q + 3'd1 : '0;
      end
    end

    always @(posedge clk) begin
      if (past_valid_q && $past(rst)) begin
        // reset from any state: idle, nothing offered, no error, counter cleared
        assert (!img_valid);
        assert (s_axis_tready);
        assert (!busy);
        assert (!frame_error);
        assert (dropped == 16'd0);
      end
      if (past_valid_q && !$past(rst)) begin
        // every wrong-length image (TLAST early, or missing on beat BEATS-1) pulses
        // frame_error exactly once, in the cycle after its offending beat, and nothing else does
        assert (frame_error == $past(wrong));
        // swallowed counts every BEATS-th discarded beat, two cycles after it
        assert (swallowed == $past(swallowed) + 16'($past(swallowed_ev_q)));
      end
      if (!rst) begin
        // an image is offered only when a complete image of exactly BEATS beats waits
        assert (!img_valid || pending_q != 2'd0);
        // ... and every complete one is offered (a dropped image leaves the next one intact)
        assert (waiting_q <= 3'(OFFER_CYCLES));
        // TREADY is low exactly while both slots hold complete images
        assert (s_axis_tready == (pending_q != 2'd2));
        // busy: an image is being received (or discarded) or waits
        assert (busy == (beats_q != '0 || discard_q || pending_q != 2'd0));
      end
    end
  end else begin : gen_counter
    always @(posedge clk) begin
      if (past_valid_q && $past(rst)) begin
        assert (dropped == 16'd0);
        assert (swallowed == 16'd0);
      end
      if (past_valid_q && !$past(rst)) begin
        // swallowed: never wraps, at most one image per cycle, stays at its maximum
        assert (swallowed >= $past(swallowed));
        assert (swallowed - $past(swallowed) <= 16'd1);
        assert ($past(swallowed) != 16'hffff || swallowed == 16'hffff);
        // never wraps: the count never decreases outside reset
        assert (dropped >= $past(dropped));
        // counts each frame_error pulse once, one cycle after it, until it saturates
        assert (dropped - $past(dropped) == 16'($past(frame_error) && $past(dropped) != 16'hffff));
      end
    end
  end

endmodule

`resetall
