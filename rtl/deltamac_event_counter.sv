// deltamac_event_counter: counts the cycles with `inc` high since reset, saturating at 2**32-1
// instead of wrapping.
//
// Saturation comes from the adder's carry (a flag), so no 32-bit compare sits in the counter's
// loop (ECP5 timing). deltamac_cycle_counter is this counter with `inc` tied high;
// deltamac_lutnet_top counts its results with it.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_event_counter (
    // clock
    input  wire logic        clk,
    // synchronous active-high reset: the count restarts at 0
    input  wire logic        rst,
    // count this cycle
    input  wire logic        inc,
    // cycles with inc high since reset (all ones once 2**32-1 has passed)
    output logic [31:0]      count
);

  logic [31:0] count_q, count_next;
  logic        carry;   // carry out of count_q + 1
  logic        full_q;  // the count passed 2**32-1

  assign {carry, count_next} = {1'b0, count_q} + 33'd1;

  always_ff @(posedge clk) begin
    if (rst) begin
      count_q <= '0;
      full_q  <= 1'b0;
    end else if (inc) begin
      count_q <= count_next;
      full_q  <= full_q | carry;
    end
  end

  assign count = full_q ? '1 : count_q;

endmodule

`resetall
