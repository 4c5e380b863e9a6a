// DP16KD: behavioural model of the ECP5 18 Kbit true dual-port block RAM for netlist simulation.
//
// Yosys 0.23's ecp5/cells_sim.v declares DP16KD with its ports and parameters only (no
// behaviour); sim.netlist.run leaves that declaration out and compiles this model instead.
// Written from the Lattice ECP5 Memory Usage Guide (FPGA-TN-02204, formerly TN1264) for the
// port behaviour: per port a clock (CLKA/CLKB), clock enable CE, write enable WE, synchronous
// reset RST of the output, output register enable OCE (REGMODE OUTREG adds the output register),
// and WRITEMODE (NORMAL: the output holds during a write; WRITETHROUGH: it shows the new data;
// READBEFOREWRITE: the old data).
//
// Memory layout: 1,024 rows of 18 bits, INITVAL_xx holding 16 rows, each in the low 18 bits of
// a 20-bit slot. A port of width 1, 2 or 4 reads and writes word k at bits k*W .. k*W+W-1 of the
// rows taken as one bit string (address AD[13:log2 W]; data on DI/DO[W-1:0]). That is the layout
// Yosys's ecp5/brams_map.v writes into INITVAL (the bits nextpnr puts in the bitstream); it is
// not checked against silicon here. Modelled: DATA_WIDTH 1, 2, 4 (scripts/ecp5/brams_deep.txt
// maps only these), REGMODE NOREG / OUTREG, every WRITEMODE, CSDECODE 0b000 with the chip
// selects at 0, RESETMODE SYNC, CLKAMUX/CLKBMUX not inverted, both ports on one clock (checked).
// Anything else stops the simulation with $fatal. A read of a word the other port writes in
// the same cycle is undefined in the EBR; the model returns the old word inverted, so a result
// that depended on such a read differs from the golden model.
module DP16KD (
  input  wire DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0,  // port A write data, DIA0 the LSB
  input  wire ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0,  // port A address (bit address: ADA[13:log2 W] for width W)
  input  wire CEA,    // port A clock enable
  input  wire OCEA,   // port A output register enable (REGMODE_A OUTREG)
  input  wire CLKA,   // port A clock
  input  wire WEA,    // port A write enable
  input  wire RSTA,   // port A synchronous reset of the output
  input  wire CSA2, CSA1, CSA0,   // port A chip select (must match CSDECODE_A: 0b000)
  output wire DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0,  // port A read data
  input  wire DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0,  // port B write data
  input  wire ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0,  // port B address
  input  wire CEB,    // port B clock enable
  input  wire OCEB,   // port B output register enable
  input  wire CLKB,   // port B clock
  input  wire WEB,    // port B write enable
  input  wire RSTB,   // port B synchronous reset of the output
  input  wire CSB2, CSB1, CSB0,   // port B chip select
  output wire DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0   // port B read data
);
  parameter DATA_WIDTH_A = 18;            // port A width: 1, 2 or 4 modelled
  parameter DATA_WIDTH_B = 18;            // port B width: 1, 2 or 4 modelled
  parameter REGMODE_A = "NOREG";          // NOREG or OUTREG (output register)
  parameter REGMODE_B = "NOREG";
  parameter RESETMODE = "SYNC";           // SYNC modelled
  parameter ASYNC_RESET_RELEASE = "SYNC"; // (no effect with RESETMODE SYNC)
  parameter CSDECODE_A = "0b000";         // chip select decode: 0b000 modelled
  parameter CSDECODE_B = "0b000";
  parameter WRITEMODE_A = "NORMAL";       // NORMAL, WRITETHROUGH, READBEFOREWRITE
  parameter WRITEMODE_B = "NORMAL";
  parameter CLKAMUX = "CLKA";             // CLKA (not inverted) modelled
  parameter CLKBMUX = "CLKB";
  parameter GSR = "ENABLED";              // global set/reset (outputs start at 0 either way)
  parameter INIT_DATA = "STATIC";         // STATIC modelled
  parameter [319:0] INITVAL_00 = 320'h0;  // rows 0..15: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_01 = 320'h0;  // rows 16..31: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_02 = 320'h0;  // rows 32..47: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_03 = 320'h0;  // rows 48..63: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_04 = 320'h0;  // rows 64..79: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_05 = 320'h0;  // rows 80..95: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_06 = 320'h0;  // rows 96..111: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_07 = 320'h0;  // rows 112..127: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_08 = 320'h0;  // rows 128..143: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_09 = 320'h0;  // rows 144..159: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_0A = 320'h0;  // rows 160..175: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_0B = 320'h0;  // rows 176..191: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_0C = 320'h0;  // rows 192..207: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_0D = 320'h0;  // rows 208..223: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_0E = 320'h0;  // rows 224..239: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_0F = 320'h0;  // rows 240..255: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_10 = 320'h0;  // rows 256..271: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_11 = 320'h0;  // rows 272..287: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_12 = 320'h0;  // rows 288..303: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_13 = 320'h0;  // rows 304..319: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_14 = 320'h0;  // rows 320..335: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_15 = 320'h0;  // rows 336..351: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_16 = 320'h0;  // rows 352..367: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_17 = 320'h0;  // rows 368..383: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_18 = 320'h0;  // rows 384..399: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_19 = 320'h0;  // rows 400..415: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_1A = 320'h0;  // rows 416..431: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_1B = 320'h0;  // rows 432..447: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_1C = 320'h0;  // rows 448..463: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_1D = 320'h0;  // rows 464..479: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_1E = 320'h0;  // rows 480..495: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_1F = 320'h0;  // rows 496..511: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_20 = 320'h0;  // rows 512..527: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_21 = 320'h0;  // rows 528..543: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_22 = 320'h0;  // rows 544..559: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_23 = 320'h0;  // rows 560..575: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_24 = 320'h0;  // rows 576..591: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_25 = 320'h0;  // rows 592..607: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_26 = 320'h0;  // rows 608..623: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_27 = 320'h0;  // rows 624..639: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_28 = 320'h0;  // rows 640..655: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_29 = 320'h0;  // rows 656..671: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_2A = 320'h0;  // rows 672..687: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_2B = 320'h0;  // rows 688..703: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_2C = 320'h0;  // rows 704..719: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_2D = 320'h0;  // rows 720..735: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_2E = 320'h0;  // rows 736..751: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_2F = 320'h0;  // rows 752..767: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_30 = 320'h0;  // rows 768..783: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_31 = 320'h0;  // rows 784..799: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_32 = 320'h0;  // rows 800..815: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_33 = 320'h0;  // rows 816..831: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_34 = 320'h0;  // rows 832..847: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_35 = 320'h0;  // rows 848..863: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_36 = 320'h0;  // rows 864..879: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_37 = 320'h0;  // rows 880..895: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_38 = 320'h0;  // rows 896..911: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_39 = 320'h0;  // rows 912..927: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_3A = 320'h0;  // rows 928..943: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_3B = 320'h0;  // rows 944..959: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_3C = 320'h0;  // rows 960..975: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_3D = 320'h0;  // rows 976..991: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_3E = 320'h0;  // rows 992..1007: 18 bits in each 20-bit slot
  parameter [319:0] INITVAL_3F = 320'h0;  // rows 1008..1023: 18 bits in each 20-bit slot

  localparam [319*64+63:0] INIT_ROWS = {INITVAL_3F, INITVAL_3E, INITVAL_3D, INITVAL_3C, INITVAL_3B, INITVAL_3A, INITVAL_39, INITVAL_38, INITVAL_37, INITVAL_36, INITVAL_35, INITVAL_34, INITVAL_33, INITVAL_32, INITVAL_31, INITVAL_30, INITVAL_2F, INITVAL_2E, INITVAL_2D, INITVAL_2C, INITVAL_2B, INITVAL_2A, INITVAL_29, INITVAL_28, INITVAL_27, INITVAL_26, INITVAL_25, INITVAL_24, INITVAL_23, INITVAL_22, INITVAL_21, INITVAL_20, INITVAL_1F, INITVAL_1E, INITVAL_1D, INITVAL_1C, INITVAL_1B, INITVAL_1A, INITVAL_19, INITVAL_18, INITVAL_17, INITVAL_16, INITVAL_15, INITVAL_14, INITVAL_13, INITVAL_12, INITVAL_11, INITVAL_10, INITVAL_0F, INITVAL_0E, INITVAL_0D, INITVAL_0C, INITVAL_0B, INITVAL_0A, INITVAL_09, INITVAL_08, INITVAL_07, INITVAL_06, INITVAL_05, INITVAL_04, INITVAL_03, INITVAL_02, INITVAL_01, INITVAL_00};

  function automatic legal_width(input integer w);
    legal_width = w == 1 || w == 2 || w == 4;
  endfunction

  initial begin
    if (!legal_width(DATA_WIDTH_A) || !legal_width(DATA_WIDTH_B))
      $fatal(1, "%m: DATA_WIDTH %0d/%0d not modelled (1, 2, 4)", DATA_WIDTH_A, DATA_WIDTH_B);
    if ((REGMODE_A != "NOREG" && REGMODE_A != "OUTREG") || (REGMODE_B != "NOREG" && REGMODE_B != "OUTREG"))
      $fatal(1, "%m: REGMODE %s/%s not modelled", REGMODE_A, REGMODE_B);
    if ((WRITEMODE_A != "NORMAL" && WRITEMODE_A != "WRITETHROUGH" && WRITEMODE_A != "READBEFOREWRITE")
        || (WRITEMODE_B != "NORMAL" && WRITEMODE_B != "WRITETHROUGH" && WRITEMODE_B != "READBEFOREWRITE"))
      $fatal(1, "%m: WRITEMODE %s/%s not modelled", WRITEMODE_A, WRITEMODE_B);
    if (RESETMODE != "SYNC" || CSDECODE_A != "0b000" || CSDECODE_B != "0b000" || CLKAMUX != "CLKA"
        || CLKBMUX != "CLKB" || INIT_DATA != "STATIC")
      $fatal(1, "%m: RESETMODE/CSDECODE/CLKxMUX/INIT_DATA setting not modelled");
  end

  reg mem[0:18431];
  integer i;
  initial for (i = 0; i < 18432; i = i + 1) mem[i] = INIT_ROWS[(i / 18) * 20 + i % 18];

  wire [13:0] ad_a = {ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0};
  wire [13:0] ad_b = {ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0};
  wire [3:0] di_a = {DIA3, DIA2, DIA1, DIA0};
  wire [3:0] di_b = {DIB3, DIB2, DIB1, DIB0};
  localparam integer LSB_A = $clog2(DATA_WIDTH_A);
  localparam integer LSB_B = $clog2(DATA_WIDTH_B);
  wire [13:0] bit_a = (ad_a >> LSB_A) * DATA_WIDTH_A;  // first bit of the addressed word
  wire [13:0] bit_b = (ad_b >> LSB_B) * DATA_WIDTH_B;
  wire selected_a = {CSA2, CSA1, CSA0} == 3'b000;
  wire selected_b = {CSB2, CSB1, CSB0} == 3'b000;
  wire write_a = CEA && WEA && selected_a;
  wire write_b = CEB && WEB && selected_b;

  always @* if (CEB === 1'b1 && CLKB !== CLKA) $fatal(1, "%m: port B on another clock than port A is not modelled");

  // Word of width w at bit b (before this edge's writes).
  function automatic [3:0] read_word(input [13:0] b, input integer w);
    integer k;
    begin
      read_word = 4'b0;
      for (k = 0; k < w; k = k + 1) read_word[k] = mem[b + k];
    end
  endfunction

  function automatic overlaps(input [13:0] b1, input integer w1, input [13:0] b2, input integer w2);
    overlaps = b1 < b2 + w2 && b2 < b1 + w1;
  endfunction

  reg [3:0] latch_a = 4'b0, latch_b = 4'b0, reg_a = 4'b0, reg_b = 4'b0;
  integer k;

  // One process for both ports (one clock): reads see the array before this edge's writes.
  always @(posedge CLKA) begin
    if (CEA && selected_a) begin
      if (RSTA) latch_a <= 4'b0;
      else if (write_b && !write_a && overlaps(bit_a, DATA_WIDTH_A, bit_b, DATA_WIDTH_B))
        latch_a <= ~read_word(bit_a, DATA_WIDTH_A);  // collision: undefined, poisoned
      else if (!write_a || WRITEMODE_A == "READBEFOREWRITE") latch_a <= read_word(bit_a, DATA_WIDTH_A);
      else if (WRITEMODE_A == "WRITETHROUGH") latch_a <= di_a;
    end
    if (CEB && selected_b) begin
      if (RSTB) latch_b <= 4'b0;
      else if (write_a && !write_b && overlaps(bit_b, DATA_WIDTH_B, bit_a, DATA_WIDTH_A))
        latch_b <= ~read_word(bit_b, DATA_WIDTH_B);  // collision: undefined, poisoned
      else if (!write_b || WRITEMODE_B == "READBEFOREWRITE") latch_b <= read_word(bit_b, DATA_WIDTH_B);
      else if (WRITEMODE_B == "WRITETHROUGH") latch_b <= di_b;
    end
    if (write_a) for (k = 0; k < DATA_WIDTH_A; k = k + 1) mem[bit_a + k] = di_a[k];
    if (write_b) for (k = 0; k < DATA_WIDTH_B; k = k + 1) mem[bit_b + k] = di_b[k];
    if (RSTA) reg_a <= 4'b0;
    else if (OCEA) reg_a <= latch_a;
    if (RSTB) reg_b <= 4'b0;
    else if (OCEB) reg_b <= latch_b;
  end

  wire [3:0] do_a = REGMODE_A == "OUTREG" ? reg_a : latch_a;
  wire [3:0] do_b = REGMODE_B == "OUTREG" ? reg_b : latch_b;
  // Bits above the width read 0.
  assign {DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0} = {14'b0, do_a & 4'((1 << DATA_WIDTH_A) - 1)};
  assign {DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0} = {14'b0, do_b & 4'((1 << DATA_WIDTH_B) - 1)};
endmodule
