// MULT18X18D: behavioural model of the ECP5 sysDSP 18x18 multiplier for netlist simulation.
//
// Yosys 0.23 has only a black box of MULT18X18D (ecp5/cells_bb.v). This model is written from the
// Lattice ECP5 and ECP5-5G sysDSP Usage Guide (FPGA-TN-02205, formerly TN1267): P = A x B, 36 bits,
// each operand signed when its SIGNEDA/SIGNEDB is 1 and unsigned when 0; an optional input
// register per operand (REG_INPUTA_CLK, REG_INPUTB_CLK; the operand's SIGNED flag is held with
// it), an optional pipeline register behind the multiplier (REG_PIPELINE_CLK) and an optional
// output register (REG_OUTPUT_CLK), each clocked by CLK0 under CE0 with the synchronous reset
// RST0 (reset value 0). The latency from A/B to P is the number of these registers on the path.
//
// Modelled exactly the settings that synth_ecp5 and scripts/ecp5_regpack.py produce: every *_CLK
// "NONE" or "CLK0", every *_CE "CE0", every *_RST "RST0", no C input register, no bypass, no
// shift/cascade sources (SOURCEA/SOURCEB 0), RESETMODE SYNC. Any other parameter value stops
// the simulation with $fatal, as does SOURCEA or SOURCEB at 1. ROA/ROB carry the (registered)
// operands; ROC, SROA, SROB are 0.
module MULT18X18D (
    input  wire A0, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13, A14, A15, A16, A17,  // operand A, A0 the LSB
    input  wire B0, B1, B2, B3, B4, B5, B6, B7, B8, B9, B10, B11, B12, B13, B14, B15, B16, B17,  // operand B, B0 the LSB
    input  wire C0, C1, C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13, C14, C15, C16, C17,  // C input (feeds the ALU54B only: unused)
    input  wire SIGNEDA,            // 1: A is two's complement, 0: unsigned
    input  wire SIGNEDB,            // 1: B is two's complement, 0: unsigned
    input  wire SOURCEA,            // 1: A from the shift chain SRIA (not modelled: must be 0)
    input  wire SOURCEB,            // 1: B from the shift chain SRIB (not modelled: must be 0)
    input  wire CLK0,               // clock of every modelled register
    input  wire CLK1, CLK2, CLK3,   // other clocks (not modelled: unused)
    input  wire CE0,                // clock enable of every modelled register
    input  wire CE1, CE2, CE3,      // other clock enables (unused)
    input  wire RST0,               // synchronous reset of every modelled register (to 0)
    input  wire RST1, RST2, RST3,   // other resets (unused)
    input  wire SRIA0, SRIA1, SRIA2, SRIA3, SRIA4, SRIA5, SRIA6, SRIA7, SRIA8, SRIA9, SRIA10, SRIA11, SRIA12, SRIA13, SRIA14, SRIA15, SRIA16, SRIA17,  // shift chain input A (unused)
    input  wire SRIB0, SRIB1, SRIB2, SRIB3, SRIB4, SRIB5, SRIB6, SRIB7, SRIB8, SRIB9, SRIB10, SRIB11, SRIB12, SRIB13, SRIB14, SRIB15, SRIB16, SRIB17,  // shift chain input B (unused)
    output wire SROA0, SROA1, SROA2, SROA3, SROA4, SROA5, SROA6, SROA7, SROA8, SROA9, SROA10, SROA11, SROA12, SROA13, SROA14, SROA15, SROA16, SROA17,  // shift chain output A (0)
    output wire SROB0, SROB1, SROB2, SROB3, SROB4, SROB5, SROB6, SROB7, SROB8, SROB9, SROB10, SROB11, SROB12, SROB13, SROB14, SROB15, SROB16, SROB17,  // shift chain output B (0)
    output wire ROA0, ROA1, ROA2, ROA3, ROA4, ROA5, ROA6, ROA7, ROA8, ROA9, ROA10, ROA11, ROA12, ROA13, ROA14, ROA15, ROA16, ROA17,  // operand A after its input register
    output wire ROB0, ROB1, ROB2, ROB3, ROB4, ROB5, ROB6, ROB7, ROB8, ROB9, ROB10, ROB11, ROB12, ROB13, ROB14, ROB15, ROB16, ROB17,  // operand B after its input register
    output wire ROC0, ROC1, ROC2, ROC3, ROC4, ROC5, ROC6, ROC7, ROC8, ROC9, ROC10, ROC11, ROC12, ROC13, ROC14, ROC15, ROC16, ROC17,  // operand C (0)
    output wire P0, P1, P2, P3, P4, P5, P6, P7, P8, P9, P10, P11, P12, P13, P14, P15, P16, P17, P18, P19, P20, P21, P22, P23, P24, P25, P26, P27, P28, P29, P30, P31, P32, P33, P34, P35,  // product, P0 the LSB
    output wire SIGNEDP             // the product is signed (SIGNEDA or SIGNEDB)
);
  parameter REG_INPUTA_CLK = "NONE";    // operand A input register: NONE or CLK0
  parameter REG_INPUTA_CE = "CE0";      // its clock enable: CE0
  parameter REG_INPUTA_RST = "RST0";    // its reset: RST0
  parameter REG_INPUTB_CLK = "NONE";    // operand B input register: NONE or CLK0
  parameter REG_INPUTB_CE = "CE0";      // its clock enable: CE0
  parameter REG_INPUTB_RST = "RST0";    // its reset: RST0
  parameter REG_INPUTC_CLK = "NONE";    // C input register: NONE
  parameter REG_INPUTC_CE = "CE0";      // (C unused)
  parameter REG_INPUTC_RST = "RST0";    // (C unused)
  parameter REG_PIPELINE_CLK = "NONE";  // pipeline register behind the multiplier: NONE or CLK0
  parameter REG_PIPELINE_CE = "CE0";    // its clock enable: CE0
  parameter REG_PIPELINE_RST = "RST0";  // its reset: RST0
  parameter REG_OUTPUT_CLK = "NONE";    // output register: NONE or CLK0
  parameter REG_OUTPUT_CE = "CE0";      // its clock enable: CE0
  parameter REG_OUTPUT_RST = "RST0";    // its reset: RST0
  parameter [127:0] CLK0_DIV = "ENABLED";  // clock divider settings (no effect on the product)
  parameter [127:0] CLK1_DIV = "ENABLED";
  parameter [127:0] CLK2_DIV = "ENABLED";
  parameter [127:0] CLK3_DIV = "ENABLED";
  parameter HIGHSPEED_CLK = "NONE";        // high-speed clock: NONE
  parameter [127:0] GSR = "ENABLED";       // global set/reset (registers start at 0 either way)
  parameter CAS_MATCH_REG = "FALSE";       // cascade match register: FALSE
  parameter [127:0] SOURCEB_MODE = "B_SHIFT"; // B source mode (with SOURCEB 0: B itself)
  parameter [127:0] MULT_BYPASS = "DISABLED"; // multiplier bypass: DISABLED
  parameter [127:0] RESETMODE = "SYNC";    // register reset: SYNC

  // Register stages used (CLK0) or bypassed (NONE); anything else stops below.
  localparam REG_A = REG_INPUTA_CLK == "CLK0";
  localparam REG_B = REG_INPUTB_CLK == "CLK0";
  localparam REG_PIPELINE = REG_PIPELINE_CLK == "CLK0";
  localparam REG_OUTPUT = REG_OUTPUT_CLK == "CLK0";

  initial begin
    if ((REG_INPUTA_CLK != "NONE" && REG_INPUTA_CLK != "CLK0") || (REG_INPUTB_CLK != "NONE" && REG_INPUTB_CLK != "CLK0")
        || (REG_PIPELINE_CLK != "NONE" && REG_PIPELINE_CLK != "CLK0") || (REG_OUTPUT_CLK != "NONE" && REG_OUTPUT_CLK != "CLK0"))
      $fatal(1, "%m: register clocks %s/%s/%s/%s not modelled (NONE, CLK0)", REG_INPUTA_CLK, REG_INPUTB_CLK,
             REG_PIPELINE_CLK, REG_OUTPUT_CLK);
    if (REG_INPUTA_CE != "CE0" || REG_INPUTB_CE != "CE0" || REG_PIPELINE_CE != "CE0" || REG_OUTPUT_CE != "CE0")
      $fatal(1, "%m: clock enables other than CE0 are not modelled");
    if (REG_INPUTA_RST != "RST0" || REG_INPUTB_RST != "RST0" || REG_PIPELINE_RST != "RST0" || REG_OUTPUT_RST != "RST0")
      $fatal(1, "%m: resets other than RST0 are not modelled");
    if (REG_INPUTC_CLK != "NONE") $fatal(1, "%m: REG_INPUTC_CLK %s not modelled (NONE)", REG_INPUTC_CLK);
    if (HIGHSPEED_CLK != "NONE" || CAS_MATCH_REG != "FALSE" || MULT_BYPASS != "DISABLED" || RESETMODE != "SYNC"
        || SOURCEB_MODE != "B_SHIFT")
      $fatal(1, "%m: HIGHSPEED_CLK/CAS_MATCH_REG/MULT_BYPASS/RESETMODE/SOURCEB_MODE setting not modelled");
  end
  always @* if (SOURCEA === 1'b1 || SOURCEB === 1'b1) $fatal(1, "%m: SOURCEA/SOURCEB = 1 (shift chain) not modelled");

  wire [17:0] a_in = {A17, A16, A15, A14, A13, A12, A11, A10, A9, A8, A7, A6, A5, A4, A3, A2, A1, A0};
  wire [17:0] b_in = {B17, B16, B15, B14, B13, B12, B11, B10, B9, B8, B7, B6, B5, B4, B3, B2, B1, B0};

  // Input registers (the operand with its signedness), pipeline and output registers.
  reg [18:0] a_q = 19'b0, b_q = 19'b0;
  reg [35:0] pipe_q = 36'b0, out_q = 36'b0;
  wire [18:0] a_op = REG_A ? a_q : {SIGNEDA, a_in};
  wire [18:0] b_op = REG_B ? b_q : {SIGNEDB, b_in};
  // Each operand extended to 37 bits by its own signedness; the low 36 bits of the product are P.
  wire [36:0] a_ext = {{19{a_op[18] & a_op[17]}}, a_op[17:0]};
  wire [36:0] b_ext = {{19{b_op[18] & b_op[17]}}, b_op[17:0]};
  wire [73:0] product_full = $signed(a_ext) * $signed(b_ext);
  wire [35:0] product = product_full[35:0];
  wire [35:0] piped = REG_PIPELINE ? pipe_q : product;
  wire [35:0] p_out = REG_OUTPUT ? out_q : piped;

  always @(posedge CLK0) begin
    if (RST0) begin
      a_q <= 19'b0;
      b_q <= 19'b0;
      pipe_q <= 36'b0;
      out_q <= 36'b0;
    end else if (CE0) begin
      a_q <= {SIGNEDA, a_in};
      b_q <= {SIGNEDB, b_in};
      pipe_q <= product;
      out_q <= piped;
    end
  end

  assign {P35, P34, P33, P32, P31, P30, P29, P28, P27, P26, P25, P24, P23, P22, P21, P20, P19, P18, P17, P16, P15, P14, P13, P12, P11, P10, P9, P8, P7, P6, P5, P4, P3, P2, P1, P0} = p_out;
  assign SIGNEDP = a_op[18] | b_op[18];
  assign {ROA17, ROA16, ROA15, ROA14, ROA13, ROA12, ROA11, ROA10, ROA9, ROA8, ROA7, ROA6, ROA5, ROA4, ROA3, ROA2, ROA1, ROA0} = a_op[17:0];
  assign {ROB17, ROB16, ROB15, ROB14, ROB13, ROB12, ROB11, ROB10, ROB9, ROB8, ROB7, ROB6, ROB5, ROB4, ROB3, ROB2, ROB1, ROB0} = b_op[17:0];
  assign {ROC17, ROC16, ROC15, ROC14, ROC13, ROC12, ROC11, ROC10, ROC9, ROC8, ROC7, ROC6, ROC5, ROC4, ROC3, ROC2, ROC1, ROC0} = 18'b0;
  assign {SROA17, SROA16, SROA15, SROA14, SROA13, SROA12, SROA11, SROA10, SROA9, SROA8, SROA7, SROA6, SROA5, SROA4, SROA3, SROA2, SROA1, SROA0} = 18'b0;
  assign {SROB17, SROB16, SROB15, SROB14, SROB13, SROB12, SROB11, SROB10, SROB9, SROB8, SROB7, SROB6, SROB5, SROB4, SROB3, SROB2, SROB1, SROB0} = 18'b0;
endmodule
