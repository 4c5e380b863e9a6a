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

module deltamac_rom #(
  parameter int WIDTH       = 64,   // word width in bits (>= 1)
  parameter int DEPTH       = 1024, // number of words (>= 1)
  parameter     INIT_FILE   = "",   // $readmemh file (ARCHITECTURE.md .mem format); "" leaves the memory zero (tests only)
  parameter int DISTRIBUTED = 0     // 1: distributed (LUTs), 0: block RAM, see above
) (
  input  logic                                     clk,     // clock
  input  logic                                     rd_en,   // read strobe
  input  logic [$clog2(DEPTH > 1 ? DEPTH : 2)-1:0] rd_addr, // word address, sampled with rd_en
  output logic [WIDTH-1:0]                         rd_data  // word at rd_addr, valid 1 cycle after rd_en; holds otherwise
);

  if (WIDTH < 1 || DEPTH < 1 || (DISTRIBUTED != 0 && DISTRIBUTED != 1)) begin : gen_param_check
    initial $fatal(1, "deltamac_rom: WIDTH (%0d) and DEPTH (%0d) must both be >= 1 and DISTRIBUTED (%0d) 0 or 1",
                   WIDTH, DEPTH, DISTRIBUTED);
  end else begin : gen_memory
    if (DISTRIBUTED == 0) begin : gen_block
      (* rom_style = "block", ram_style = "block" *)
      logic [WIDTH-1:0] mem_q [DEPTH];

      initial begin
        if (INIT_FILE != "") begin
          $readmemh(INIT_FILE, mem_q);
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
          $readmemh(INIT_FILE, mem_q);
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
