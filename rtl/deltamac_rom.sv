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
// $fatal naming the file, the line and the fault.

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
`ifndef SYNTHESIS
    localparam int DIGITS   = (WIDTH + 3) / 4;           // hex digits per line
    localparam int TOP_BITS = WIDTH - 4 * (DIGITS - 1);  // bits of the first digit
    localparam int LF       = 10;                        // newline
    // What check_init_file found (init_fault), on which line (init_line) and the count or
    // character behind it (init_found).
    localparam int FAULT_NONE = 0, FAULT_OPEN = 1, FAULT_LONG = 2, FAULT_DIGITS = 3, FAULT_CHAR = 4,
                   FAULT_MANY = 5, FAULT_WIDE = 6, FAULT_LINES = 7;
    int init_fault = FAULT_NONE;
    int init_line, init_found;

    // Reads INIT_FILE character by character ($fgetc: the same in Icarus and Verilator) and
    // stops at the first fault.
    task automatic check_init_file;
      int fd, c, digits, value;
      init_line = 0;  // complete lines so far
      digits    = 0;  // digits on the current line
      fd = $fopen(INIT_FILE, "r");
      if (fd == 0) begin
        init_fault = FAULT_OPEN;
      end else begin
        c = $fgetc(fd);
        while (c != -1 && init_fault == FAULT_NONE) begin
          value = c >= "0" && c <= "9" ? c - "0" : c >= "a" && c <= "f" ? c - "a" + 10 : -1;
          if (init_line == DEPTH) begin
            init_fault = FAULT_LONG;
          end else if (c == LF) begin
            if (digits != DIGITS) begin
              init_fault = FAULT_DIGITS;
              init_found = digits;
            end else begin
              init_line = init_line + 1;
              digits    = 0;
            end
          end else if (value < 0) begin
            init_fault = FAULT_CHAR;
            init_found = c;
          end else if (digits == DIGITS) begin
            init_fault = FAULT_MANY;
          end else if (digits == 0 && value >= 2 ** TOP_BITS) begin
            init_fault = FAULT_WIDE;
          end else begin
            digits = digits + 1;
          end
          c = $fgetc(fd);
        end
        $fclose(fd);
        if (init_fault == FAULT_NONE && digits != 0) begin  // a last line without its newline
          if (digits != DIGITS) begin
            init_fault = FAULT_DIGITS;
            init_found = digits;
          end else begin
            init_line = init_line + 1;
          end
        end
        if (init_fault == FAULT_NONE && init_line != DEPTH) begin
          init_fault = FAULT_LINES;
        end
      end
    endtask

    // A faulty file stops the run at the first clock edge, before any word is read, so that a
    // model can still be built and inspected without its ROM files (the harness's --describe).
    always @(posedge clk) begin
      case (init_fault)
        FAULT_NONE: ;
        FAULT_OPEN: $fatal(1, "deltamac_rom: INIT_FILE \"%0s\" cannot be opened (expected %0d lines of %0d hex digits)",
                           INIT_FILE, DEPTH, DIGITS);
        FAULT_LONG: $fatal(1, "deltamac_rom: INIT_FILE \"%0s\" has more than DEPTH = %0d lines", INIT_FILE, DEPTH);
        FAULT_DIGITS: $fatal(1, "deltamac_rom: INIT_FILE \"%0s\" line %0d has %0d hex digits, expected %0d for WIDTH = %0d",
                             INIT_FILE, init_line + 1, init_found, DIGITS, WIDTH);
        FAULT_CHAR: $fatal(1, "deltamac_rom: INIT_FILE \"%0s\" line %0d has character code %0d, not a lowercase hex digit",
                           INIT_FILE, init_line + 1, init_found);
        FAULT_MANY: $fatal(1, "deltamac_rom: INIT_FILE \"%0s\" line %0d has more than %0d hex digits (WIDTH = %0d)",
                           INIT_FILE, init_line + 1, DIGITS, WIDTH);
        FAULT_WIDE: $fatal(1, "deltamac_rom: INIT_FILE \"%0s\" line %0d is wider than WIDTH = %0d bits",
                           INIT_FILE, init_line + 1, WIDTH);
        default: $fatal(1, "deltamac_rom: INIT_FILE \"%0s\" has %0d lines, expected DEPTH = %0d", INIT_FILE, init_line, DEPTH);
      endcase
    end
`endif

    if (DISTRIBUTED == 0) begin : gen_block
      (* rom_style = "block", ram_style = "block" *)
      logic [WIDTH-1:0] mem_q [DEPTH];

      initial begin
        if (INIT_FILE != "") begin
`ifndef SYNTHESIS
          check_init_file;  // a faulty file is not loaded; it stops the run at the first clock edge
          if (init_fault == FAULT_NONE) begin
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
          check_init_file;  // a faulty file is not loaded; it stops the run at the first clock edge
          if (init_fault == FAULT_NONE) begin
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
