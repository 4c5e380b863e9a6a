// deltamac_pingpong: bank bookkeeping of a ping-pong buffer between a producer and a consumer.
//
// Each of the two banks is free, claimed (a producer has started the vector it will write) or full
// (the vector is written and waits for the consumer). Banks are used in turn 0, 1, 0, ... by both
// sides, so three one-bit pointers say which bank is next: to claim, to be filled, to be read.
// The producer claims a bank when it starts (so it may start before the previous vector's last
// write has left its pipeline) and reports `filled` when the claimed vector is in memory; the
// consumer reads while `full` and gives the bank back with `give_back`.
// A request that the state does not allow (claim while !claim_ok, filled with no claimed bank,
// give_back while !full) is a broken contract of the caller: it stops a simulation with $fatal.

`resetall
`default_nettype none

module deltamac_pingpong #(
    // name of the buffer in simulation messages
    parameter NAME = "deltamac_pingpong"
) (
    // clock
    input  wire logic clk,
    // synchronous active-high reset: both banks free
    input  wire logic rst,

    // the next bank is free: the producer may claim it
    output logic      claim_ok,
    // the bank a claim takes now (the producer tags its vector's writes with it)
    output logic      claim_bank,
    // one-cycle pulse: the producer starts a vector into claim_bank
    input  wire logic claim,
    // one-cycle pulse: the oldest claimed bank's vector is completely written
    input  wire logic filled,

    // the consumer's bank holds a complete vector
    output logic      full,
    // the bank the consumer reads
    output logic      read_bank,
    // one-cycle pulse: the consumer's last read of read_bank is issued, the bank is free again
    input  wire logic give_back,

    // a bank is claimed or full: a vector is on its way through the buffer
    output logic      busy
);

  // Bank states, bank b at [2*b +: 2] (packed: Yosys 0.23 copies no unpacked arrays).
  localparam logic [1:0] FREE    = 2'd0;
  localparam logic [1:0] CLAIMED = 2'd1;
  localparam logic [1:0] FULL    = 2'd2;

  logic [3:0] state_q, state_d;
  logic       claim_ptr_q, fill_ptr_q, read_ptr_q;

  always_comb begin
    state_d = state_q;
    if (claim) begin
      state_d[2*claim_ptr_q +: 2] = CLAIMED;
    end
    if (filled) begin
      state_d[2*fill_ptr_q +: 2] = FULL;
    end
    if (give_back) begin
      state_d[2*read_ptr_q +: 2] = FREE;
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      state_q     <= {FREE, FREE};
      claim_ptr_q <= 1'b0;
      fill_ptr_q  <= 1'b0;
      read_ptr_q  <= 1'b0;
    end else begin
      state_q     <= state_d;
      claim_ptr_q <= claim_ptr_q ^ claim;
      fill_ptr_q  <= fill_ptr_q ^ filled;
      read_ptr_q  <= read_ptr_q ^ give_back;
    end
  end

  assign claim_ok   = state_q[2*claim_ptr_q +: 2] == FREE;
  assign claim_bank = claim_ptr_q;
  assign full       = state_q[2*read_ptr_q +: 2] == FULL;
  assign read_bank  = read_ptr_q;
  assign busy       = state_q != {FREE, FREE};

`ifndef SYNTHESIS
  // Simulation check: the three requests only where the state allows them (a claim of a busy
  // bank would overwrite a vector, a fill or give_back of the wrong bank would hang the pipeline).
  always @(posedge clk) begin
    if (!rst) begin
      if (claim && !claim_ok) begin
        $fatal(1, "%0s: claim of bank %0d, which is not free, at %0t", NAME, claim_ptr_q, $time);
      end
      if (filled && state_q[2*fill_ptr_q +: 2] != CLAIMED) begin
        $fatal(1, "%0s: filled, but bank %0d is not claimed, at %0t", NAME, fill_ptr_q, $time);
      end
      if (give_back && !full) begin
        $fatal(1, "%0s: give_back of bank %0d, which is not full, at %0t", NAME, read_ptr_q, $time);
      end
    end
  end
`endif

endmodule

`resetall
