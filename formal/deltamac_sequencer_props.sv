// deltamac_sequencer_props: the sequencer's side of the handshakes that the input and output
// stage proofs assume (docs/formal.md).
//
// Read with the package of the top-level proof's one-layer network (scripts/formal.py: 8-3,
// P = 2), whose only layer is also the last. The input stage side is a free environment that
// keeps the input stage's promise (img_valid, once high, stays high until img_release); the
// output stage's `out_ready` is free. The assertions discharge the environment assumptions of
// deltamac_input_stage_props (img_release only while img_valid) and deltamac_output_stage_props
// (claim only while ready), and tie the claims to the images taken.

`resetall
`default_nettype none

module deltamac_sequencer_props #(
    // input buffer word address width (as deltamac_top derives it for the 8-3, P = 2 network)
    parameter int IN_AW  = 2,
    // hidden buffer word address width (as deltamac_top derives it: one word)
    parameter int HID_AW = 1
) (
    // clock
    input wire logic                   clk,
    // synchronous active-high reset (free after the first cycle: reset from any state)
    input wire logic                   rst,
    // input stage: a complete image waits
    input wire logic                   img_valid,
    // output stage: a result slot may be claimed
    input wire logic                   out_ready,
    // input buffer read data (free)
    input wire logic [deltamac_net_pkg::LANES*8-1:0] in_rd_data,
    // hidden buffer read data (free)
    input wire logic [deltamac_net_pkg::LANES*8-1:0] hid_rd_data
);

  localparam int LANES     = deltamac_net_pkg::LANES;
  localparam int MAC_ACT_W = deltamac_net_pkg::ACT_BITS + 1;
  localparam int DELTA_AW  = $clog2(deltamac_net_pkg::DELTA_ROM_DEPTH > 1 ? deltamac_net_pkg::DELTA_ROM_DEPTH : 2);
  localparam int REF_AW    = $clog2(deltamac_net_pkg::REF_ROM_DEPTH > 1 ? deltamac_net_pkg::REF_ROM_DEPTH : 2);
  localparam int NEURON_AW = $clog2(deltamac_net_pkg::NEURON_ROM_DEPTH > 1 ? deltamac_net_pkg::NEURON_ROM_DEPTH : 2);

  logic                       img_release, out_claim, in_rd_en_next, hid_rd_en_next, hid_rd_bank_next;
  logic [IN_AW-1:0]           in_rd_addr_next;
  logic [HID_AW-1:0]          hid_rd_addr_next;
  logic                       rom_rd_en, dec_valid, dec_group_start, dec_first, dec_last;
  logic [DELTA_AW-1:0]        delta_rd_addr;
  logic [REF_AW-1:0]          ref_rd_addr;
  logic [3:0]                 dec_shift, dec_act_bits;
  logic [LANES*MAC_ACT_W-1:0] dec_acts;
  logic [NEURON_AW-1:0]       dec_neuron_addr;
  logic [5:0]                 dec_req_shift;
  logic                       dec_out_signed, dec_last_layer, dec_neuron_first, dec_neuron_last, dec_wr_bank, busy;

  deltamac_sequencer #(
      .IN_AW (IN_AW),
      .HID_AW(HID_AW)
  ) u_dut (
      .clk             (clk),
      .rst             (rst),
      .img_valid       (img_valid),
      .img_release     (img_release),
      .layer_done      (1'b0),  // one layer: no hidden layer is ever written
      .out_ready       (out_ready),
      .out_claim       (out_claim),
      .in_rd_en_next   (in_rd_en_next),
      .in_rd_addr_next (in_rd_addr_next),
      .in_rd_data      (in_rd_data),
      .hid_rd_en_next  (hid_rd_en_next),
      .hid_rd_bank_next(hid_rd_bank_next),
      .hid_rd_addr_next(hid_rd_addr_next),
      .hid_rd_data     (hid_rd_data),
      .rom_rd_en       (rom_rd_en),
      .delta_rd_addr   (delta_rd_addr),
      .ref_rd_addr     (ref_rd_addr),
      .dec_valid       (dec_valid),
      .dec_group_start (dec_group_start),
      .dec_shift       (dec_shift),
      .dec_acts        (dec_acts),
      .dec_first       (dec_first),
      .dec_last        (dec_last),
      .dec_neuron_addr (dec_neuron_addr),
      .dec_req_shift   (dec_req_shift),
      .dec_out_signed  (dec_out_signed),
      .dec_act_bits    (dec_act_bits),
      .dec_last_layer  (dec_last_layer),
      .dec_neuron_first(dec_neuron_first),
      .dec_neuron_last (dec_neuron_last),
      .dec_wr_bank     (dec_wr_bank),
      .busy            (busy)
  );

  // $past is only meaningful from the second cycle on.
  logic past_valid_q = 1'b0;
  always_ff @(posedge clk) begin
    past_valid_q <= 1'b1;
  end

  initial assume (rst);

  // The input stage's promises (proven by deltamac_input_stage_props): nothing offered in the
  // cycle after a reset; an offered image stays offered until it is released.
  always @(posedge clk) begin
    if (past_valid_q && $past(rst)) begin
      assume (!img_valid);
    end
    if (past_valid_q && !$past(rst) && $past(img_valid && !img_release)) begin
      assume (img_valid);
    end
  end

  // Claims not yet matched by a release: the one layer's claim comes at its start, the release
  // with its last read, so at most one.
  logic [1:0] open_q;
  always_ff @(posedge clk) begin
    if (rst) begin
      open_q <= '0;
    end else begin
      open_q <= open_q + {1'b0, out_claim} - {1'b0, img_release};
    end
  end

  always @(posedge clk) begin
    if (!rst) begin
      // the output stage proof's assumption: a claim only while the output stage is ready
      assert (!out_claim || out_ready);
      // the input stage proof's assumption: a release only while an image is offered
      assert (!img_release || img_valid);
      // a claim only for an offered image, and every release ends a claimed image
      assert (!out_claim || img_valid);
      assert (open_q != 2'd2 && !(open_q == 2'd0 && img_release && !out_claim));
    end
    if (past_valid_q && $past(rst)) begin
      // reset from any state: nothing claimed, released or issued
      assert (!out_claim);
      assert (!img_release);
      assert (!dec_valid);
      assert (!busy);
    end
  end

endmodule

`resetall
