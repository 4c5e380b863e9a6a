// deltamac_cycle_counter: cycles since reset, saturating at 2**32-1 instead of wrapping.
//
// Saturation comes from the adder's carry (a flag), so no 32-bit compare sits in the counter's
// loop (ECP5 timing); it is reached after 43 s at 100 MHz.

`resetall
`default_nettype none

module deltamac_cycle_counter (
    // clock
    input  wire logic        clk,
    // synchronous active-high reset: the count restarts at 0
    input  wire logic        rst,
    // cycles since reset (all ones once 2**32-1 has passed)
    output logic [31:0]      cycles
);

  logic [31:0] count_q, count_next;
  logic        carry;   // carry out of count_q + 1
  logic        full_q;  // the count passed 2**32-1

  assign {carry, count_next} = {1'b0, count_q} + 33'd1;

  always_ff @(posedge clk) begin
    if (rst) begin
      count_q <= '0;
      full_q  <= 1'b0;
    end else begin
      count_q <= count_next;
      full_q  <= full_q | carry;
    end
  end

  assign cycles = full_q ? '1 : count_q;

endmodule

`resetall
