// deltamac_uart_top: board example around deltamac_top.
// Images arrive over a UART (8N1) as IN_PIXELS raw bytes each, row-major; the byte counter
// frames them (TLAST on the last byte). Each result, the class index, goes back as one byte
// (an ASCII digit '0'.. when ASCII_RESULT) and is shown on the LEDs. The reset button (or a
// power-up) re-aligns the byte counter; there is no other framing on the serial line.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_uart_top #(
  parameter int CLKS_PER_BIT   = 868,          // clock cycles per UART bit: 100 MHz / 115200 baud
  parameter bit ASCII_RESULT   = 1'b1,         // 1: send '0' + class (ASCII digit); 0: the class as a raw byte
  parameter     DELTA_ROM_FILE = "delta.mem",  // $readmemh image of the delta ROM (build/<config>/delta.mem)
  parameter     REF_ROM_FILE   = "ref.mem",    // $readmemh image of the reference ROM
  parameter     BIAS_ROM_FILE  = "bias.mem",   // $readmemh image of the bias ROM
  parameter     MULT_ROM_FILE  = "mult.mem"    // $readmemh image of the multiplier ROM
) (
  input  wire logic       clk,      // board clock (the period in the board XDC must match CLKS_PER_BIT)
  input  wire logic       rst_btn,  // reset button, active high, asynchronous (synchronised here)
  input  wire logic       uart_rxd, // serial input from the host, idle high
  output logic       uart_txd, // serial output to the host, idle high
  output logic [3:0] led,      // class index of the latest result
  output logic       led_busy, // an image is being received, computed or sent
  output logic       led_error // sticky: a serial byte or an image was dropped (cleared by reset)
);

  localparam int InPixels = deltamac_net_pkg::IN_PIXELS;
  localparam int PixW     = $clog2(InPixels);

  if (deltamac_net_pkg::NUM_CLASSES > 10 && ASCII_RESULT) begin : gen_check_ascii
    initial $fatal(1, "deltamac_uart_top: ASCII_RESULT needs NUM_CLASSES <= 10, got %0d",
           deltamac_net_pkg::NUM_CLASSES);
  end
  if (deltamac_net_pkg::NUM_CLASSES > 16) begin : gen_check_leds
    initial $fatal(1, "deltamac_uart_top: 4 LEDs show at most 16 classes, got %0d",
           deltamac_net_pkg::NUM_CLASSES);
  end

  // Reset: the synchronised button, held for the synchroniser latency after configuration.
  logic rst;
  deltamac_sync #(
    .STAGES    (3),
    .INIT_VALUE(1'b1)
  ) u_rst_sync (
    .clk    (clk),
    .async_i(rst_btn),
    .sync_o (rst)
  );

  logic rxd;
  deltamac_sync #(
    .STAGES    (2),
    .INIT_VALUE(1'b1)
  ) u_rxd_sync (
    .clk    (clk),
    .async_i(uart_rxd),
    .sync_o (rxd)
  );

  logic [7:0] rx_tdata;
  logic       rx_tvalid;
  logic       rx_tready;
  logic       rx_frame_error;
  logic       rx_overrun;

  deltamac_uart_rx #(
    .CLKS_PER_BIT(CLKS_PER_BIT)
  ) u_uart_rx (
    .clk          (clk),
    .rst          (rst),
    .rxd          (rxd),
    .m_axis_tdata (rx_tdata),
    .m_axis_tvalid(rx_tvalid),
    .m_axis_tready(rx_tready),
    .frame_error  (rx_frame_error),
    .overrun      (rx_overrun)
  );

  // Byte counter: TLAST on byte InPixels-1 of every image.
  logic [PixW-1:0] pixel_d, pixel_q;
  logic            pixel_last;

  assign pixel_last = (pixel_q == PixW'(InPixels - 1));

  always_comb begin
    pixel_d = pixel_q;
    if (rx_tvalid && rx_tready) begin
      pixel_d = pixel_last ? '0 : pixel_q + PixW'(1);
    end
  end

  logic [31:0] res_tdata;
  logic        res_tvalid;
  logic        res_tready;
  logic        res_tlast;
  logic        status_busy;
  logic        status_frame_error;
  logic [15:0] status_dropped;
  logic [15:0] status_swallowed;
  logic [31:0] status_images;
  logic [31:0] status_cycles;
  logic        load_tready, weights_valid;  // the ROM core's load port status (constant)
  logic [31:0] loads, load_errors;

  deltamac_top #(
    .OUT_LOGITS    (0),
    .DELTA_ROM_FILE(DELTA_ROM_FILE),
    .REF_ROM_FILE  (REF_ROM_FILE),
    .BIAS_ROM_FILE (BIAS_ROM_FILE),
    .MULT_ROM_FILE (MULT_ROM_FILE)
  ) u_deltamac (
    .clk               (clk),
    .rst               (rst),
    .s_axis_tdata      (rx_tdata),
    .s_axis_tvalid     (rx_tvalid),
    .s_axis_tready     (rx_tready),
    .s_axis_tlast      (pixel_last),
    .s_axis_tuser      (1'b0),  // SOI_TUSER = 0: images are delimited by counting pixels
    .s_axis_load_tdata (32'd0),  // ROM weights: no load port
    .s_axis_load_tvalid(1'b0),
    .s_axis_load_tready(load_tready),
    .s_axis_load_tlast (1'b0),
    .m_axis_tdata      (res_tdata),
    .m_axis_tvalid     (res_tvalid),
    .m_axis_tready     (res_tready),
    .m_axis_tlast      (res_tlast),
    .status_busy       (status_busy),
    .status_frame_error(status_frame_error),
    .status_dropped    (status_dropped),
    .status_swallowed  (status_swallowed),
    .status_images     (status_images),
    .status_cycles     (status_cycles),
    .status_weights_valid(weights_valid),
    .status_loads      (loads),
    .status_load_errors(load_errors)
  );

  logic [7:0] tx_tdata;
  assign tx_tdata = ASCII_RESULT ? 8'h30 + res_tdata[7:0] : res_tdata[7:0];

  deltamac_uart_tx #(
    .CLKS_PER_BIT(CLKS_PER_BIT)
  ) u_uart_tx (
    .clk          (clk),
    .rst          (rst),
    .s_axis_tdata (tx_tdata),
    .s_axis_tvalid(res_tvalid),
    .s_axis_tready(res_tready),
    .txd          (uart_txd)
  );

  logic [3:0] led_d, led_q;
  logic       error_d, error_q;
  always_comb begin
    led_d   = led_q;
    error_d = error_q || rx_frame_error || rx_overrun || status_frame_error;
    if (res_tvalid && res_tready) begin
      led_d = res_tdata[3:0];
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      pixel_q <= '0;
      led_q   <= 4'd0;
      error_q <= 1'b0;
    end else begin
      pixel_q <= pixel_d;
      led_q   <= led_d;
      error_q <= error_d;
    end
  end

  assign led       = led_q;
  assign led_busy  = status_busy;
  assign led_error = error_q;

  // The board has no use for the counters, the upper result bits and TLAST (one beat per result).
  logic unused_status;
  assign unused_status = ^{res_tdata[31:8], res_tlast, status_dropped, status_swallowed, status_images, status_cycles,
                           load_tready, weights_valid, loads, load_errors};

endmodule

`resetall
