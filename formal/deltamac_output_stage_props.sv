// deltamac_output_stage_props: formal properties of deltamac_output_stage (docs/formal.md).
//
// The wrapper drives the DUT's sequencer side from a free environment assumed to keep the
// sequencer's contract (claim only while `ready`; per claimed result NUM_CLASSES logits in class
// order, in_first on class 0 and in_last on the last, each after its claim) and its result
// master into a free AXI4-Stream slave (any TREADY). A shadow model keeps the claims, the
// complete logit sets with their argmax (ties to the lowest index) and the logits, in order; the
// assertions compare the result stream with it.
//
// PROOF selects the group of assertions:
//   0 (bounded): framing, contents, no result without a complete logit set, ready/busy, reset;
//   1 (induction): TVALID, TDATA and TLAST held while TVALID is high and TREADY low, `images`
//     counts each sent result once, and reset empties the stream (ports alone, from any state).

`resetall
`default_nettype none

module deltamac_output_stage_props #(
    // assertion group: 0 stream properties (bounded), 1 hold and counter properties (induction)
    parameter int PROOF       = 0,
    // classes of the DUT (3: the smallest with a tie between non-adjacent logits)
    parameter int NUM_CLASSES = 3,
    // logit width of the DUT (4: wide enough for ties, positive and negative logits)
    parameter int ACC_BITS    = 4,
    // 1: the DUT sends the logits before the class index (the larger of its two send paths)
    parameter int OUT_LOGITS  = 1
) (
    // clock
    input wire logic                clk,
    // synchronous active-high reset (free after the first cycle: reset from any state)
    input wire logic                rst,
    // sequencer: claims a result slot
    input wire logic                claim,
    // sequencer: logit valid
    input wire logic                in_valid,
    // sequencer: the logit
    input wire logic [ACC_BITS-1:0] in_logit,
    // sequencer: logit of class 0
    input wire logic                in_first,
    // sequencer: logit of the last class
    input wire logic                in_last,
    // result slave: ready
    input wire logic                m_axis_tready
);

  localparam int CLASS_W = $clog2(NUM_CLASSES);
  localparam int BEATS   = OUT_LOGITS != 0 ? NUM_CLASSES + 1 : 1;
  localparam int BEAT_W  = $clog2(BEATS > 1 ? BEATS : 2);

  logic        ready, busy, m_axis_tvalid, m_axis_tlast;
  logic [31:0] m_axis_tdata, images;

  deltamac_output_stage #(
      .NUM_CLASSES(NUM_CLASSES),
      .ACC_BITS   (ACC_BITS),
      .OUT_LOGITS (OUT_LOGITS)
  ) u_dut (
      .clk          (clk),
      .rst          (rst),
      .claim        (claim),
      .ready        (ready),
      .busy         (busy),
      .in_valid     (in_valid),
      .in_logit     (in_logit),
      .in_first     (in_first),
      .in_last      (in_last),
      .m_axis_tdata (m_axis_tdata),
      .m_axis_tvalid(m_axis_tvalid),
      .m_axis_tready(m_axis_tready),
      .m_axis_tlast (m_axis_tlast),
      .images       (images)
  );

  // $past is only meaningful from the second cycle on.
  logic past_valid_q = 1'b0;
  always_ff @(posedge clk) begin
    past_valid_q <= 1'b1;
  end

  initial assume (rst);

  logic handshake;
  assign handshake = m_axis_tvalid && m_axis_tready;

  if (PROOF == 0) begin : gen_stream
    // Shadow model: claims not yet sent, claims whose logits have not all arrived, the index of
    // the next logit, the running argmax, and a two-entry queue of complete results (class and
    // logits) in the order they are sent.
    logic [1:0]                      claimed_q, uncollected_q, results_q;
    logic [CLASS_W-1:0]              cls_q, best_q;
    logic signed [ACC_BITS-1:0]      max_q;
    logic [NUM_CLASSES*ACC_BITS-1:0] logits_q, queue_logits_q [2];
    logic [CLASS_W-1:0]              queue_class_q [2];
    logic                            head_q;  // queue entry of the result being sent
    logic [BEAT_W-1:0]               beat_q;  // beat of the result being sent
    logic                            beats_greater;
    logic [CLASS_W-1:0]              best_next;

    assign beats_greater = cls_q == '0 || $signed(in_logit) > max_q;
    assign best_next     = beats_greater ? cls_q : best_q;

    // The sequencer's contract.
    always @(posedge clk) begin
      if (!rst) begin
        assume (!claim || ready);
        assume (!in_valid || uncollected_q != 2'd0);
        assume (!in_valid || in_first == (cls_q == '0));
        assume (!in_valid || in_last == (cls_q == CLASS_W'(NUM_CLASSES - 1)));
      end
    end

    always_ff @(posedge clk) begin
      if (rst) begin
        claimed_q     <= '0;
        uncollected_q <= '0;
        results_q     <= '0;
        cls_q         <= '0;
        head_q        <= 1'b0;
        beat_q        <= '0;
      end else begin
        claimed_q     <= claimed_q + {1'b0, claim} - {1'b0, handshake && m_axis_tlast};
        uncollected_q <= uncollected_q + {1'b0, claim} - {1'b0, in_valid && in_last};
        results_q     <= results_q + {1'b0, in_valid && in_last} - {1'b0, handshake && m_axis_tlast};
        if (in_valid) begin
          cls_q <= in_last ? '0 : cls_q + CLASS_W'(1);
        end
        if (handshake) begin
          beat_q <= m_axis_tlast ? '0 : beat_q + BEAT_W'(1);
          head_q <= head_q ^ m_axis_tlast;
        end
      end
      if (in_valid) begin
        max_q    <= beats_greater ? $signed(in_logit) : max_q;
        best_q   <= best_next;
        logits_q <= {in_logit, logits_q[NUM_CLASSES*ACC_BITS-1:ACC_BITS]};
        if (in_last) begin
          // the tail of the queue: the head while it is empty, else the other entry
          queue_class_q[head_q ^ (results_q != 2'd0)]  <= best_next;
          queue_logits_q[head_q ^ (results_q != 2'd0)] <= {in_logit, logits_q[NUM_CLASSES*ACC_BITS-1:ACC_BITS]};
        end
      end
    end

    logic [ACC_BITS-1:0] head_logit;
    assign head_logit = queue_logits_q[head_q][beat_q*ACC_BITS +: ACC_BITS];

    always @(posedge clk) begin
      if (past_valid_q && $past(rst)) begin
        // reset from any state: nothing sent, idle, a claim may be made, count cleared
        assert (!m_axis_tvalid);
        assert (!busy);
        assert (ready);
        assert (images == 32'd0);
      end
      if (!rst) begin
        // no result without a complete set of logits of a claimed result
        assert (!m_axis_tvalid || results_q != 2'd0);
        // BEATS beats per result, TLAST exactly on the last
        assert (!m_axis_tvalid || m_axis_tlast == (beat_q == BEAT_W'(BEATS - 1)));
        // the class index: the argmax of the result's logits, ties to the lowest index
        assert (!m_axis_tvalid || !m_axis_tlast || m_axis_tdata == 32'(queue_class_q[head_q]));
        // the logits (OUT_LOGITS = 1), sign-extended, in class order
        assert (!m_axis_tvalid || m_axis_tlast || m_axis_tdata == 32'($signed(head_logit)));
        // ready: fewer than two results claimed and not yet sent; busy: any
        assert (ready == (claimed_q != 2'd2));
        assert (busy == (claimed_q != 2'd0));
      end
    end
  end else begin : gen_hold
    always @(posedge clk) begin
      if (past_valid_q && $past(rst)) begin
        assert (!m_axis_tvalid);  // reset from any state: nothing offered
        assert (images == 32'd0);  // ... and the count cleared
      end
      if (past_valid_q && !$past(rst)) begin
        // AXI4-Stream master: a beat offered stays offered, unchanged, until it is taken
        if ($past(m_axis_tvalid && !m_axis_tready)) begin
          assert (m_axis_tvalid);
          assert (m_axis_tdata == $past(m_axis_tdata));
          assert (m_axis_tlast == $past(m_axis_tlast));
        end
        // images: one per result sent (the TLAST beat taken), nothing else, saturating
        assert (images == $past(images) + 32'($past(handshake && m_axis_tlast) && $past(images) != '1));
      end
    end
  end

endmodule

`resetall
