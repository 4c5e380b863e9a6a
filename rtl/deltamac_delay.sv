// deltamac_delay: a WIDTH-bit value delayed by DEPTH clock cycles (a shift register; DEPTH 0: a
// wire). RESET = 1 clears every stage on `rst` (valid bits); RESET = 0 has no reset (data, which
// the caller's valid bits qualify: no reset net into wide registers).

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_delay #(
    // bits delayed, >= 1
    parameter int WIDTH = 1,
    // cycles of delay, >= 0
    parameter int DEPTH = 1,
    // 1: synchronous reset of every stage to 0; 0: no reset
    parameter int RESET = 0
) (
    // clock
    input  wire logic             clk,
    // synchronous active-high reset (RESET = 1 only)
    input  wire logic             rst,
    // value in
    input  wire logic [WIDTH-1:0] in_value,
    // in_value of DEPTH cycles earlier
    output logic      [WIDTH-1:0] out_value
);

  if (WIDTH < 1 || DEPTH < 0 || (RESET != 0 && RESET != 1)) begin : gen_check_params
    initial $fatal(1, "deltamac_delay: needs WIDTH >= 1, DEPTH >= 0 and RESET 0 or 1, got %0d, %0d, %0d", WIDTH, DEPTH, RESET);
  end

  if (DEPTH == 0) begin : gen_wire
    logic unused_clk_rst;
    assign unused_clk_rst = clk ^ rst;
    assign out_value      = in_value;
  end else begin : gen_stages
    // stage i (in_value of i+1 cycles earlier) at [i*WIDTH +: WIDTH]; one flat vector, shifted up
    logic [DEPTH*WIDTH-1:0] stages_q;

    always_ff @(posedge clk) begin
      if (RESET != 0 && rst) begin
        stages_q <= '0;
      end else begin
        stages_q <= (stages_q << WIDTH) | (DEPTH*WIDTH)'(in_value);
      end
    end

    if (RESET == 0) begin : gen_no_reset
      logic unused_rst;
      assign unused_rst = rst;
    end

    assign out_value = stages_q[(DEPTH-1)*WIDTH +: WIDTH];
  end

endmodule

`resetall
