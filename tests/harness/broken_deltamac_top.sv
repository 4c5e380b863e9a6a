// A deliberately broken stand-in for deltamac_top, to prove the harness's protocol checks fire.
// Same ports and parameters. It answers every image with NUM_CLASSES zero logits and class 0 (with
// OUT_LOGITS = 1), and misbehaves as selected by the image's first pixel:
//   0 well-behaved            1 never answers (hang)          2 TDATA changes while TREADY = 0
//   3 TLAST on the first beat  4 status_frame_error pulse      5 the result is sent twice
//   6 status_images not counted
// It ignores the ROM files, TLAST and TUSER; the file name differs from the module name on purpose.
/* verilator lint_off DECLFILENAME */
/* verilator lint_off UNUSEDPARAM */
/* verilator lint_off UNUSEDSIGNAL */
module deltamac_top #(
    parameter int OUT_LOGITS     = 0,
    parameter     DELTA_ROM_FILE = "",
    parameter     REF_ROM_FILE   = "",
    parameter     BIAS_ROM_FILE  = "",
    parameter     MULT_ROM_FILE  = "",
    parameter int SOI_TUSER      = 0,
    parameter int RESYNC_IDLE_CYCLES = 0,
    parameter int PIXELS_PER_BEAT = 1  // the harness drives one pixel per beat into deltamac_top
) (
    input  logic        clk,
    input  logic        rst,
    input  logic [8*PIXELS_PER_BEAT-1:0] s_axis_tdata,
    input  logic        s_axis_tvalid,
    output logic        s_axis_tready,
    input  logic        s_axis_tlast,
    input  logic        s_axis_tuser,
    output logic [31:0] m_axis_tdata,
    output logic        m_axis_tvalid,
    input  logic        m_axis_tready,
    output logic        m_axis_tlast,
    output logic        status_busy,
    output logic        status_frame_error,
    output logic [15:0] status_dropped,
    output logic [15:0] status_swallowed,
    output logic [31:0] status_images,
    output logic [31:0] status_cycles
);
  localparam int BEATS = OUT_LOGITS != 0 ? deltamac_net_pkg::NUM_CLASSES + 1 : 1;
  typedef enum logic [1:0] {RECEIVE, COMPUTE, SEND} state_t;
  state_t state;
  logic [7:0] mode;
  int pixel, wait_cycles, beat, sends;

  assign s_axis_tready = state == RECEIVE;
  assign m_axis_tvalid = state == SEND;
  assign m_axis_tlast  = state == SEND && (beat == BEATS - 1 || mode == 3);
  assign status_busy   = state != RECEIVE || pixel != 0;
  assign status_dropped = '0;
  assign status_swallowed = '0;

  always_ff @(posedge clk) begin
    status_frame_error <= 1'b0;
    if (rst) begin
      state <= RECEIVE;
      pixel <= 0;
      m_axis_tdata <= '0;
      status_images <= '0;
      status_cycles <= '0;
    end else begin
      status_cycles <= status_cycles + 1;
      case (state)
        RECEIVE: if (s_axis_tvalid) begin
          if (pixel == 0) mode <= s_axis_tdata;
          pixel <= pixel + 1;
          if (pixel == deltamac_net_pkg::IN_PIXELS - 1) begin
            pixel <= 0;
            state <= COMPUTE;
            wait_cycles <= 0;
            sends <= 0;
          end
        end
        COMPUTE: begin
          wait_cycles <= wait_cycles + 1;
          if (mode == 4 && wait_cycles == 0) status_frame_error <= 1'b1;
          if (mode != 1 && wait_cycles == 50) begin
            state <= SEND;
            beat <= 0;
            m_axis_tdata <= '0;
          end
        end
        SEND: begin
          if (mode == 2 && !m_axis_tready) m_axis_tdata <= m_axis_tdata + 1;
          if (m_axis_tready) begin
            m_axis_tdata <= '0;
            beat <= beat + 1;
            if (m_axis_tlast) begin
              beat <= 0;
              sends <= sends + 1;
              if (mode == 5 && sends == 0) begin
                beat <= 0;
              end else begin
                state <= RECEIVE;
                if (mode != 6) status_images <= status_images + 1;
              end
            end
          end
        end
        default: state <= RECEIVE;
      endcase
    end
  end
endmodule
