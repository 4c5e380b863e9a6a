// RAMB36E1: the 7-series 36 Kb block RAM for netlist simulation (sim/netlist/xc7/xc7_bram_model.v).
//
// Replaces the declaration-only RAMB36E1 of Yosys 0.23's xilinx/cells_sim.v (ports, parameters
// and timing, no behaviour), which sim.netlist leaves out of the cell library it compiles. Ports
// and parameters are the primitive's (UG473, UG953); the settings the model does not cover stop
// the simulation with $fatal here or in xc7_bram_model.
module RAMB36E1 #(
    parameter [255:0] INIT_00 = 256'h0,  // data bits 0..255
    parameter [255:0] INIT_01 = 256'h0,  // data bits 256..511
    parameter [255:0] INIT_02 = 256'h0,  // data bits 512..767
    parameter [255:0] INIT_03 = 256'h0,  // data bits 768..1023
    parameter [255:0] INIT_04 = 256'h0,  // data bits 1024..1279
    parameter [255:0] INIT_05 = 256'h0,  // data bits 1280..1535
    parameter [255:0] INIT_06 = 256'h0,  // data bits 1536..1791
    parameter [255:0] INIT_07 = 256'h0,  // data bits 1792..2047
    parameter [255:0] INIT_08 = 256'h0,  // data bits 2048..2303
    parameter [255:0] INIT_09 = 256'h0,  // data bits 2304..2559
    parameter [255:0] INIT_0A = 256'h0,  // data bits 2560..2815
    parameter [255:0] INIT_0B = 256'h0,  // data bits 2816..3071
    parameter [255:0] INIT_0C = 256'h0,  // data bits 3072..3327
    parameter [255:0] INIT_0D = 256'h0,  // data bits 3328..3583
    parameter [255:0] INIT_0E = 256'h0,  // data bits 3584..3839
    parameter [255:0] INIT_0F = 256'h0,  // data bits 3840..4095
    parameter [255:0] INIT_10 = 256'h0,  // data bits 4096..4351
    parameter [255:0] INIT_11 = 256'h0,  // data bits 4352..4607
    parameter [255:0] INIT_12 = 256'h0,  // data bits 4608..4863
    parameter [255:0] INIT_13 = 256'h0,  // data bits 4864..5119
    parameter [255:0] INIT_14 = 256'h0,  // data bits 5120..5375
    parameter [255:0] INIT_15 = 256'h0,  // data bits 5376..5631
    parameter [255:0] INIT_16 = 256'h0,  // data bits 5632..5887
    parameter [255:0] INIT_17 = 256'h0,  // data bits 5888..6143
    parameter [255:0] INIT_18 = 256'h0,  // data bits 6144..6399
    parameter [255:0] INIT_19 = 256'h0,  // data bits 6400..6655
    parameter [255:0] INIT_1A = 256'h0,  // data bits 6656..6911
    parameter [255:0] INIT_1B = 256'h0,  // data bits 6912..7167
    parameter [255:0] INIT_1C = 256'h0,  // data bits 7168..7423
    parameter [255:0] INIT_1D = 256'h0,  // data bits 7424..7679
    parameter [255:0] INIT_1E = 256'h0,  // data bits 7680..7935
    parameter [255:0] INIT_1F = 256'h0,  // data bits 7936..8191
    parameter [255:0] INIT_20 = 256'h0,  // data bits 8192..8447
    parameter [255:0] INIT_21 = 256'h0,  // data bits 8448..8703
    parameter [255:0] INIT_22 = 256'h0,  // data bits 8704..8959
    parameter [255:0] INIT_23 = 256'h0,  // data bits 8960..9215
    parameter [255:0] INIT_24 = 256'h0,  // data bits 9216..9471
    parameter [255:0] INIT_25 = 256'h0,  // data bits 9472..9727
    parameter [255:0] INIT_26 = 256'h0,  // data bits 9728..9983
    parameter [255:0] INIT_27 = 256'h0,  // data bits 9984..10239
    parameter [255:0] INIT_28 = 256'h0,  // data bits 10240..10495
    parameter [255:0] INIT_29 = 256'h0,  // data bits 10496..10751
    parameter [255:0] INIT_2A = 256'h0,  // data bits 10752..11007
    parameter [255:0] INIT_2B = 256'h0,  // data bits 11008..11263
    parameter [255:0] INIT_2C = 256'h0,  // data bits 11264..11519
    parameter [255:0] INIT_2D = 256'h0,  // data bits 11520..11775
    parameter [255:0] INIT_2E = 256'h0,  // data bits 11776..12031
    parameter [255:0] INIT_2F = 256'h0,  // data bits 12032..12287
    parameter [255:0] INIT_30 = 256'h0,  // data bits 12288..12543
    parameter [255:0] INIT_31 = 256'h0,  // data bits 12544..12799
    parameter [255:0] INIT_32 = 256'h0,  // data bits 12800..13055
    parameter [255:0] INIT_33 = 256'h0,  // data bits 13056..13311
    parameter [255:0] INIT_34 = 256'h0,  // data bits 13312..13567
    parameter [255:0] INIT_35 = 256'h0,  // data bits 13568..13823
    parameter [255:0] INIT_36 = 256'h0,  // data bits 13824..14079
    parameter [255:0] INIT_37 = 256'h0,  // data bits 14080..14335
    parameter [255:0] INIT_38 = 256'h0,  // data bits 14336..14591
    parameter [255:0] INIT_39 = 256'h0,  // data bits 14592..14847
    parameter [255:0] INIT_3A = 256'h0,  // data bits 14848..15103
    parameter [255:0] INIT_3B = 256'h0,  // data bits 15104..15359
    parameter [255:0] INIT_3C = 256'h0,  // data bits 15360..15615
    parameter [255:0] INIT_3D = 256'h0,  // data bits 15616..15871
    parameter [255:0] INIT_3E = 256'h0,  // data bits 15872..16127
    parameter [255:0] INIT_3F = 256'h0,  // data bits 16128..16383
    parameter [255:0] INIT_40 = 256'h0,  // data bits 16384..16639
    parameter [255:0] INIT_41 = 256'h0,  // data bits 16640..16895
    parameter [255:0] INIT_42 = 256'h0,  // data bits 16896..17151
    parameter [255:0] INIT_43 = 256'h0,  // data bits 17152..17407
    parameter [255:0] INIT_44 = 256'h0,  // data bits 17408..17663
    parameter [255:0] INIT_45 = 256'h0,  // data bits 17664..17919
    parameter [255:0] INIT_46 = 256'h0,  // data bits 17920..18175
    parameter [255:0] INIT_47 = 256'h0,  // data bits 18176..18431
    parameter [255:0] INIT_48 = 256'h0,  // data bits 18432..18687
    parameter [255:0] INIT_49 = 256'h0,  // data bits 18688..18943
    parameter [255:0] INIT_4A = 256'h0,  // data bits 18944..19199
    parameter [255:0] INIT_4B = 256'h0,  // data bits 19200..19455
    parameter [255:0] INIT_4C = 256'h0,  // data bits 19456..19711
    parameter [255:0] INIT_4D = 256'h0,  // data bits 19712..19967
    parameter [255:0] INIT_4E = 256'h0,  // data bits 19968..20223
    parameter [255:0] INIT_4F = 256'h0,  // data bits 20224..20479
    parameter [255:0] INIT_50 = 256'h0,  // data bits 20480..20735
    parameter [255:0] INIT_51 = 256'h0,  // data bits 20736..20991
    parameter [255:0] INIT_52 = 256'h0,  // data bits 20992..21247
    parameter [255:0] INIT_53 = 256'h0,  // data bits 21248..21503
    parameter [255:0] INIT_54 = 256'h0,  // data bits 21504..21759
    parameter [255:0] INIT_55 = 256'h0,  // data bits 21760..22015
    parameter [255:0] INIT_56 = 256'h0,  // data bits 22016..22271
    parameter [255:0] INIT_57 = 256'h0,  // data bits 22272..22527
    parameter [255:0] INIT_58 = 256'h0,  // data bits 22528..22783
    parameter [255:0] INIT_59 = 256'h0,  // data bits 22784..23039
    parameter [255:0] INIT_5A = 256'h0,  // data bits 23040..23295
    parameter [255:0] INIT_5B = 256'h0,  // data bits 23296..23551
    parameter [255:0] INIT_5C = 256'h0,  // data bits 23552..23807
    parameter [255:0] INIT_5D = 256'h0,  // data bits 23808..24063
    parameter [255:0] INIT_5E = 256'h0,  // data bits 24064..24319
    parameter [255:0] INIT_5F = 256'h0,  // data bits 24320..24575
    parameter [255:0] INIT_60 = 256'h0,  // data bits 24576..24831
    parameter [255:0] INIT_61 = 256'h0,  // data bits 24832..25087
    parameter [255:0] INIT_62 = 256'h0,  // data bits 25088..25343
    parameter [255:0] INIT_63 = 256'h0,  // data bits 25344..25599
    parameter [255:0] INIT_64 = 256'h0,  // data bits 25600..25855
    parameter [255:0] INIT_65 = 256'h0,  // data bits 25856..26111
    parameter [255:0] INIT_66 = 256'h0,  // data bits 26112..26367
    parameter [255:0] INIT_67 = 256'h0,  // data bits 26368..26623
    parameter [255:0] INIT_68 = 256'h0,  // data bits 26624..26879
    parameter [255:0] INIT_69 = 256'h0,  // data bits 26880..27135
    parameter [255:0] INIT_6A = 256'h0,  // data bits 27136..27391
    parameter [255:0] INIT_6B = 256'h0,  // data bits 27392..27647
    parameter [255:0] INIT_6C = 256'h0,  // data bits 27648..27903
    parameter [255:0] INIT_6D = 256'h0,  // data bits 27904..28159
    parameter [255:0] INIT_6E = 256'h0,  // data bits 28160..28415
    parameter [255:0] INIT_6F = 256'h0,  // data bits 28416..28671
    parameter [255:0] INIT_70 = 256'h0,  // data bits 28672..28927
    parameter [255:0] INIT_71 = 256'h0,  // data bits 28928..29183
    parameter [255:0] INIT_72 = 256'h0,  // data bits 29184..29439
    parameter [255:0] INIT_73 = 256'h0,  // data bits 29440..29695
    parameter [255:0] INIT_74 = 256'h0,  // data bits 29696..29951
    parameter [255:0] INIT_75 = 256'h0,  // data bits 29952..30207
    parameter [255:0] INIT_76 = 256'h0,  // data bits 30208..30463
    parameter [255:0] INIT_77 = 256'h0,  // data bits 30464..30719
    parameter [255:0] INIT_78 = 256'h0,  // data bits 30720..30975
    parameter [255:0] INIT_79 = 256'h0,  // data bits 30976..31231
    parameter [255:0] INIT_7A = 256'h0,  // data bits 31232..31487
    parameter [255:0] INIT_7B = 256'h0,  // data bits 31488..31743
    parameter [255:0] INIT_7C = 256'h0,  // data bits 31744..31999
    parameter [255:0] INIT_7D = 256'h0,  // data bits 32000..32255
    parameter [255:0] INIT_7E = 256'h0,  // data bits 32256..32511
    parameter [255:0] INIT_7F = 256'h0,  // data bits 32512..32767
    parameter [255:0] INITP_00 = 256'h0, // parity bits 0..255
    parameter [255:0] INITP_01 = 256'h0, // parity bits 256..511
    parameter [255:0] INITP_02 = 256'h0, // parity bits 512..767
    parameter [255:0] INITP_03 = 256'h0, // parity bits 768..1023
    parameter [255:0] INITP_04 = 256'h0, // parity bits 1024..1279
    parameter [255:0] INITP_05 = 256'h0, // parity bits 1280..1535
    parameter [255:0] INITP_06 = 256'h0, // parity bits 1536..1791
    parameter [255:0] INITP_07 = 256'h0, // parity bits 1792..2047
    parameter [255:0] INITP_08 = 256'h0, // parity bits 2048..2303
    parameter [255:0] INITP_09 = 256'h0, // parity bits 2304..2559
    parameter [255:0] INITP_0A = 256'h0, // parity bits 2560..2815
    parameter [255:0] INITP_0B = 256'h0, // parity bits 2816..3071
    parameter [255:0] INITP_0C = 256'h0, // parity bits 3072..3327
    parameter [255:0] INITP_0D = 256'h0, // parity bits 3328..3583
    parameter [255:0] INITP_0E = 256'h0, // parity bits 3584..3839
    parameter [255:0] INITP_0F = 256'h0, // parity bits 3840..4095
    parameter integer DOA_REG = 0,           // 1: port A output register
    parameter integer DOB_REG = 0,           // 1: port B output register
    parameter EN_ECC_READ     = "FALSE",     // ECC decoder: only FALSE modelled
    parameter EN_ECC_WRITE    = "FALSE",     // ECC encoder: only FALSE modelled
    parameter RAM_EXTENSION_A = "NONE",      // cascade of two RAMB36E1: only NONE modelled
    parameter RAM_EXTENSION_B = "NONE",      // likewise for port B
    parameter [35:0] INIT_A = 36'h0,       // port A output after configuration
    parameter [35:0] INIT_B = 36'h0,       // port B output after configuration
    parameter INIT_FILE = "NONE",            // only NONE modelled (the netlist carries INIT_xx)
    parameter RAM_MODE = "TDP",              // TDP or SDP
    parameter RDADDR_COLLISION_HWCONFIG = "DELAYED_WRITE", // hardware collision setting (no effect here)
    parameter integer READ_WIDTH_A = 0,      // port A read width
    parameter integer READ_WIDTH_B = 0,      // port B read width
    parameter RSTREG_PRIORITY_A = "RSTREG",  // port A output register: reset before (RSTREG) or under REGCE
    parameter RSTREG_PRIORITY_B = "RSTREG",  // likewise for port B
    parameter SIM_COLLISION_CHECK = "ALL",   // vendor model option (collisions always checked here)
    parameter SIM_DEVICE = "7SERIES",        // vendor model option (no effect here)
    parameter [35:0] SRVAL_A = 36'h0,      // port A output on reset
    parameter [35:0] SRVAL_B = 36'h0,      // port B output on reset
    parameter WRITE_MODE_A = "WRITE_FIRST",  // port A read during write
    parameter WRITE_MODE_B = "WRITE_FIRST",  // port B read during write
    parameter integer WRITE_WIDTH_A = 0,     // port A write width
    parameter integer WRITE_WIDTH_B = 0,     // port B write width
    parameter IS_CLKARDCLK_INVERTED = 1'b0,  // pin inversions: only 0 modelled
    parameter IS_CLKBWRCLK_INVERTED = 1'b0,
    parameter IS_ENARDEN_INVERTED = 1'b0,
    parameter IS_ENBWREN_INVERTED = 1'b0,
    parameter IS_RSTRAMARSTRAM_INVERTED = 1'b0,
    parameter IS_RSTRAMB_INVERTED = 1'b0,
    parameter IS_RSTREGARSTREG_INVERTED = 1'b0,
    parameter IS_RSTREGB_INVERTED = 1'b0
) (
    output wire        CASCADEOUTA,    // cascade output A (0: no cascade)
    output wire        CASCADEOUTB,    // cascade output B (0)
    output wire [7:0]  ECCPARITY,      // ECC parity (0: no ECC)
    output wire [8:0]  RDADDRECC,      // ECC read address (0)
    output wire        SBITERR,        // ECC single-bit error (0)
    output wire        DBITERR,        // ECC double-bit error (0)
    output wire [31:0] DOADO,          // port A read data (SDP: low half)
    output wire [31:0] DOBDO,          // port B read data (SDP: high half)
    output wire [3:0]  DOPADOP,        // port A read parity (SDP: low half)
    output wire [3:0]  DOPBDOP,        // port B read parity (SDP: high half)
    input  wire        ENARDEN,        // port A enable (SDP: read enable)
    input  wire        CLKARDCLK,      // port A clock (SDP: read clock)
    input  wire        RSTRAMARSTRAM,  // port A output latch reset
    input  wire        RSTREGARSTREG,  // port A output register reset
    input  wire        CASCADEINA,     // cascade input A (no cascade modelled: unused)
    input  wire        CASCADEINB,     // cascade input B (unused)
    input  wire        INJECTDBITERR,  // ECC error injection (no ECC modelled: unused)
    input  wire        INJECTSBITERR,  // ECC error injection (unused)
    input  wire        REGCEAREGCE,    // port A output register clock enable
    input  wire        ENBWREN,        // port B enable (SDP: write enable)
    input  wire        CLKBWRCLK,      // port B clock (SDP: write clock)
    input  wire        RSTRAMB,        // port B output latch reset
    input  wire        RSTREGB,        // port B output register reset
    input  wire        REGCEB,         // port B output register clock enable
    input  wire [15:0] ADDRARDADDR,    // port A address (SDP: read address)
    input  wire [15:0] ADDRBWRADDR,    // port B address (SDP: write address)
    input  wire [31:0] DIADI,          // port A write data (SDP: low half)
    input  wire [31:0] DIBDI,          // port B write data (SDP: high half)
    input  wire [3:0]  DIPADIP,        // port A write parity (SDP: low half)
    input  wire [3:0]  DIPBDIP,        // port B write parity (SDP: high half)
    input  wire [3:0]  WEA,            // port A byte write enables
    input  wire [7:0]  WEBWE           // port B byte write enables (SDP: every byte of the wide word)
);
  initial begin
    if (EN_ECC_READ != "FALSE" || EN_ECC_WRITE != "FALSE")
      $fatal(1, "%m: ECC (EN_ECC_READ/EN_ECC_WRITE) is not modelled");
    if (RAM_EXTENSION_A != "NONE" || RAM_EXTENSION_B != "NONE")
      $fatal(1, "%m: RAM_EXTENSION %s/%s (cascade) is not modelled", RAM_EXTENSION_A, RAM_EXTENSION_B);
    if (INIT_FILE != "NONE") $fatal(1, "%m: INIT_FILE %s is not modelled", INIT_FILE);
    if ({IS_CLKARDCLK_INVERTED, IS_CLKBWRCLK_INVERTED, IS_ENARDEN_INVERTED, IS_ENBWREN_INVERTED,
         IS_RSTRAMARSTRAM_INVERTED, IS_RSTRAMB_INVERTED, IS_RSTREGARSTREG_INVERTED, IS_RSTREGB_INVERTED} != 8'b0)
      $fatal(1, "%m: inverted pins (IS_*_INVERTED) are not modelled");
  end

  xc7_bram_model #(
      .DATA_BITS        (32768),
      .PORT_BITS        (32),
      .INIT_DATA        ({INIT_7F, INIT_7E, INIT_7D, INIT_7C, INIT_7B, INIT_7A, INIT_79, INIT_78, INIT_77, INIT_76, INIT_75, INIT_74, INIT_73, INIT_72, INIT_71, INIT_70, INIT_6F, INIT_6E, INIT_6D, INIT_6C, INIT_6B, INIT_6A, INIT_69, INIT_68, INIT_67, INIT_66, INIT_65, INIT_64, INIT_63, INIT_62, INIT_61, INIT_60, INIT_5F, INIT_5E, INIT_5D, INIT_5C, INIT_5B, INIT_5A, INIT_59, INIT_58, INIT_57, INIT_56, INIT_55, INIT_54, INIT_53, INIT_52, INIT_51, INIT_50, INIT_4F, INIT_4E, INIT_4D, INIT_4C, INIT_4B, INIT_4A, INIT_49, INIT_48, INIT_47, INIT_46, INIT_45, INIT_44, INIT_43, INIT_42, INIT_41, INIT_40, INIT_3F, INIT_3E, INIT_3D, INIT_3C, INIT_3B, INIT_3A, INIT_39, INIT_38, INIT_37, INIT_36, INIT_35, INIT_34, INIT_33, INIT_32, INIT_31, INIT_30, INIT_2F, INIT_2E, INIT_2D, INIT_2C, INIT_2B, INIT_2A, INIT_29, INIT_28, INIT_27, INIT_26, INIT_25, INIT_24, INIT_23, INIT_22, INIT_21, INIT_20, INIT_1F, INIT_1E, INIT_1D, INIT_1C, INIT_1B, INIT_1A, INIT_19, INIT_18, INIT_17, INIT_16, INIT_15, INIT_14, INIT_13, INIT_12, INIT_11, INIT_10, INIT_0F, INIT_0E, INIT_0D, INIT_0C, INIT_0B, INIT_0A, INIT_09, INIT_08, INIT_07, INIT_06, INIT_05, INIT_04, INIT_03, INIT_02, INIT_01, INIT_00}),
      .INIT_PARITY      ({INITP_0F, INITP_0E, INITP_0D, INITP_0C, INITP_0B, INITP_0A, INITP_09, INITP_08, INITP_07, INITP_06, INITP_05, INITP_04, INITP_03, INITP_02, INITP_01, INITP_00}),
      .RAM_MODE         (RAM_MODE),
      .READ_WIDTH_A     (READ_WIDTH_A),
      .READ_WIDTH_B     (READ_WIDTH_B),
      .WRITE_WIDTH_A    (WRITE_WIDTH_A),
      .WRITE_WIDTH_B    (WRITE_WIDTH_B),
      .DOA_REG          (DOA_REG),
      .DOB_REG          (DOB_REG),
      .WRITE_MODE_A     (WRITE_MODE_A),
      .WRITE_MODE_B     (WRITE_MODE_B),
      .RSTREG_PRIORITY_A(RSTREG_PRIORITY_A),
      .RSTREG_PRIORITY_B(RSTREG_PRIORITY_B),
      .INIT_A           (INIT_A),
      .INIT_B           (INIT_B),
      .SRVAL_A          (SRVAL_A),
      .SRVAL_B          (SRVAL_B)
  ) u_model (
      .clk_a   (CLKARDCLK),
      .en_a    (ENARDEN),
      .regce_a (REGCEAREGCE),
      .rstram_a(RSTRAMARSTRAM),
      .rstreg_a(RSTREGARSTREG),
      .addr_a  (ADDRARDADDR[14:0]),  // ADDR[15] selects the cascade half: unused without a cascade
      .di_a    (DIADI),
      .dip_a   (DIPADIP),
      .we_a    (WEA),
      .clk_b   (CLKBWRCLK),
      .en_b    (ENBWREN),
      .regce_b (REGCEB),
      .rstram_b(RSTRAMB),
      .rstreg_b(RSTREGB),
      .addr_b  (ADDRBWRADDR[14:0]),
      .di_b    (DIBDI),
      .dip_b   (DIPBDIP),
      .we_b    (WEBWE),
      .do_a    (DOADO),
      .dop_a   (DOPADOP),
      .do_b    (DOBDO),
      .dop_b   (DOPBDOP)
  );
  assign {CASCADEOUTA, CASCADEOUTB, SBITERR, DBITERR} = 4'b0;
  assign ECCPARITY = 8'b0;
  assign RDADDRECC = 9'b0;
endmodule
