// deltamac_rom: read-only memory with one synchronous, registered read port.
//
// Holds the exported delta, reference, bias and multiplier ROMs (ARCHITECTURE.md section 3).
// rd_data is registered: the word at rd_addr appears one clock after rd_en and holds until the
// next rd_en. There is no reset on rd_data (block RAM output latch). Addresses >= DEPTH (DEPTH
// not a power of two) read an undefined word.
//
// DISTRIBUTED selects the implementation through synthesis attributes on the memory array:
//   0: block RAM (RAMB18E1/RAMB36E1, DP16KD) with the read register inside it;
//   1: distributed: look-up tables plus the rd_data flip-flops. Vivado reads rom_style; Yosys's
//                  memory_libmap reads rom_block first and maps "logic" to LUTs (Yosys 0.23 has
//                  no LUT-RAM mapping for a memory without a write port and stops with "no valid
//                  mapping" on rom_style = "distributed").
//
// In simulation (not under SYNTHESIS) INIT_FILE is checked before $readmemh, which alone only
// warns on a short file and leaves X words: a file that cannot be opened, has other than DEPTH
// lines, or a line other than ceil(WIDTH/4) lowercase hex digits of a value below 2**WIDTH
// (ARCHITECTURE.md .mem format) is not loaded and stops the run at the first clock edge with
// $fatal naming the file, the line and the fault (deltamac_memfile_pkg, compiled before this file).

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_rom #(
  parameter int WIDTH       = 64,   // word width in bits (>= 1)
  parameter int DEPTH       = 1024, // number of words (>= 1)
  parameter     INIT_FILE   = "",   // $readmemh file (ARCHITECTURE.md .mem format); "" leaves the memory zero (tests only)
  parameter int DISTRIBUTED = 0     // 1: distributed (LUTs), 0: block RAM, see above
) (
  input  wire logic                                     clk,     // clock
  input  wire logic                                     rd_en,   // read strobe
  input  wire logic [$clog2(DEPTH > 1 ? DEPTH : 2)-1:0] rd_addr, // word address, sampled with rd_en
  output logic [WIDTH-1:0]                         rd_data  // word at rd_addr, valid 1 cycle after rd_en; holds otherwise
);

  if (WIDTH < 1 || DEPTH < 1 || (DISTRIBUTED != 0 && DISTRIBUTED != 1)) begin : gen_param_check
    initial $fatal(1, "deltamac_rom: WIDTH (%0d) and DEPTH (%0d) must both be >= 1 and DISTRIBUTED (%0d) 0 or 1",
                   WIDTH, DEPTH, DISTRIBUTED);
  end else begin : gen_memory
`ifndef SYNTHESIS
    // What deltamac_memfile_pkg::check found in INIT_FILE (the check shared with the LUT
    // network's table files): the fault, its line and the count or character behind it.
    deltamac_memfile_pkg::result_t init_check = '0;

    // A faulty file stops the run at the first clock edge, before any word is read, so that a
    // model can still be built and inspected without its ROM files (the harness's --describe).
    always @(posedge clk) begin
      if (deltamac_memfile_pkg::fault(init_check) != deltamac_memfile_pkg::FAULT_NONE) begin
        $fatal(1, "%0s", deltamac_memfile_pkg::message("deltamac_rom", "INIT_FILE", INIT_FILE, "WIDTH", WIDTH, "DEPTH",
                                                        DEPTH, init_check));
      end
    end
`endif

    if (DISTRIBUTED == 0) begin : gen_block
      (* rom_style = "block", ram_style = "block" *)
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
        if (rd_en) begin
          rd_data <= mem_q[rd_addr];
        end
      end
    end else begin : gen_distributed
      (* rom_style = "distributed", rom_block = "logic" *)
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
        if (rd_en) begin
          rd_data <= mem_q[rd_addr];
        end
      end
    end
  end

endmodule

`resetall
