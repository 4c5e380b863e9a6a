// deltamac_ram: simple dual-port memory, one write port and one synchronous, registered read port.
//
// The run-time weight memories of deltamac_top (RUNTIME_WEIGHTS = 1, ARCHITECTURE.md "Run-time
// weight load image"): deltamac_rom's read side (rd_data registered, the word at rd_addr one
// clock after rd_en, held until the next rd_en, no reset, addresses >= DEPTH undefined) plus a
// write port (wr_data written at wr_addr on a clock edge with wr_en). A read of the address
// written in the same cycle returns either word (no read-during-write rule is needed: the core
// writes only while it computes nothing). The contents start as INIT_FILE (the exported network,
// the FPGA's configuration loads it) and are kept over the core's reset.
//
// DISTRIBUTED selects block RAM (0: RAMB18E1/RAMB36E1, DP16KD, the read register inside it) or
// distributed RAM (1: LUT RAM plus the rd_data flip-flops), through ram_style. INIT_FILE is checked
// in simulation exactly as deltamac_rom checks it (deltamac_memfile_pkg, compiled before this file).

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_ram #(
  parameter int WIDTH       = 64,   // word width in bits (>= 1)
  parameter int DEPTH       = 1024, // number of words (>= 1)
  parameter     INIT_FILE   = "",   // $readmemh file (ARCHITECTURE.md .mem format); "" starts the memory at zero
  parameter int DISTRIBUTED = 0     // 1: distributed (LUT) RAM, 0: block RAM
) (
  input  wire logic                                     clk,     // clock
  input  wire logic                                     wr_en,   // write strobe
  input  wire logic [$clog2(DEPTH > 1 ? DEPTH : 2)-1:0] wr_addr, // word address written with wr_en (< DEPTH)
  input  wire logic [WIDTH-1:0]                         wr_data, // word written with wr_en
  input  wire logic                                     rd_en,   // read strobe
  input  wire logic [$clog2(DEPTH > 1 ? DEPTH : 2)-1:0] rd_addr, // word address, sampled with rd_en
  output logic [WIDTH-1:0]                              rd_data  // word at rd_addr, valid 1 cycle after rd_en; holds otherwise
);

  // DISTRIBUTED chooses the memory's implementation through the ram_style attribute (Yosys,
  // Vivado). A module-level localparam: Icarus 11 takes no parameter expression in an attribute,
  // Yosys 0.23 no generate-scoped name; its use in an attribute is invisible to the lint.
  /* verilator lint_off UNUSEDPARAM */
  localparam RAM_STYLE = DISTRIBUTED != 0 ? "distributed" : "block";
  /* verilator lint_on UNUSEDPARAM */

  if (WIDTH < 1 || DEPTH < 1 || (DISTRIBUTED != 0 && DISTRIBUTED != 1)) begin : gen_param_check
    initial $fatal(1, "deltamac_ram: WIDTH (%0d) and DEPTH (%0d) must both be >= 1 and DISTRIBUTED (%0d) 0 or 1",
                   WIDTH, DEPTH, DISTRIBUTED);
  end else begin : gen_memory
`ifndef SYNTHESIS
    deltamac_memfile_pkg::result_t init_check = '0;

    // a faulty INIT_FILE stops the run at the first clock edge (deltamac_rom's rule)
    always @(posedge clk) begin
      if (deltamac_memfile_pkg::fault(init_check) != deltamac_memfile_pkg::FAULT_NONE) begin
        $fatal(1, "%0s", deltamac_memfile_pkg::message("deltamac_ram", "INIT_FILE", INIT_FILE, "WIDTH", WIDTH, "DEPTH",
                                                        DEPTH, init_check));
      end
    end

    // the loader writes only existing words
    always @(posedge clk) begin
      if (wr_en && 32'(wr_addr) >= 32'(DEPTH)) begin
        $fatal(1, "deltamac_ram: write at address %0d, DEPTH is %0d, at %0t", wr_addr, DEPTH, $time);
      end
    end
`endif

    // The memory (its implementation: RAM_STYLE above).
    (* ram_style = RAM_STYLE *)
    logic [WIDTH-1:0] mem_q [DEPTH];

    initial begin
      if (INIT_FILE != "") begin
`ifndef SYNTHESIS
        // a faulty file is not loaded; it stops the run at the first clock edge
        init_check = deltamac_memfile_pkg::check(INIT_FILE, WIDTH, DEPTH);
        if (deltamac_memfile_pkg::fault(init_check) == deltamac_memfile_pkg::FAULT_NONE) begin
          $readmemh(INIT_FILE, mem_q);
        end
`else
        $readmemh(INIT_FILE, mem_q);
`endif
      end else begin
        for (int i = 0; i < DEPTH; i++) begin
          mem_q[i] = '0;
        end
      end
    end

    always_ff @(posedge clk) begin
      if (wr_en) begin
        mem_q[wr_addr] <= wr_data;
      end
      if (rd_en) begin
        rd_data <= mem_q[rd_addr];
      end
    end
  end

endmodule

`resetall
