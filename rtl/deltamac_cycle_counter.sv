// deltamac_cycle_counter: cycles since reset, saturating at 2**32-1 instead of wrapping.
//
// A deltamac_event_counter counting every cycle (saturation from the adder's carry, so no 32-bit
// compare sits in the counter's loop: ECP5 timing); it saturates after 43 s at 100 MHz.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_cycle_counter (
    // clock
    input  wire logic        clk,
    // synchronous active-high reset: the count restarts at 0
    input  wire logic        rst,
    // cycles since reset (all ones once 2**32-1 has passed)
    output logic [31:0]      cycles
);

  deltamac_event_counter u_count (
      .clk  (clk),
      .rst  (rst),
      .inc  (1'b1),
      .count(cycles)
  );

endmodule

`resetall
