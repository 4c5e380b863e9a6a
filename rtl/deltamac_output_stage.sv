// deltamac_output_stage: collects the last layer's logits, argmax, AXI4-Stream result master.
//
// Two result slots: a collect slot (running argmax, and the logits for OUT_LOGITS=1) and a send
// slot (the beats on m_axis). A complete result moves from the collect slot to the free send slot,
// so one result can be sent while the next is computed. The sequencer claims a slot (`claim`)
// when it starts the last layer; `ready` is low while two results are claimed and not yet sent,
// which guarantees that the collect slot is free again before the next claimed result's first
// logit arrives. Logits arrive in class order (`in_first` on class 0, `in_last` on the last
// class); the running argmax keeps the first maximum (ties go to the lowest index).
//
//
// OUT_LOGITS = 0: one beat, the class index (zero-extended), TLAST.
// OUT_LOGITS = 1: NUM_CLASSES beats of sign-extended logits, then the class index with TLAST.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_output_stage #(
    // number of classes (logits per image)
    parameter int NUM_CLASSES = 10,
    // logit width (signed)
    parameter int ACC_BITS    = 28,
    // 1: send the logits before the class index
    parameter int OUT_LOGITS  = 0
) (
    // clock
    input  wire logic                clk,
    // synchronous active-high reset
    input  wire logic                rst,

    // one-cycle pulse: the last layer starts, its result will come here
    input  wire logic                claim,
    // a claim may be made (fewer than two results claimed and not yet sent)
    output logic                     ready,
    // a result is claimed, being collected or being sent
    output logic                     busy,

    // logit valid
    input  wire logic                in_valid,
    // logit (acc + bias)
    input  wire logic [ACC_BITS-1:0] in_logit,
    // logit of class 0
    input  wire logic                in_first,
    // logit of the last class
    input  wire logic                in_last,

    // AXI4-Stream result output: data
    output logic [31:0]              m_axis_tdata,
    // AXI4-Stream result output: valid
    output logic                     m_axis_tvalid,
    // AXI4-Stream result output: ready
    input  wire logic                m_axis_tready,
    // AXI4-Stream result output: last beat of a result
    output logic                     m_axis_tlast,

    // count of results sent
    output logic [31:0]              images
);

  localparam int CLASS_W = $clog2(NUM_CLASSES > 1 ? NUM_CLASSES : 2);
  localparam int BEATS   = OUT_LOGITS != 0 ? NUM_CLASSES + 1 : 1;
  localparam int BEAT_W  = $clog2(BEATS > 1 ? BEATS : 2);

  if (NUM_CLASSES < 2) begin : gen_check_classes
    initial $fatal(1, "deltamac_output_stage: NUM_CLASSES (%0d) must be >= 2", NUM_CLASSES);
  end
  if (OUT_LOGITS != 0 && OUT_LOGITS != 1) begin : gen_check_out_logits
    initial $fatal(1, "deltamac_output_stage: OUT_LOGITS (%0d) must be 0 or 1", OUT_LOGITS);
  end
  if (ACC_BITS < 2 || (OUT_LOGITS != 0 && ACC_BITS > 32)) begin : gen_check_acc_bits
    initial $fatal(1, "deltamac_output_stage: OUT_LOGITS=1 sends logits on 32-bit TDATA, so ACC_BITS (%0d) must be in 2..32",
                   ACC_BITS);
  end

  logic [1:0]                 pending_q, pending_d;  // results claimed and not yet sent
  logic                       ready_q;               // pending_q != 2, registered from the next state
  // collect slot
  logic                       done_q, done_d;        // a complete result waits for the send slot
  logic signed [ACC_BITS-1:0] max_q, max_d;          // maximum of the image's logits before held_logit_q
  logic [CLASS_W-1:0]         best_q, best_d;        // its index
  logic [CLASS_W-1:0]         idx_q, idx_d;          // index of the next logit
  // send slot
  // send_q and beat_q (m_axis_tvalid, m_axis_tlast) start at their reset values, as the FPGA's
  // configuration loads them: the outputs are defined before the first clock edge under reset.
  logic                       send_q = 1'b0, send_d; // beats being sent
  logic [BEAT_W-1:0]          beat_q = '0, beat_d;   // beat index being sent
  logic [CLASS_W-1:0]         class_q, class_d;      // class index of the result being sent
  logic [31:0]                images_q, images_d;
  logic                       images_full_q, images_full_d; // the count passed 2**32-1: images reads all ones
  logic                       images_carry;                 // carry out of images_q + 1
  logic                       last_beat, handshake, sent, transfer;

  // Logit input registers: the argmax compare and the logit shift register start at flip-flops
  // placed next to them.
  logic                in_valid_q, in_first_q, in_last_q;
  logic [ACC_BITS-1:0] in_logit_q;

  always_ff @(posedge clk) begin
    if (rst) begin
      in_valid_q <= 1'b0;
    end else begin
      in_valid_q <= in_valid;
    end
    in_first_q <= in_first;
    in_last_q  <= in_last;
    in_logit_q <= in_logit;
  end

  // Argmax without a compare in any loop (a logit may come every cycle). Each arriving logit
  // (in_logit_q) is compared with the three things before it: x_logit_q (the previous logit),
  // held_logit_q (the one before) and max_q (the maximum of the image's logits before those);
  // the results are registered with it in x_*. It beats every earlier logit of its image iff it
  // beats all three, where a first-of-image predecessor cuts the chain. On each arrival held
  // moves into max_q if it was the greater, x into held.

  // Each compare is registered as {upper half greater, upper half equal, lower half greater},
  // each half a balanced tree of (greater, equal) pairs in look-up tables, and combined behind
  // the registers (x_greater): the ECP5 carry chain of a plain compare, with the feed-in and
  // feed-out cells nextpnr adds, set the clock, and so did one tree over the whole width.
  localparam int LO_BITS = ACC_BITS / 2;
  localparam int HI_BITS = ACC_BITS - LO_BITS;

  function automatic logic [2:0] compare(input logic [ACC_BITS-1:0] a, input logic [ACC_BITS-1:0] b);
    logic [ACC_BITS-1:0] gt, eq;  // per span starting at bit i: a > b, a == b on that span
    int i, step;
    for (i = 0; i < ACC_BITS; i++) begin
      // the sign bit inverted: signed order = unsigned order of the offset values
      gt[i] = (i == ACC_BITS - 1) ? (!a[i] && b[i]) : (a[i] && !b[i]);
      eq[i] = a[i] == b[i];
    end
    for (step = 1; step < LO_BITS; step = step * 2) begin
      for (i = 0; i + step < LO_BITS; i = i + 2 * step) begin
        gt[i] = gt[i + step] || (eq[i + step] && gt[i]);
        eq[i] = eq[i + step] && eq[i];
      end
    end
    for (step = 1; step < HI_BITS; step = step * 2) begin
      for (i = LO_BITS; i + step < ACC_BITS; i = i + 2 * step) begin
        gt[i] = gt[i + step] || (eq[i + step] && gt[i]);
        eq[i] = eq[i + step] && eq[i];
      end
    end
    compare = {gt[LO_BITS], eq[LO_BITS], gt[0]};
  endfunction

  // a > b from compare(a, b)
  function automatic logic greater(input logic [2:0] c);
    greater = c[2] || (c[1] && c[0]);
  endfunction

  logic signed [ACC_BITS-1:0] x_logit_q, held_logit_q;
  logic [CLASS_W-1:0]         x_idx_q, held_idx_q;
  logic                       x_first_q, held_first_q, older_first_q;  // older: the last logit moved into max_q
  logic [2:0]                 x_vs_prev_q, x_vs_held_q, x_vs_max_q;     // x_logit_q compared with each of the three
  logic                       held_greater_q;                           // held_logit_q beat every earlier logit
  logic                       x_greater;                                // x_logit_q beats every earlier logit
  logic [CLASS_W-1:0]         in_idx;                                   // index of in_logit_q

  assign in_idx    = in_first_q ? '0 : idx_q;
  assign x_greater = x_first_q || (greater(x_vs_prev_q)
                                   && (held_first_q || (greater(x_vs_held_q) && (older_first_q || greater(x_vs_max_q)))));

  always_ff @(posedge clk) begin
    if (in_valid_q) begin
      x_logit_q      <= $signed(in_logit_q);
      x_idx_q        <= in_idx;
      x_first_q      <= in_first_q;
      x_vs_prev_q    <= compare(in_logit_q, x_logit_q);
      x_vs_held_q    <= compare(in_logit_q, held_logit_q);
      x_vs_max_q     <= compare(in_logit_q, max_q);
      held_logit_q   <= x_logit_q;
      held_idx_q     <= x_idx_q;
      held_first_q   <= x_first_q;
      held_greater_q <= x_greater;
      older_first_q  <= held_first_q;
    end
  end

  assign last_beat = beat_q == BEAT_W'(BEATS - 1);
  assign handshake = m_axis_tvalid && m_axis_tready;
  assign sent      = handshake && last_beat;
  assign transfer  = done_q && !send_q;  // collect slot -> send slot

  always_comb begin
    pending_d = pending_q + {1'b0, claim} - {1'b0, sent};
    done_d    = done_q;
    max_d     = max_q;
    idx_d     = idx_q;
    best_d    = best_q;
    send_d    = send_q;
    beat_d    = beat_q;
    class_d   = class_q;
    images_d  = images_q;
    images_full_d = images_full_q;
    images_carry  = 1'b0;
    if (in_valid_q) begin
      idx_d = in_idx + CLASS_W'(1);
      if (held_greater_q) begin
        max_d  = held_logit_q;
        best_d = held_idx_q;
      end
      done_d = in_last_q;
    end
    if (transfer) begin
      done_d  = 1'b0;
      send_d  = 1'b1;
      beat_d  = '0;
      class_d = x_greater ? x_idx_q : held_greater_q ? held_idx_q : best_q;
    end
    if (handshake) begin
      beat_d = beat_q + BEAT_W'(1);
      if (last_beat) begin
        send_d   = 1'b0;
        // Saturation from the adder's carry, so no compare sits in the counter loop (ECP5 timing).
        {images_carry, images_d} = {1'b0, images_q} + 33'd1;
        images_full_d = images_full_q | images_carry;
      end
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      pending_q <= '0;
      ready_q   <= 1'b1;
      done_q    <= 1'b0;
      send_q    <= 1'b0;
      images_q  <= '0;
      images_full_q <= 1'b0;
    end else begin
      pending_q <= pending_d;
      ready_q   <= pending_d != 2'd2;
      done_q    <= done_d;
      send_q    <= send_d;
      images_q  <= images_d;
      images_full_q <= images_full_d;
    end
    max_q   <= max_d;
    idx_q   <= idx_d;
    best_q  <= best_d;
    beat_q  <= beat_d;
    class_q <= class_d;
  end

  logic [31:0] class_word;
  assign class_word = 32'(class_q);

  if (OUT_LOGITS != 0) begin : gen_logits
    // Collect: shift register, class 0 at the head once complete. Send: loaded on the transfer,
    // shifts on every beat sent.
    logic [NUM_CLASSES*ACC_BITS-1:0] collect_q, send_logits_q;
    always_ff @(posedge clk) begin
      if (in_valid_q) begin
        collect_q <= {in_logit_q, collect_q[NUM_CLASSES*ACC_BITS-1:ACC_BITS]};
      end
      if (transfer) begin
        send_logits_q <= collect_q;
      end else if (handshake) begin
        send_logits_q <= {{ACC_BITS{1'b0}}, send_logits_q[NUM_CLASSES*ACC_BITS-1:ACC_BITS]};
      end
    end
    assign m_axis_tdata = last_beat ? class_word : 32'($signed(send_logits_q[ACC_BITS-1:0]));
  end else begin : gen_class
    assign m_axis_tdata = class_word;
  end

  assign ready         = ready_q;
  assign busy          = pending_q != 2'd0;
  assign m_axis_tvalid = send_q;
  assign m_axis_tlast  = last_beat;
  assign images        = images_full_q ? '1 : images_q;

`ifndef SYNTHESIS
  // Simulation checks: the result master keeps the AXI4-Stream rules, and the contract with the
  // sequencer and requant that the slots rely on holds (a claim only when `ready`; each claimed
  // result gets exactly NUM_CLASSES logits, in_first on the first and in_last on the last; the
  // collect slot is free, i.e. its result has moved to the send slot, before the next first logit).
  deltamac_axis_check #(
      .DATA_W(32),
      .NAME  ("deltamac_output_stage m_axis")
  ) u_m_axis_check (
      .clk   (clk),
      .rst   (rst),
      .tvalid(m_axis_tvalid),
      .tready(m_axis_tready),
      .tdata (m_axis_tdata),
      .tlast (m_axis_tlast)
  );

  logic open_q;  // a result's logits are arriving (in_first seen, in_last not yet)

  always_ff @(posedge clk) begin
    if (rst) begin
      open_q <= 1'b0;
    end else if (in_valid_q) begin
      open_q <= !in_last_q;
    end
  end

  always @(posedge clk) begin
    if (!rst) begin
      if (claim && !ready) begin
        $fatal(1, "deltamac_output_stage: claim while not ready (two results pending) at %0t", $time);
      end
      if (in_valid_q && in_first_q == open_q) begin
        $fatal(1, "deltamac_output_stage: logit with in_first = %0b %0s at %0t", in_first_q,
               open_q ? "before the previous result's in_last" : "outside a result", $time);
      end
      if (in_valid_q && in_last_q != (in_idx == CLASS_W'(NUM_CLASSES - 1))) begin
        $fatal(1, "deltamac_output_stage: in_last = %0b on logit %0d, a result has NUM_CLASSES = %0d logits, at %0t",
               in_last_q, in_idx, NUM_CLASSES, $time);
      end
      if (in_valid_q && in_first_q && done_q) begin
        $fatal(1, "deltamac_output_stage: a result's first logit while the collect slot still holds the previous result, at %0t",
               $time);
      end
      if (in_valid_q && pending_q == 2'd0) begin
        $fatal(1, "deltamac_output_stage: a logit with no result claimed at %0t", $time);
      end
    end
  end
`endif

endmodule

`resetall
