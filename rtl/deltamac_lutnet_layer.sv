// deltamac_lutnet_layer: one partition layer of a LUT network (ARCHITECTURE.md section 7).
//
// N_OUT partitions; partition m reads FAN_IN codes of IN_BITS bits from the layer's input vector
// (code i at in_codes[IN_BITS*i +: IN_BITS]) at the indices CONN[m][j] (field m*FAN_IN + j of
// CONN_BITS bits), forms the address addr = sum_j code[CONN[m][j]] << (j*IN_BITS) (input 0 in
// the least significant bits) and outputs entry addr of its truth table, a code of OUT_BITS bits
// at out_codes[OUT_BITS*m +: OUT_BITS].
//
// The tables come from TABLE_FILE, exactly as model/lutnet_export.py writes lut_l<l>.mem: N_OUT
// lines (partition m on line m+1), each one word of TABLE_BITS = 2**(FAN_IN*IN_BITS) * OUT_BITS
// bits in ceil(TABLE_BITS/4) lowercase hex digits, entry e at bits [e*OUT_BITS +: OUT_BITS].
// $readmemh loads them into a memory of N_OUT words that is only read at constant indices, so
// synthesis maps the constant tables to logic (Yosys synth_xilinx: LUTs and MUXF7/MUXF8, no
// memory). In simulation (not under SYNTHESIS) the file is checked first
// (deltamac_memfile_pkg, as deltamac_rom checks its INIT_FILE): a file that cannot be opened,
// has other than N_OUT lines or a malformed line is not loaded and stops the run at the first
// clock edge with $fatal naming the file, the line and the fault.
//
// REGISTERED = 1: out_codes is a register loaded when `en` is high (no reset: the caller keeps
// the valid bits), one cycle of latency; REGISTERED = 0: combinational (clk is then used by the
// simulation check only, en not at all). Illegal parameters stop elaboration with $fatal:
// FAN_IN * IN_BITS > 12 (MAX_TABLE_ADDR_BITS of model/lutnet.py), FAN_IN outside 1..N_IN, code
// widths outside 1..8, a CONN field >= N_IN.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_lutnet_layer #(
    // codes of the previous layer (inputs), >= 1
    parameter int N_IN       = 16,
    // partitions (outputs), >= 1
    parameter int N_OUT      = 8,
    // inputs per partition, 1..N_IN
    parameter int FAN_IN     = 2,
    // input code width, 1..8
    parameter int IN_BITS    = 2,
    // output code width, 1..8
    parameter int OUT_BITS   = 2,
    // width of one CONN field, 1..32
    parameter int CONN_BITS  = 16,
    // connectivity: input j of partition m in field m*FAN_IN + j (bits [(m*FAN_IN+j)*CONN_BITS +: CONN_BITS])
    parameter logic [N_OUT*FAN_IN*CONN_BITS-1:0] CONN = '0,
    // $readmemh image of the tables (lut_l<l>.mem format, see above); required
    parameter        TABLE_FILE = "",
    // 1: registered output (with en), 0: combinational
    parameter int REGISTERED = 1,
    // address bits of a partition's table (derived)
    localparam int ADDR_BITS  = FAN_IN * IN_BITS,
    // bits of one partition's table: one line of TABLE_FILE (derived)
    localparam int TABLE_BITS = (2**ADDR_BITS) * OUT_BITS
) (
    // clock (the output register; the simulation check of TABLE_FILE)
    input  wire logic                      clk,
    // REGISTERED = 1: load out_codes in this cycle
    input  wire logic                      en,
    // input codes, code i at [IN_BITS*i +: IN_BITS]
    input  wire logic [N_IN*IN_BITS-1:0]   in_codes,
    // output codes, partition m's at [OUT_BITS*m +: OUT_BITS]
    output logic      [N_OUT*OUT_BITS-1:0] out_codes
);

  localparam int MAX_ADDR_BITS = 12;  // model/lutnet.py MAX_TABLE_ADDR_BITS
  localparam bit SHAPE_OK = N_IN >= 1 && N_OUT >= 1 && FAN_IN >= 1 && FAN_IN <= N_IN && IN_BITS >= 1 && IN_BITS <= 8
                            && OUT_BITS >= 1 && OUT_BITS <= 8 && ADDR_BITS <= MAX_ADDR_BITS && CONN_BITS >= 1
                            && CONN_BITS <= 32 && (REGISTERED == 0 || REGISTERED == 1);

  if (N_IN < 1 || N_OUT < 1 || FAN_IN < 1 || FAN_IN > N_IN) begin : gen_check_shape
    initial $fatal(1, "deltamac_lutnet_layer: needs N_IN >= 1, N_OUT >= 1 and FAN_IN in 1..N_IN, got N_IN %0d, N_OUT %0d, FAN_IN %0d",
                   N_IN, N_OUT, FAN_IN);
  end
  if (IN_BITS < 1 || IN_BITS > 8 || OUT_BITS < 1 || OUT_BITS > 8) begin : gen_check_bits
    initial $fatal(1, "deltamac_lutnet_layer: IN_BITS (%0d) and OUT_BITS (%0d) must be in 1..8", IN_BITS, OUT_BITS);
  end
  if (ADDR_BITS > MAX_ADDR_BITS) begin : gen_check_table
    initial $fatal(1, "deltamac_lutnet_layer: FAN_IN*IN_BITS = %0d*%0d = %0d address bits, at most %0d (a table of 2^%0d entries per partition)",
                   FAN_IN, IN_BITS, ADDR_BITS, MAX_ADDR_BITS, ADDR_BITS);
  end
  if (CONN_BITS < 1 || CONN_BITS > 32) begin : gen_check_conn_bits
    initial $fatal(1, "deltamac_lutnet_layer: CONN_BITS must be in 1..32, got %0d", CONN_BITS);
  end
  if (REGISTERED != 0 && REGISTERED != 1) begin : gen_check_registered
    initial $fatal(1, "deltamac_lutnet_layer: REGISTERED must be 0 (combinational) or 1 (output register), got %0d", REGISTERED);
  end

  if (!SHAPE_OK) begin : gen_no_layer
    // only the messages above (no table of an illegal size is built)
    assign out_codes = '0;
    logic unused_inputs;
    assign unused_inputs = ^{clk, en, in_codes};
  end else begin : gen_layer
    // partition m's truth table in word m. mem2reg: Yosys keeps the words as constants instead of one
    // memory with N_OUT read ports, whose port merging (memory_share) takes tens of minutes
    (* mem2reg *) logic [TABLE_BITS-1:0] tables [N_OUT];
    logic [N_OUT*OUT_BITS-1:0] lookup;          // the table outputs of this cycle's inputs

