// deltamac_uart_tx: UART transmitter, 8 data bits, no parity, 1 stop bit (8N1), LSB first.
// Accepts one byte on s_axis when idle and shifts out start bit, data, stop bit.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_uart_tx #(
  parameter int CLKS_PER_BIT = 868  // clock cycles per bit: f_clk / baud rate (>= 2)
) (
  input  wire logic       clk,           // clock
  input  wire logic       rst,           // synchronous active-high reset
  input  wire logic [7:0] s_axis_tdata,  // byte to send
  input  wire logic       s_axis_tvalid, // byte available
  output logic       s_axis_tready, // transmitter idle: the byte is taken this cycle
  output logic       txd            // serial line, idle high
);

  if (CLKS_PER_BIT < 2) begin : gen_check_clks_per_bit
    initial $fatal(1, "deltamac_uart_tx: CLKS_PER_BIT must be >= 2, got %0d", CLKS_PER_BIT);
  end

  localparam int CntW = $clog2(CLKS_PER_BIT);
  localparam logic [CntW-1:0] BitLast = CntW'(CLKS_PER_BIT - 1);

  // Bits still to send after the current one, LSB first: data[7:0], stop bit, one idle bit.
  // Busy while bit periods remain (start + 8 data + stop = 10).
  logic [9:0]      frame_d, frame_q;
  logic [3:0]      left_d, left_q;
  logic [CntW-1:0] cnt_d, cnt_q;
  logic            txd_d, txd_q;

  assign s_axis_tready = (left_q == 4'd0);

  always_comb begin
    frame_d = frame_q;
    left_d  = left_q;
    cnt_d   = cnt_q;
    txd_d   = txd_q;
    if (left_q == 4'd0) begin
      if (s_axis_tvalid) begin
        frame_d = {2'b11, s_axis_tdata};
        left_d  = 4'd10;
        cnt_d   = '0;
        txd_d   = 1'b0;
      end
    end else if (cnt_q == BitLast) begin
      cnt_d   = '0;
      left_d  = left_q - 4'd1;
      txd_d   = frame_q[0];
      frame_d = {1'b1, frame_q[9:1]};
    end else begin
      cnt_d = cnt_q + CntW'(1);
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      frame_q <= 10'd0;
      left_q  <= 4'd0;
      cnt_q   <= '0;
      txd_q   <= 1'b1;
    end else begin
      frame_q <= frame_d;
      left_q  <= left_d;
      cnt_q   <= cnt_d;
      txd_q   <= txd_d;
    end
  end

  assign txd = txd_q;

endmodule

`resetall
