// deltamac_uart_rx: UART receiver, 8 data bits, no parity, 1 stop bit (8N1), LSB first.
// Every bit is sampled once in its middle. A received byte is offered on m_axis; the line has
// no flow control, so a byte that completes while the previous one is still unaccepted is
// dropped and `overrun` pulses. A stop bit of 0 drops the byte and pulses `frame_error`.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_uart_rx #(
  parameter int CLKS_PER_BIT = 868  // clock cycles per bit: f_clk / baud rate (>= 4)
) (
  input  wire logic       clk,           // clock
  input  wire logic       rst,           // synchronous active-high reset
  input  wire logic       rxd,           // serial line, idle high, already synchronised to clk
  output logic [7:0] m_axis_tdata,  // received byte
  output logic       m_axis_tvalid, // byte available
  input  wire logic       m_axis_tready, // byte accepted by the consumer
  output logic       frame_error,   // one-cycle pulse: stop bit was 0, byte dropped
  output logic       overrun        // one-cycle pulse: byte dropped, the previous one was not accepted
);

  if (CLKS_PER_BIT < 4) begin : gen_check_clks_per_bit
    initial $fatal(1, "deltamac_uart_rx: CLKS_PER_BIT must be >= 4, got %0d", CLKS_PER_BIT);
  end

  localparam int CntW = $clog2(CLKS_PER_BIT);
  localparam logic [CntW-1:0] BitLast  = CntW'(CLKS_PER_BIT - 1);
  localparam logic [CntW-1:0] HalfLast = CntW'(CLKS_PER_BIT / 2 - 1);

  typedef enum logic [1:0] {
    StIdle,
    StStart,
    StData,
    StStop
  } state_e;

  state_e          state_d, state_q;
  logic [CntW-1:0] cnt_d, cnt_q;
  logic [2:0]      bit_d, bit_q;
  logic [7:0]      shift_d, shift_q;
  logic [7:0]      data_d, data_q;
  logic            valid_d, valid_q;
  logic            frame_error_d, frame_error_q;
  logic            overrun_d, overrun_q;

  always_comb begin
    state_d       = state_q;
    cnt_d         = cnt_q + CntW'(1);
    bit_d         = bit_q;
    shift_d       = shift_q;
    data_d        = data_q;
    valid_d       = valid_q && !m_axis_tready;
    frame_error_d = 1'b0;
    overrun_d     = 1'b0;
    unique case (state_q)
      StIdle: begin
        cnt_d = '0;
        if (!rxd) begin
          state_d = StStart;
        end
      end
      StStart: begin
        // Middle of the start bit: still low means a real start bit, else a glitch.
        if (cnt_q == HalfLast) begin
          cnt_d = '0;
          bit_d = 3'd0;
          if (rxd) begin
            state_d = StIdle;
          end else begin
            state_d = StData;
          end
        end
      end
      StData: begin
        if (cnt_q == BitLast) begin
          cnt_d   = '0;
          shift_d = {rxd, shift_q[7:1]};
          bit_d   = bit_q + 3'd1;
          if (bit_q == 3'd7) begin
            state_d = StStop;
          end
        end
      end
      StStop: begin
        if (cnt_q == BitLast) begin
          state_d = StIdle;
          if (!rxd) begin
            frame_error_d = 1'b1;
          end else if (valid_d) begin
            overrun_d = 1'b1;
          end else begin
            data_d  = shift_q;
            valid_d = 1'b1;
          end
        end
      end
      default: state_d = StIdle;
    endcase
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      state_q       <= StIdle;
      cnt_q         <= '0;
      bit_q         <= 3'd0;
      shift_q       <= 8'd0;
      data_q        <= 8'd0;
      valid_q       <= 1'b0;
      frame_error_q <= 1'b0;
      overrun_q     <= 1'b0;
    end else begin
      state_q       <= state_d;
      cnt_q         <= cnt_d;
      bit_q         <= bit_d;
      shift_q       <= shift_d;
      data_q        <= data_d;
      valid_q       <= valid_d;
      frame_error_q <= frame_error_d;
      overrun_q     <= overrun_d;
    end
  end

  assign m_axis_tdata  = data_q;
  assign m_axis_tvalid = valid_q;
  assign frame_error   = frame_error_q;
  assign overrun       = overrun_q;

endmodule

`resetall
