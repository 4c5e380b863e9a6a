// deltamac_axi_top: deltamac_top with the AXI conventions of a platform design (docs/rtl.md,
// "Register map"): aclk, aresetn, interface-named ports, an AXI4-Lite register block
// (deltamac_regs, generated from model/regmap.py) and a result interrupt.
//
// Resets. aresetn (active low, synchronous to aclk) resets the register block directly and the
// core through rst_q, a register: the core's synchronous active-high reset is high in the cycle
// after every rising aclk edge that samples aresetn low, and in the cycle after a write of 1 to
// CONTROL.SOFT_RESET. One such edge is enough (the core resets completely in one cycle of
// reset), so aresetn must be held low for at least one rising edge of aclk; rst_q also starts at
// 1 (the FPGA's configuration value), so the core is in reset until the first edge with aresetn
// high. The soft reset restarts the core only: CONTROL, IRQ_STATUS and LAST_CLASS keep their
// values, IMAGES / DROPPED / SWALLOWED / CYCLES restart at 0.
//
// Interrupt. IRQ_STATUS.RESULT is set when a result's last beat leaves m_axis; irq is the
// registered AND of it and CONTROL.IRQ_ENABLE (a level, high until software writes 1 to
// IRQ_STATUS.RESULT or clears IRQ_ENABLE).

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_axi_top #(
    // 1: send NUM_CLASSES logits before the class index; 0: the class index only
    parameter int OUT_LOGITS         = 0,
    // $readmemh image of the delta ROM
    parameter     DELTA_ROM_FILE     = "delta.mem",
    // $readmemh image of the reference ROM (unused for plain)
    parameter     REF_ROM_FILE       = "ref.mem",
    // $readmemh image of the bias ROM
    parameter     BIAS_ROM_FILE      = "bias.mem",
    // $readmemh image of the multiplier ROM
    parameter     MULT_ROM_FILE      = "mult.mem",
    // pixels per s_axis beat, 1, 2, 4 or 8 (pixel i in TDATA[8*i +: 8]; LANES a multiple of it)
    parameter int PIXELS_PER_BEAT    = 1,
    // 1: s_axis_tuser marks pixel 0 of an image, a new image starts there; 0: s_axis_tuser ignored
    parameter int SOI_TUSER          = 0,
    // N > 0 (up to 65535): after N cycles without s_axis_tvalid the next beat is pixel 0; 0: off
    parameter int RESYNC_IDLE_CYCLES = 0
) (
    // clock of every interface
    input  wire logic                         aclk,
    // synchronous active-low reset; low for at least one rising edge of aclk
    input  wire logic                         aresetn,

    // AXI4-Stream pixel input: PIXELS_PER_BEAT uint8 pixels per beat, row-major, pixel 0 in the LSBs
    input  wire logic [8*PIXELS_PER_BEAT-1:0] s_axis_tdata,
    // AXI4-Stream pixel input: valid
    input  wire logic                         s_axis_tvalid,
    // AXI4-Stream pixel input: ready
    output logic                              s_axis_tready,
    // AXI4-Stream pixel input: TLAST on the beat of pixel IN_PIXELS-1
    input  wire logic                         s_axis_tlast,
    // AXI4-Stream pixel input: TUSER, high on pixel 0 (used with SOI_TUSER = 1; tie to 0 otherwise)
    input  wire logic                         s_axis_tuser,

    // AXI4-Stream result output: logits (OUT_LOGITS=1, sign-extended) then the class index
    output logic [31:0]                       m_axis_tdata,
    // AXI4-Stream result output: valid
    output logic                              m_axis_tvalid,
    // AXI4-Stream result output: ready
    input  wire logic                         m_axis_tready,
    // AXI4-Stream result output: TLAST on the class index
    output logic                              m_axis_tlast,

    // AXI4-Lite register block: write address (bytes; 256-byte window, upper bits not decoded)
    input  wire logic [7:0]                   s_axil_awaddr,
    // AXI4-Lite: write protection (ignored)
    input  wire logic [2:0]                   s_axil_awprot,
    // AXI4-Lite: write address valid
    input  wire logic                         s_axil_awvalid,
    // AXI4-Lite: write address ready
    output logic                              s_axil_awready,
    // AXI4-Lite: write data
    input  wire logic [31:0]                  s_axil_wdata,
    // AXI4-Lite: write byte strobes
    input  wire logic [3:0]                   s_axil_wstrb,
    // AXI4-Lite: write data valid
    input  wire logic                         s_axil_wvalid,
    // AXI4-Lite: write data ready
    output logic                              s_axil_wready,
    // AXI4-Lite: write response (OKAY; SLVERR for a read-only register)
    output logic [1:0]                        s_axil_bresp,
    // AXI4-Lite: write response valid
    output logic                              s_axil_bvalid,
    // AXI4-Lite: write response ready
    input  wire logic                         s_axil_bready,
    // AXI4-Lite: read address (bytes)
    input  wire logic [7:0]                   s_axil_araddr,
    // AXI4-Lite: read protection (ignored)
    input  wire logic [2:0]                   s_axil_arprot,
    // AXI4-Lite: read address valid
    input  wire logic                         s_axil_arvalid,
    // AXI4-Lite: read address ready
    output logic                              s_axil_arready,
    // AXI4-Lite: read data
    output logic [31:0]                       s_axil_rdata,
    // AXI4-Lite: read response (always OKAY)
    output logic [1:0]                        s_axil_rresp,
    // AXI4-Lite: read data valid
    output logic                              s_axil_rvalid,
    // AXI4-Lite: read data ready
    input  wire logic                         s_axil_rready,

    // result interrupt: IRQ_STATUS.RESULT and CONTROL.IRQ_ENABLE (level, active high)
    output logic                              irq
);

  logic        bus_rst;                // aresetn low: the register block's synchronous reset
  logic        rst_q = 1'b1;           // the core's reset (1 from configuration until the first edge)
  logic        soft_reset;             // CONTROL.SOFT_RESET written with 1 (one-cycle pulse)
  logic        irq_enable, irq_pending;
  logic        irq_q;
  logic        result_done;            // a result's last beat leaves m_axis
  logic [15:0] last_class_q;
  logic        core_busy, core_frame_error;
  logic [15:0] core_dropped, core_swallowed;
  logic [31:0] core_images, core_cycles;
  logic        core_load_tready, core_weights_valid;
  logic [31:0] core_loads, core_load_errors;

  assign bus_rst     = !aresetn;
  assign result_done = m_axis_tvalid && m_axis_tready && m_axis_tlast;
  assign irq         = irq_q;

  always_ff @(posedge aclk) begin
    rst_q <= bus_rst || soft_reset;
    if (bus_rst) begin
      irq_q        <= 1'b0;
      last_class_q <= '0;
    end else begin
      irq_q <= irq_pending && irq_enable;
      if (result_done) begin
        last_class_q <= m_axis_tdata[15:0];
      end
    end
  end

  deltamac_top #(
      .OUT_LOGITS        (OUT_LOGITS),
      .DELTA_ROM_FILE    (DELTA_ROM_FILE),
      .REF_ROM_FILE      (REF_ROM_FILE),
      .BIAS_ROM_FILE     (BIAS_ROM_FILE),
      .MULT_ROM_FILE     (MULT_ROM_FILE),
      .PIXELS_PER_BEAT   (PIXELS_PER_BEAT),
      .SOI_TUSER         (SOI_TUSER),
      .RESYNC_IDLE_CYCLES(RESYNC_IDLE_CYCLES)
  ) u_core (
      .clk               (aclk),
      .rst               (rst_q),
      .s_axis_tdata      (s_axis_tdata),
      .s_axis_tvalid     (s_axis_tvalid),
      .s_axis_tready     (s_axis_tready),
      .s_axis_tlast      (s_axis_tlast),
      .s_axis_tuser      (s_axis_tuser),
      .s_axis_load_tdata (32'd0),  // ROM weights (RUNTIME_WEIGHTS 0): no load port
      .s_axis_load_tvalid(1'b0),
      .s_axis_load_tready(core_load_tready),
      .s_axis_load_tlast (1'b0),
      .m_axis_tdata      (m_axis_tdata),
      .m_axis_tvalid     (m_axis_tvalid),
      .m_axis_tready     (m_axis_tready),
      .m_axis_tlast      (m_axis_tlast),
      .status_busy       (core_busy),
      .status_frame_error(core_frame_error),
      .status_dropped    (core_dropped),
      .status_swallowed  (core_swallowed),
      .status_images     (core_images),
      .status_cycles     (core_cycles),
      .status_weights_valid(core_weights_valid),
      .status_loads      (core_loads),
      .status_load_errors(core_load_errors)
  );

  logic unused_frame_error;  // DROPPED counts the frame errors
  assign unused_frame_error = core_frame_error;
  logic unused_load;  // the ROM core's load port status (constant)
  assign unused_load = ^{core_load_tready, core_weights_valid, core_loads, core_load_errors};

  deltamac_regs #(
      .NUM_LAYERS     (deltamac_net_pkg::NUM_LAYERS),
      .IN_PIXELS      (deltamac_net_pkg::IN_PIXELS),
      .NUM_CLASSES    (deltamac_net_pkg::NUM_CLASSES),
      .LANES          (deltamac_net_pkg::LANES),
      .SCHEME         (deltamac_net_pkg::SCHEME),
      .WEIGHT_BITS    (deltamac_net_pkg::WEIGHT_BITS),
      .DELTA_BITS     (deltamac_net_pkg::DELTA_BITS),
      .PIXELS_PER_BEAT(PIXELS_PER_BEAT),
      .OUT_LOGITS     (OUT_LOGITS)
  ) u_regs (
      .clk                  (aclk),
      .rst                  (bus_rst),
      .s_axil_awaddr        (s_axil_awaddr),
      .s_axil_awprot        (s_axil_awprot),
      .s_axil_awvalid       (s_axil_awvalid),
      .s_axil_awready       (s_axil_awready),
      .s_axil_wdata         (s_axil_wdata),
      .s_axil_wstrb         (s_axil_wstrb),
      .s_axil_wvalid        (s_axil_wvalid),
      .s_axil_wready        (s_axil_wready),
      .s_axil_bresp         (s_axil_bresp),
      .s_axil_bvalid        (s_axil_bvalid),
      .s_axil_bready        (s_axil_bready),
      .s_axil_araddr        (s_axil_araddr),
      .s_axil_arprot        (s_axil_arprot),
      .s_axil_arvalid       (s_axil_arvalid),
      .s_axil_arready       (s_axil_arready),
      .s_axil_rdata         (s_axil_rdata),
      .s_axil_rresp         (s_axil_rresp),
      .s_axil_rvalid        (s_axil_rvalid),
      .s_axil_rready        (s_axil_rready),
      .control_soft_reset   (soft_reset),
      .control_irq_enable   (irq_enable),
      .status_busy          (core_busy),
      .irq_status_result    (irq_pending),
      .irq_status_result_set(result_done),
      .last_class_index     (last_class_q),
      .images_count         (core_images),
      .dropped_count        (core_dropped),
      .swallowed_count      (core_swallowed),
      .cycles_count         (core_cycles)
  );

endmodule

`resetall
