// Behavioural model of one 7-series block RAM (RAMB36E1 or RAMB18E1) for netlist simulation.
//
// Yosys 0.23's xilinx/cells_sim.v declares RAMB18E1 and RAMB36E1 with their ports, parameters and
// timing only (no behaviour), so a synthesised netlist simulated with it reads zeros from every
// block RAM. RAMB18E1.v and RAMB36E1.v wrap this model under the primitive names. Written from
// the 7 Series FPGAs Memory Resources User Guide (UG473): the array of DATA_BITS data bits plus
// one parity bit per byte, INIT_xx/INITP_xx hold data/parity bits from bit 0 up; a port of width
// W (1, 2, 4, 9, 18, 36; 72/36 for the wide SDP ports) addresses word ADDR >> log2(W data bits);
// widths 9, 18, 36, 72 carry 1, 2, 4, 8 parity bits, one per byte, written with one WE bit per
// byte; an enabled clock edge loads the output latch (SRVAL when RSTRAM), and DO_REG = 1 adds the
// output register (REGCE, RSTREG with RSTREG_PRIORITY). Same-port read during write follows
// WRITE_MODE (READ_FIRST old data, WRITE_FIRST new data, NO_CHANGE holds the latch).
//
// Modelled exactly: TDP with any read/write widths per port; SDP with the wide read port on A
// (READ_WIDTH_A = 2 * the TDP maximum) and the wide write port on B. Every other setting (cascade,
// ECC, inverted pins, WRITE_FIRST with different read and write widths, an SDP port that is not
// the wide one) stops the simulation with $fatal. A read of a word written on the other port in
// the same cycle returns the old data when the writing side is READ_FIRST (the array is updated
// after the edge), and stops with $fatal otherwise (UG473 leaves it undefined). Both ports must
// share one clock (checked), as in deltamac_top.
module xc7_bram_model #(
    parameter integer DATA_BITS      = 32768,        // data bits: 32768 (RAMB36E1), 16384 (RAMB18E1)
    parameter integer PORT_BITS      = 32,           // width of DIADI/DOADO: 32 (RAMB36E1), 16 (RAMB18E1)
    parameter [DATA_BITS-1:0]   INIT_DATA   = 0,     // INIT_00 .. concatenated, bit 0 = data bit 0
    parameter [DATA_BITS/8-1:0] INIT_PARITY = 0,     // INITP_00 .. concatenated, bit 0 = parity bit 0
    parameter RAM_MODE               = "TDP",        // "TDP" true dual port, "SDP" simple dual port
    parameter integer READ_WIDTH_A   = 0,            // port A read width (0: unused)
    parameter integer READ_WIDTH_B   = 0,            // port B read width (0: unused)
    parameter integer WRITE_WIDTH_A  = 0,            // port A write width (0: unused)
    parameter integer WRITE_WIDTH_B  = 0,            // port B write width (0: unused)
    parameter integer DOA_REG        = 0,            // 1: port A output register
    parameter integer DOB_REG        = 0,            // 1: port B output register
    parameter WRITE_MODE_A           = "WRITE_FIRST",// port A read during write: READ_FIRST, WRITE_FIRST, NO_CHANGE
    parameter WRITE_MODE_B           = "WRITE_FIRST",// port B read during write
    parameter RSTREG_PRIORITY_A      = "RSTREG",     // "RSTREG": RSTREG resets regardless of REGCE; "REGCE": only with it
    parameter RSTREG_PRIORITY_B      = "RSTREG",     // likewise for port B
    parameter [PORT_BITS*9/8-1:0] INIT_A  = 0,       // port A output {parity, data} after configuration
    parameter [PORT_BITS*9/8-1:0] INIT_B  = 0,       // port B output after configuration
    parameter [PORT_BITS*9/8-1:0] SRVAL_A = 0,       // port A output on RSTRAM / RSTREG
    parameter [PORT_BITS*9/8-1:0] SRVAL_B = 0,       // port B output on RSTRAM / RSTREG
    parameter integer ADDR_BITS      = $clog2(DATA_BITS) // bit-address width of the array
) (
    input  wire                   clk_a,     // port A clock (SDP: read clock)
    input  wire                   en_a,      // port A enable (SDP: read enable)
    input  wire                   regce_a,   // port A output register clock enable
    input  wire                   rstram_a,  // port A latch reset (to SRVAL_A)
    input  wire                   rstreg_a,  // port A output register reset
    input  wire [ADDR_BITS-1:0]   addr_a,    // port A address (SDP: read address)
    input  wire [PORT_BITS-1:0]   di_a,      // port A write data (SDP: low half of the write data)
    input  wire [PORT_BITS/8-1:0] dip_a,     // port A write parity (SDP: low half)
    input  wire [PORT_BITS/8-1:0] we_a,      // port A byte write enables (unused in SDP)
    input  wire                   clk_b,     // port B clock (SDP: write clock)
    input  wire                   en_b,      // port B enable (SDP: write enable)
    input  wire                   regce_b,   // port B output register clock enable
    input  wire                   rstram_b,  // port B latch reset (to SRVAL_B)
    input  wire                   rstreg_b,  // port B output register reset
    input  wire [ADDR_BITS-1:0]   addr_b,    // port B address (SDP: write address)
    input  wire [PORT_BITS-1:0]   di_b,      // port B write data (SDP: high half of the write data)
    input  wire [PORT_BITS/8-1:0] dip_b,     // port B write parity (SDP: high half)
    input  wire [PORT_BITS/4-1:0] we_b,      // port B byte write enables (SDP: all bytes of the wide word)
    output wire [PORT_BITS-1:0]   do_a,      // port A read data (SDP: low half of the read data)
    output wire [PORT_BITS/8-1:0] dop_a,     // port A read parity (SDP: low half)
    output wire [PORT_BITS-1:0]   do_b,      // port B read data (SDP: high half)
    output wire [PORT_BITS/8-1:0] dop_b      // port B read parity (SDP: high half)
);
  localparam integer OUT_BITS = PORT_BITS * 9 / 8;  // {parity, data} of one output side
  localparam integer WIDE = OUT_BITS * 2;           // the SDP port width: 72 or 36
  localparam integer SDP = RAM_MODE == "SDP";

  // Data bits, parity bits and address LSB of a port of width w.
  function automatic integer data_bits(input integer w);
    data_bits = w < 9 ? w : w / 9 * 8;
  endfunction
  function automatic integer parity_bits(input integer w);
    parity_bits = w < 9 ? 0 : w / 9;
  endfunction
  function automatic integer addr_lsb(input integer w);
    addr_lsb = $clog2(data_bits(w));
  endfunction

  function automatic legal_width(input integer w, input integer allow_wide);
    legal_width = w == 0 || w == 1 || w == 2 || w == 4 || w == 9 || w == 18 || w == OUT_BITS
                  || (allow_wide != 0 && w == WIDE);
  endfunction

  initial begin
    if (RAM_MODE != "TDP" && RAM_MODE != "SDP")
      $fatal(1, "%m: RAM_MODE %s not modelled (TDP, SDP)", RAM_MODE);
    if (!legal_width(READ_WIDTH_A, SDP) || !legal_width(READ_WIDTH_B, 0)
        || !legal_width(WRITE_WIDTH_A, 0) || !legal_width(WRITE_WIDTH_B, SDP))
      $fatal(1, "%m: widths R%0d/%0d W%0d/%0d not modelled", READ_WIDTH_A, READ_WIDTH_B, WRITE_WIDTH_A, WRITE_WIDTH_B);
    if (SDP && (READ_WIDTH_B != 0 || WRITE_WIDTH_A != 0 || (READ_WIDTH_A != 0 && READ_WIDTH_A != WIDE)
                || (WRITE_WIDTH_B != 0 && WRITE_WIDTH_B != WIDE) || DOA_REG != DOB_REG))
      $fatal(1, "%m: SDP only modelled with the %0d-bit read port on A, write port on B, DOA_REG = DOB_REG", WIDE);
    if (DOA_REG > 1 || DOB_REG > 1 || DOA_REG < 0 || DOB_REG < 0)
      $fatal(1, "%m: DOA_REG/DOB_REG %0d/%0d not modelled (0, 1)", DOA_REG, DOB_REG);
    if (!SDP && ((WRITE_MODE_A == "WRITE_FIRST" && WRITE_WIDTH_A != 0 && READ_WIDTH_A != WRITE_WIDTH_A)
                 || (WRITE_MODE_B == "WRITE_FIRST" && WRITE_WIDTH_B != 0 && READ_WIDTH_B != WRITE_WIDTH_B)))
      $fatal(1, "%m: WRITE_FIRST with different read and write widths on one port is not modelled");
    if ((WRITE_MODE_A != "READ_FIRST" && WRITE_MODE_A != "WRITE_FIRST" && WRITE_MODE_A != "NO_CHANGE")
        || (WRITE_MODE_B != "READ_FIRST" && WRITE_MODE_B != "WRITE_FIRST" && WRITE_MODE_B != "NO_CHANGE"))
      $fatal(1, "%m: WRITE_MODE %s/%s not modelled", WRITE_MODE_A, WRITE_MODE_B);
    if ((RSTREG_PRIORITY_A != "RSTREG" && RSTREG_PRIORITY_A != "REGCE")
        || (RSTREG_PRIORITY_B != "RSTREG" && RSTREG_PRIORITY_B != "REGCE"))
      $fatal(1, "%m: RSTREG_PRIORITY %s/%s not modelled", RSTREG_PRIORITY_A, RSTREG_PRIORITY_B);
  end

  reg mem_data[0:DATA_BITS-1];
  reg mem_parity[0:DATA_BITS/8-1];
  integer i;
  initial begin
    for (i = 0; i < DATA_BITS; i = i + 1) mem_data[i] = INIT_DATA[i];
    for (i = 0; i < DATA_BITS / 8; i = i + 1) mem_parity[i] = INIT_PARITY[i];
  end

  // {parity, data} of the word at addr for width w, parity in bits [71:64] (before any write of this edge).
  function automatic [71:0] read_word(input [ADDR_BITS-1:0] addr, input integer w);
    integer d, p, k, b;
    begin
      d = data_bits(w);
      p = parity_bits(w);
      k = addr >> addr_lsb(w);
      read_word = 72'b0;
      for (b = 0; b < d; b = b + 1) read_word[b] = mem_data[k * d + b];
      for (b = 0; b < p; b = b + 1) read_word[64 + b] = mem_parity[k * p + b];
    end
  endfunction

  // Bit b of the written word of width w is enabled (one WE bit per byte; widths below 9: we[0]).
  function automatic bit_enabled(input [7:0] we, input integer w, input integer b);
    bit_enabled = w < 9 ? we[0] : we[b / 8];
  endfunction

  // The word read in the same cycle as a write of the same port: WRITE_FIRST merges the new bytes.
  function automatic [71:0] merge_written(input [71:0] old, input [63:0] data, input [7:0] parity,
                                          input [7:0] we, input integer w);
    integer b;
    begin
      merge_written = old;
      for (b = 0; b < data_bits(w); b = b + 1) if (bit_enabled(we, w, b)) merge_written[b] = data[b];
      for (b = 0; b < parity_bits(w); b = b + 1) if (we[b]) merge_written[64 + b] = parity[b];
    end
  endfunction

  // The two words of widths wr (read) and ww (written) overlap in the array.
  function automatic overlaps(input [ADDR_BITS-1:0] read_addr, input integer wr, input [ADDR_BITS-1:0] write_addr,
                              input integer ww);
    integer lsb;
    begin
      lsb = addr_lsb(wr) > addr_lsb(ww) ? addr_lsb(wr) : addr_lsb(ww);
      overlaps = (read_addr >> lsb) == (write_addr >> lsb);
    end
  endfunction

  // {parity, data} of one output side from a word in the layout of read_word: half 0 the low
  // data and parity bits (TDP, SDP low half), half 1 the next ones (SDP high half).
  function automatic [OUT_BITS-1:0] out_side(input [71:0] word, input integer half);
    out_side = {word[64 + half * (PORT_BITS / 8) +: PORT_BITS / 8], word[half * PORT_BITS +: PORT_BITS]};
  endfunction

  reg [OUT_BITS-1:0] latch_a, latch_b, reg_a, reg_b;
  initial begin
    latch_a = INIT_A;
    reg_a = INIT_A;
    latch_b = INIT_B;
    reg_b = INIT_B;
  end

  wire [7:0] we_a_wide = we_a;
  wire [7:0] we_b_wide = we_b;
  wire write_a = !SDP && en_a && WRITE_WIDTH_A != 0 && |we_a;
  wire write_b = en_b && WRITE_WIDTH_B != 0 && |we_b;
  // Write words in the layout of read_word (parity from bit 64, data from bit 0, zero-extended).
  wire [63:0] data_in_a = di_a;
  wire [7:0] parity_in_a = dip_a;
  wire [63:0] data_in_b = SDP ? {di_b, di_a} : di_b;  // SDP: the wide word, low half on the A pins
  wire [7:0] parity_in_b = SDP ? {dip_b, dip_a} : dip_b;
  wire [71:0] in_a = {parity_in_a, data_in_a};
  wire [71:0] in_b = {parity_in_b, data_in_b};

  // One process for both ports: the reads of an edge see the array before its writes, and the
  // writes can be blocking (Verilator does not support nonblocking array writes in loops).
  // Hence port B, when used, must be clocked by clk_a (deltamac_top has one clock).
  localparam B_USED = READ_WIDTH_B != 0 || WRITE_WIDTH_B != 0;
  always @* if (B_USED && clk_b !== clk_a) $fatal(1, "%m: port B on another clock than port A is not modelled");

  // Array write of word addr of width w from {parity, data} (read_word layout) under byte enables we.
  task automatic write_word(input [ADDR_BITS-1:0] addr, input integer w, input [71:0] word, input [7:0] we);
    integer d, p, k, b;
    begin
      d = data_bits(w);
      p = parity_bits(w);
      k = addr >> addr_lsb(w);
      for (b = 0; b < d; b = b + 1) if (bit_enabled(we, w, b)) mem_data[k * d + b] = word[b];
      for (b = 0; b < p; b = b + 1) if (we[b]) mem_parity[k * p + b] = word[64 + b];
    end
  endtask

  always @(posedge clk_a) begin
    // Port A read (SDP: the wide read port, both output sides).
    if (en_a && READ_WIDTH_A != 0) begin
      if (write_b && overlaps(addr_a, READ_WIDTH_A, addr_b, WRITE_WIDTH_B) && WRITE_MODE_B != "READ_FIRST")
        $fatal(1, "%m: port A reads address %0d while port B writes it (%s): undefined (UG473)", addr_a, WRITE_MODE_B);
      if (rstram_a) begin
        latch_a <= SRVAL_A;
        if (SDP) latch_b <= SRVAL_B;
      end else if (SDP) begin
        latch_a <= out_side(read_word(addr_a, READ_WIDTH_A), 0);
        latch_b <= out_side(read_word(addr_a, READ_WIDTH_A), 1);
      end else if (write_a && WRITE_MODE_A == "WRITE_FIRST")
        latch_a <= out_side(merge_written(read_word(addr_a, READ_WIDTH_A), in_a[63:0], in_a[71:64], we_a_wide,
                                          READ_WIDTH_A), 0);
      else if (!(write_a && WRITE_MODE_A == "NO_CHANGE"))
        latch_a <= out_side(read_word(addr_a, READ_WIDTH_A), 0);
    end
    // Port B read (TDP only).
    if (!SDP && en_b && READ_WIDTH_B != 0) begin
      if (write_a && overlaps(addr_b, READ_WIDTH_B, addr_a, WRITE_WIDTH_A) && WRITE_MODE_A != "READ_FIRST")
        $fatal(1, "%m: port B reads address %0d while port A writes it (%s): undefined (UG473)", addr_b, WRITE_MODE_A);
      if (rstram_b) latch_b <= SRVAL_B;
      else if (write_b && WRITE_MODE_B == "WRITE_FIRST")
        latch_b <= out_side(merge_written(read_word(addr_b, READ_WIDTH_B), in_b[63:0], in_b[71:64], we_b_wide,
                                          READ_WIDTH_B), 0);
      else if (!(write_b && WRITE_MODE_B == "NO_CHANGE"))
        latch_b <= out_side(read_word(addr_b, READ_WIDTH_B), 0);
    end
    if (write_a) write_word(addr_a, WRITE_WIDTH_A, in_a, we_a_wide);
    if (write_b) write_word(addr_b, WRITE_WIDTH_B, in_b, we_b_wide);
    // Output registers (SDP: both sides under port A's REGCE and RSTREG).
    if (rstreg_a && (RSTREG_PRIORITY_A == "RSTREG" || regce_a)) begin
      reg_a <= SRVAL_A;
      if (SDP) reg_b <= SRVAL_B;
    end else if (regce_a) begin
      reg_a <= latch_a;
      if (SDP) reg_b <= latch_b;
    end
    if (!SDP) begin
      if (rstreg_b && (RSTREG_PRIORITY_B == "RSTREG" || regce_b)) reg_b <= SRVAL_B;
      else if (regce_b) reg_b <= latch_b;
    end
  end

  wire [OUT_BITS-1:0] out_a = DOA_REG ? reg_a : latch_a;
  wire [OUT_BITS-1:0] out_b = DOB_REG ? reg_b : latch_b;
  assign {dop_a, do_a} = out_a;
  assign {dop_b, do_b} = out_b;
endmodule
