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
`timescale 1ns / 1ps
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

  // Bank states. Two registers selected by the one-bit pointers (no indexed part-select: Yosys
  // builds 2*ptr as 32-bit arithmetic, a carry chain in front of every handshake).
  localparam logic [1:0] FREE    = 2'd0;
  localparam logic [1:0] CLAIMED = 2'd1;
  localparam logic [1:0] FULL    = 2'd2;

  logic [1:0] bank0_q, bank1_q;
  logic       claim_ptr_q, fill_ptr_q, read_ptr_q;

  // Next state of bank b: a claim, fill or give-back of b (at most one of them can be legal).
  function automatic logic [1:0] next_state(input logic [1:0] state, input logic b, input logic claim_now,
                                            input logic claim_ptr, input logic fill_now, input logic fill_ptr,
                                            input logic back_now, input logic read_ptr);
    next_state = state;
    if (claim_now && claim_ptr == b) begin
      next_state = CLAIMED;
    end
    if (fill_now && fill_ptr == b) begin
      next_state = FULL;
    end
    if (back_now && read_ptr == b) begin
      next_state = FREE;
    end
  endfunction

  logic [1:0] claim_state, fill_state, read_state;  // states of the banks the pointers select
  assign claim_state = claim_ptr_q ? bank1_q : bank0_q;
  assign fill_state  = fill_ptr_q ? bank1_q : bank0_q;
  assign read_state  = read_ptr_q ? bank1_q : bank0_q;

  always_ff @(posedge clk) begin
    if (rst) begin
      bank0_q     <= FREE;
      bank1_q     <= FREE;
      claim_ptr_q <= 1'b0;
      fill_ptr_q  <= 1'b0;
      read_ptr_q  <= 1'b0;
    end else begin
      bank0_q     <= next_state(bank0_q, 1'b0, claim, claim_ptr_q, filled, fill_ptr_q, give_back, read_ptr_q);
      bank1_q     <= next_state(bank1_q, 1'b1, claim, claim_ptr_q, filled, fill_ptr_q, give_back, read_ptr_q);
      claim_ptr_q <= claim_ptr_q ^ claim;
      fill_ptr_q  <= fill_ptr_q ^ filled;
      read_ptr_q  <= read_ptr_q ^ give_back;
    end
  end

  assign claim_ok   = claim_state == FREE;
  assign claim_bank = claim_ptr_q;
  assign full       = read_state == FULL;
  assign read_bank  = read_ptr_q;
  assign busy       = bank0_q != FREE || bank1_q != FREE;

`ifndef SYNTHESIS
  // Simulation check: the three requests only where the state allows them (a claim of a busy
  // bank would overwrite a vector, a fill or give_back of the wrong bank would hang the pipeline).
  always @(posedge clk) begin
    if (!rst) begin
      if (claim && !claim_ok) begin
        $fatal(1, "%0s: claim of bank %0d, which is not free, at %0t", NAME, claim_ptr_q, $time);
      end
      if (filled && fill_state != CLAIMED) begin
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
