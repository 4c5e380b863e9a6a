// deltamac_top_props: formal properties of deltamac_top's AXI4-Stream ports (docs/formal.md).
//
// Read with the package and ROMs of a small exported network (scripts/formal.py: 8-3, P = 2). The pixel
// stream comes from a free master assumed to keep the AXI rules, the result stream goes into a
// free slave (any TREADY). A shadow model counts the beats of each image and the complete
// images accepted; the assertions tie the result stream and the status ports to it.

`resetall
`default_nettype none

module deltamac_top_props (
    // clock
    input wire logic       clk,
    // synchronous active-high reset (free after the first cycle: reset from any state)
    input wire logic       rst,
    // pixel stream master: data
    input wire logic [7:0] s_axis_tdata,
    // pixel stream master: valid
    input wire logic       s_axis_tvalid,
    // pixel stream master: last pixel of an image
    input wire logic       s_axis_tlast,
    // pixel stream master: start of image (free: the default SOI_TUSER = 0 ignores it)
    input wire logic       s_axis_tuser,
    // result slave: ready
    input wire logic       m_axis_tready
);

  localparam int IN_PIXELS = deltamac_net_pkg::IN_PIXELS;
  localparam int CNT_W     = $clog2(IN_PIXELS + 1);

  logic        s_axis_tready, m_axis_tvalid, m_axis_tlast, status_busy, status_frame_error;
  logic [31:0] m_axis_tdata, status_images, status_cycles;
  logic [15:0] status_dropped, status_swallowed;
  logic        load_tready, weights_valid;
  logic [31:0] loads, load_errors;

  // The ROM file parameters are set on deltamac_top by scripts/formal.py (chparam).
  deltamac_top u_dut (
      .clk               (clk),
      .rst               (rst),
      .s_axis_tdata      (s_axis_tdata),
      .s_axis_tvalid     (s_axis_tvalid),
      .s_axis_tready     (s_axis_tready),
      .s_axis_tlast      (s_axis_tlast),
      .s_axis_tuser      (s_axis_tuser),
      .s_axis_load_tdata (32'd0),  // ROM weights: no load port
      .s_axis_load_tvalid(1'b0),
      .s_axis_load_tready(load_tready),
      .s_axis_load_tlast (1'b0),
      .m_axis_tdata      (m_axis_tdata),
      .m_axis_tvalid     (m_axis_tvalid),
      .m_axis_tready     (m_axis_tready),
      .m_axis_tlast      (m_axis_tlast),
      .status_busy       (status_busy),
      .status_frame_error(status_frame_error),
      .status_dropped    (status_dropped),
      .status_swallowed  (status_swallowed),
      .status_images     (status_images),
      .status_cycles     (status_cycles),
      .status_weights_valid(weights_valid),
      .status_loads      (loads),
      .status_load_errors(load_errors)
  );

  // $past is only meaningful from the second cycle on.
  logic past_valid_q = 1'b0;
  always_ff @(posedge clk) begin
    past_valid_q <= 1'b1;
  end

  initial assume (rst);

  // AXI4-Stream master rules on the pixel stream.
  always @(posedge clk) begin
    if (past_valid_q && !$past(rst) && $past(s_axis_tvalid && !s_axis_tready)) begin
      assume (s_axis_tvalid);
      assume (s_axis_tdata == $past(s_axis_tdata));
      assume (s_axis_tlast == $past(s_axis_tlast));
      assume (s_axis_tuser == $past(s_axis_tuser));
    end
  end

  // Shadow model: beats of the current image, discarding after a long image, complete images
  // accepted whose result has not been sent.
  logic [CNT_W-1:0] beats_q;
  logic             discard_q;
  logic [2:0]       unsent_q;
  logic             beat, good, wrong;

  assign beat  = s_axis_tvalid && s_axis_tready && !discard_q;
  assign good  = beat && s_axis_tlast && beats_q == CNT_W'(IN_PIXELS - 1);
  assign wrong = beat && (s_axis_tlast != (beats_q == CNT_W'(IN_PIXELS - 1)));

  always_ff @(posedge clk) begin
    if (rst) begin
      beats_q   <= '0;
      discard_q <= 1'b0;
      unsent_q  <= '0;
    end else begin
      if (s_axis_tvalid && s_axis_tready && discard_q && s_axis_tlast) begin
        discard_q <= 1'b0;
      end
      if (beat) begin
        beats_q   <= s_axis_tlast || good || wrong ? '0 : beats_q + CNT_W'(1);
        discard_q <= wrong && !s_axis_tlast;
      end
      unsent_q <= unsent_q + {2'b0, good} - {2'b0, m_axis_tvalid && m_axis_tready && m_axis_tlast};
    end
  end

  always @(posedge clk) begin
    if (past_valid_q && $past(rst)) begin
      // reset from any state: idle, nothing sent, no error, counters cleared
      assert (!m_axis_tvalid);
      assert (!status_busy);
      assert (!status_frame_error);
      assert (status_dropped == 16'd0);
      assert (status_images == 32'd0);
    end
    if (past_valid_q && !$past(rst)) begin
      // result master: a beat offered stays offered, unchanged, until it is taken
      if ($past(m_axis_tvalid && !m_axis_tready)) begin
        assert (m_axis_tvalid);
        assert (m_axis_tdata == $past(m_axis_tdata));
        assert (m_axis_tlast == $past(m_axis_tlast));
      end
      // every wrong-length image pulses frame_error once, the cycle after its offending beat
      assert (status_frame_error == $past(wrong));
    end
    if (!rst) begin
      // no result without a complete image of exactly IN_PIXELS beats
      assert (!m_axis_tvalid || unsent_q != 3'd0);
    end
  end

endmodule

`resetall
