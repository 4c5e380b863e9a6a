// deltamac_fifo: a synchronous first-word-fall-through FIFO of DEPTH (a power of two) WIDTH-bit
// words, for holding results while a sink stalls.
//
// The words sit in a memory written at wr_ptr and read asynchronously at rd_ptr (distributed RAM
// on an FPGA: one LUT-RAM column per bit); out_valid = !empty, out_data = the oldest word. A word
// written in one cycle is readable from the next. `count` (words held) lets a caller give out
// credits. A write while full or a read while empty is a broken contract of the caller: the word
// would be lost or invented, so a simulation stops with $fatal.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_fifo #(
    // word width, >= 1
    parameter int WIDTH = 8,
    // words held, a power of two >= 2
    parameter int DEPTH = 16,
    // width of the pointers and of count (derived)
    localparam int PTR_W = $clog2(DEPTH > 2 ? DEPTH : 2)
) (
    // clock
    input  wire logic             clk,
    // synchronous active-high reset: empty
    input  wire logic             rst,
    // write in_data in this cycle (never while full)
    input  wire logic             wr,
    // the word written
    input  wire logic [WIDTH-1:0] in_data,
    // the oldest word is valid (not empty)
    output logic                  out_valid,
    // the oldest word
    output logic      [WIDTH-1:0] out_data,
    // take the oldest word in this cycle (only while out_valid)
    input  wire logic             rd,
    // words held, 0..DEPTH
    output logic      [PTR_W:0]   count
);

  if (WIDTH < 1 || DEPTH < 2 || (DEPTH & (DEPTH - 1)) != 0) begin : gen_check_params
    initial $fatal(1, "deltamac_fifo: needs WIDTH >= 1 and DEPTH a power of two >= 2, got WIDTH %0d, DEPTH %0d", WIDTH, DEPTH);
  end

  logic [WIDTH-1:0] mem [DEPTH];
  logic [PTR_W-1:0] wr_ptr_q, rd_ptr_q;
  logic [PTR_W:0]   count_q = '0;  // power-up value = reset value: out_valid defined before the first clock

  always_ff @(posedge clk) begin
    if (wr) begin
      mem[wr_ptr_q] <= in_data;
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      wr_ptr_q <= '0;
      rd_ptr_q <= '0;
      count_q  <= '0;
    end else begin
      wr_ptr_q <= wr_ptr_q + PTR_W'(wr);
      rd_ptr_q <= rd_ptr_q + PTR_W'(rd);
      count_q  <= count_q + (PTR_W+1)'(wr) - (PTR_W+1)'(rd);
    end
  end

  assign out_valid = count_q != '0;
  assign out_data  = mem[rd_ptr_q];
  assign count     = count_q;

`ifndef SYNTHESIS
  always @(posedge clk) begin
    if (!rst && wr && !rd && count_q == (PTR_W+1)'(DEPTH)) begin
      $fatal(1, "deltamac_fifo: a write while full (%0d words) at %0t", DEPTH, $time);
    end
    if (!rst && rd && count_q == '0) begin
      $fatal(1, "deltamac_fifo: a read while empty at %0t", $time);
    end
  end
`endif

endmodule

`resetall
