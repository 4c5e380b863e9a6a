// Top for the whole-test-set harness (sim/harness/harness.cpp). Built by Verilator.
//
// Instantiates deltamac_top, or with DELTAMAC_DATAFLOW defined deltamac_dataflow_top (a dataflow
// export, ARCHITECTURE.md section 6; same ports) (OUT_LOGITS = 1 by default: logits and class are
// both checked; 0: the class only) and exposes OUT_LOGITS and the compiled deltamac_net_pkg
// constants as constant `cfg_*` outputs, so the harness binary can
// report exactly what it was built for (`--describe`) and the Python driver can refuse an export
// that does not match. ROM files are relative paths: $readmemh resolves them against the working
// directory, which the driver sets to the export directory (build/<config>/). The parameters are
// untyped like deltamac_top's (typed `string` parameters crash Verilator 5.006 there).
module deltamac_harness_top #(
    parameter int OUT_LOGITS = 1,
    // pixels per s_axis beat: the dataflow export's (its package), 1 for deltamac_top
`ifdef DELTAMAC_DATAFLOW
    parameter int PIXELS_PER_BEAT = deltamac_net_pkg::PIXELS_PER_BEAT,
`else
    parameter int PIXELS_PER_BEAT = 1,
`endif
    parameter DELTA_ROM_FILE = "delta.mem",
    parameter REF_ROM_FILE   = "ref.mem",
    parameter BIAS_ROM_FILE  = "bias.mem",
    parameter MULT_ROM_FILE  = "mult.mem"
) (
    input  logic        clk,
    input  logic        rst,
    input  logic [8*PIXELS_PER_BEAT-1:0] s_axis_tdata,
    input  logic        s_axis_tvalid,
    output logic        s_axis_tready,
    input  logic        s_axis_tlast,
    output logic [31:0] m_axis_tdata,
    output logic        m_axis_tvalid,
    input  logic        m_axis_tready,
    output logic        m_axis_tlast,
    output logic        status_busy,
    output logic        status_frame_error,
    output logic [15:0] status_dropped,
    output logic [15:0] status_swallowed,
    output logic [31:0] status_images,
    output logic [31:0] status_cycles,

    output logic [31:0] cfg_pixels_per_beat,
`ifdef DELTAMAC_DATAFLOW
    output logic [31:0] cfg_out_logits,
    output logic [31:0] cfg_architecture,
    output logic [31:0] cfg_num_layers,
    output logic [31:0] cfg_act_bits,
    output logic [31:0] cfg_acc_bits,
    output logic [31:0] cfg_bias_bits,
    output logic [31:0] cfg_mult_bits,
    output logic [31:0] cfg_in_pixels,
    output logic [31:0] cfg_num_classes,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_n_in,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_n_out,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_lanes,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_neurons,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_lane_kind,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_scheme,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_weight_bits,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_delta_bits,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_chunks,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_group_words,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_delta_shift,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_req_shift,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_in_signed,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_out_signed,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_in_bits,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_act_bits