`ifndef SYNTHESIS
    // What deltamac_memfile_pkg::check found in TABLE_FILE (the fault, its line, the count or
    // character behind it); a faulty file is not loaded and stops the run at the first clock edge.
    deltamac_memfile_pkg::result_t table_check = '0;

    initial begin
      if (TABLE_FILE == "") begin
        $fatal(1, "deltamac_lutnet_layer: TABLE_FILE must name the layer's table file (lut_l<l>.mem)");
      end
      table_check = deltamac_memfile_pkg::check(TABLE_FILE, TABLE_BITS, N_OUT);
      if (deltamac_memfile_pkg::fault(table_check) == deltamac_memfile_pkg::FAULT_NONE) begin
        $readmemh(TABLE_FILE, tables);
      end
    end

    always @(posedge clk) begin
      if (deltamac_memfile_pkg::fault(table_check) != deltamac_memfile_pkg::FAULT_NONE) begin
        $fatal(1, "%0s", deltamac_memfile_pkg::message("deltamac_lutnet_layer", "TABLE_FILE", TABLE_FILE,
                                                        "2^(FAN_IN*IN_BITS)*OUT_BITS", TABLE_BITS, "N_OUT", N_OUT,
                                                        table_check));
      end
    end
`else
    // (Yosys elaborates the module with its defaults when reading the file: TABLE_FILE "" then)
    initial begin
      if (TABLE_FILE != "") begin
        $readmemh(TABLE_FILE, tables);
      end else begin
        for (int m = 0; m < N_OUT; m++) begin
          tables[m] = '0;
        end
      end
    end
`endif

    for (genvar m = 0; m < N_OUT; m++) begin : gen_partition
      logic [ADDR_BITS-1:0]  addr;  // input j in bits [j*IN_BITS +: IN_BITS]
      logic [TABLE_BITS-1:0] row;   // this partition's table (a constant)

      for (genvar j = 0; j < FAN_IN; j++) begin : gen_input
        localparam logic [31:0] FIELD = 32'(CONN[(m*FAN_IN + j)*CONN_BITS +: CONN_BITS]);
        if (FIELD >= 32'(N_IN)) begin : gen_check_conn
          initial $fatal(1, "deltamac_lutnet_layer: CONN input %0d of partition %0d is %0d, outside the N_IN = %0d inputs",
                         j, m, FIELD, N_IN);
          assign addr[j*IN_BITS +: IN_BITS] = '0;
        end else begin : gen_read
          localparam int SOURCE = FIELD;  // below N_IN
          assign addr[j*IN_BITS +: IN_BITS] = in_codes[SOURCE*IN_BITS +: IN_BITS];
        end
      end

      assign row                              = tables[m];
      assign lookup[m*OUT_BITS +: OUT_BITS] = row[addr*OUT_BITS +: OUT_BITS];
    end

    if (REGISTERED != 0) begin : gen_register
      always_ff @(posedge clk) begin
        if (en) begin
          out_codes <= lookup;
        end
      end
    end else begin : gen_combinational
      logic unused_en;
      assign unused_en = en;
      assign out_codes = lookup;
    end
  end

endmodule

`resetall