`else
    output logic [31:0] cfg_out_logits,
    output logic [31:0] cfg_num_layers,
    output logic [31:0] cfg_lanes,
    output logic [31:0] cfg_scheme,
    output logic [31:0] cfg_weight_bits,
    output logic [31:0] cfg_delta_bits,
    output logic [31:0] cfg_act_bits,
    output logic [31:0] cfg_acc_bits,
    output logic [31:0] cfg_bias_bits,
    output logic [31:0] cfg_mult_bits,
    output logic [31:0] cfg_in_pixels,
    output logic [31:0] cfg_num_classes,
    output logic [31:0] cfg_max_chunks,
    output logic [31:0] cfg_delta_rom_depth,
    output logic [31:0] cfg_ref_rom_depth,
    output logic [31:0] cfg_neuron_rom_depth,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_n_in,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_n_out,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_chunks,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_group_words,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_delta_base,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_ref_base,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_neuron_base,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_delta_shift,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_req_shift,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_in_signed,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_out_signed,
    output logic [deltamac_net_pkg::NUM_LAYERS*32-1:0] cfg_layer_act_bits
`endif
);
`ifdef DELTAMAC_DATAFLOW
  deltamac_dataflow_top #(
      .OUT_LOGITS     (OUT_LOGITS),  // ROM_DIR ".": the driver runs the binary in the export directory
      .PIXELS_PER_BEAT(PIXELS_PER_BEAT)
  ) dut (
      .clk,
      .rst,
      .s_axis_tdata,
      .s_axis_tvalid,
      .s_axis_tready,
      .s_axis_tlast,
      .s_axis_tuser  (1'b0),  // SOI_TUSER = 0: no start-of-image marker
      .m_axis_tdata,
      .m_axis_tvalid,
      .m_axis_tready,
      .m_axis_tlast,
      .status_busy,
      .status_frame_error,
      .status_dropped,
      .status_swallowed,
      .status_images,
      .status_cycles
  );

  assign cfg_out_logits        = OUT_LOGITS;
  assign cfg_architecture      = deltamac_net_pkg::ARCHITECTURE;
  assign cfg_num_layers        = deltamac_net_pkg::NUM_LAYERS;
  assign cfg_act_bits          = deltamac_net_pkg::ACT_BITS;
  assign cfg_acc_bits          = deltamac_net_pkg::ACC_BITS;
  assign cfg_bias_bits         = deltamac_net_pkg::BIAS_BITS;
  assign cfg_mult_bits         = deltamac_net_pkg::MULT_BITS;
  assign cfg_in_pixels         = deltamac_net_pkg::IN_PIXELS;
  assign cfg_num_classes       = deltamac_net_pkg::NUM_CLASSES;
  assign cfg_layer_n_in        = deltamac_net_pkg::LAYER_N_IN;
  assign cfg_layer_n_out       = deltamac_net_pkg::LAYER_N_OUT;
  assign cfg_layer_lanes       = deltamac_net_pkg::LAYER_LANES;
  assign cfg_layer_neurons     = deltamac_net_pkg::LAYER_NEURONS;
  assign cfg_layer_lane_kind   = deltamac_net_pkg::LAYER_LANE_KIND;
  assign cfg_layer_scheme      = deltamac_net_pkg::LAYER_SCHEME;
  assign cfg_layer_weight_bits = deltamac_net_pkg::LAYER_WEIGHT_BITS;
  assign cfg_layer_delta_bits  = deltamac_net_pkg::LAYER_DELTA_BITS;
  assign cfg_layer_chunks      = deltamac_net_pkg::LAYER_CHUNKS;
  assign cfg_layer_group_words = deltamac_net_pkg::LAYER_GROUP_WORDS;
  assign cfg_layer_delta_shift = deltamac_net_pkg::LAYER_DELTA_SHIFT;
  assign cfg_layer_req_shift   = deltamac_net_pkg::LAYER_REQ_SHIFT;
  assign cfg_layer_in_signed   = deltamac_net_pkg::LAYER_IN_SIGNED;
  assign cfg_layer_out_signed  = deltamac_net_pkg::LAYER_OUT_SIGNED;
  assign cfg_layer_in_bits     = deltamac_net_pkg::LAYER_IN_BITS;
  assign cfg_layer_act_bits    = deltamac_net_pkg::LAYER_ACT_BITS;
`else
  deltamac_top #(
      .OUT_LOGITS     (OUT_LOGITS),
      .PIXELS_PER_BEAT(PIXELS_PER_BEAT),
      .DELTA_ROM_FILE (DELTA_ROM_FILE),
      .REF_ROM_FILE  (REF_ROM_FILE),
      .BIAS_ROM_FILE (BIAS_ROM_FILE),
      .MULT_ROM_FILE (MULT_ROM_FILE)
  ) dut (
      .clk,
      .rst,
      .s_axis_tdata,
      .s_axis_tvalid,
      .s_axis_tready,
      .s_axis_tlast,
      .s_axis_tuser  (1'b0),  // SOI_TUSER = 0: no start-of-image marker
      .m_axis_tdata,
      .m_axis_tvalid,
      .m_axis_tready,
      .m_axis_tlast,
      .status_busy,
      .status_frame_error,
      .status_dropped,
      .status_swallowed,
      .status_images,
      .status_cycles
  );

  assign cfg_out_logits        = OUT_LOGITS;
  assign cfg_num_layers        = deltamac_net_pkg::NUM_LAYERS;
  assign cfg_lanes             = deltamac_net_pkg::LANES;
  assign cfg_scheme            = deltamac_net_pkg::SCHEME;
  assign cfg_weight_bits       = deltamac_net_pkg::WEIGHT_BITS;
  assign cfg_delta_bits        = deltamac_net_pkg::DELTA_BITS;
  assign cfg_act_bits          = deltamac_net_pkg::ACT_BITS;
  assign cfg_acc_bits          = deltamac_net_pkg::ACC_BITS;
  assign cfg_bias_bits         = deltamac_net_pkg::BIAS_BITS;
  assign cfg_mult_bits         = deltamac_net_pkg::MULT_BITS;
  assign cfg_in_pixels         = deltamac_net_pkg::IN_PIXELS;
  assign cfg_num_classes       = deltamac_net_pkg::NUM_CLASSES;
  assign cfg_max_chunks        = deltamac_net_pkg::MAX_CHUNKS;
  assign cfg_delta_rom_depth   = deltamac_net_pkg::DELTA_ROM_DEPTH;
  assign cfg_ref_rom_depth     = deltamac_net_pkg::REF_ROM_DEPTH;
  assign cfg_neuron_rom_depth  = deltamac_net_pkg::NEURON_ROM_DEPTH;
  assign cfg_layer_n_in        = deltamac_net_pkg::LAYER_N_IN;
  assign cfg_layer_n_out       = deltamac_net_pkg::LAYER_N_OUT;
  assign cfg_layer_chunks      = deltamac_net_pkg::LAYER_CHUNKS;
  assign cfg_layer_group_words = deltamac_net_pkg::LAYER_GROUP_WORDS;
  assign cfg_layer_delta_base  = deltamac_net_pkg::LAYER_DELTA_BASE;
  assign cfg_layer_ref_base    = deltamac_net_pkg::LAYER_REF_BASE;
  assign cfg_layer_neuron_base = deltamac_net_pkg::LAYER_NEURON_BASE;
  assign cfg_layer_delta_shift = deltamac_net_pkg::LAYER_DELTA_SHIFT;
  assign cfg_layer_req_shift   = deltamac_net_pkg::LAYER_REQ_SHIFT;
  assign cfg_layer_in_signed   = deltamac_net_pkg::LAYER_IN_SIGNED;
  assign cfg_layer_out_signed  = deltamac_net_pkg::LAYER_OUT_SIGNED;
  assign cfg_layer_act_bits    = deltamac_net_pkg::LAYER_ACT_BITS;
`endif
  assign cfg_pixels_per_beat = PIXELS_PER_BEAT;
endmodule
