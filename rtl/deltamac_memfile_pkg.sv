// deltamac_memfile_pkg: simulation-only check of a $readmemh image against the .mem format.
//
// The format (ARCHITECTURE.md section 3, written by model/memfile.py): exactly DEPTH lines, each
// of ceil(WIDTH/4) lowercase hex digits, most significant first, of a value below 2**WIDTH (the
// last newline may be missing). $readmemh alone only warns on a short file and leaves X words,
// and Verilator stops on some faults with a message that does not name the line; so the memories
// that load exported files (deltamac_rom's INIT_FILE, deltamac_lutnet_layer's TABLE_FILE) check
// the file first, load it only when it is good, and otherwise stop at the first clock edge:
//
//   initial begin
//     check = deltamac_memfile_pkg::check(FILE, WIDTH, DEPTH);
//     if (deltamac_memfile_pkg::fault(check) == deltamac_memfile_pkg::FAULT_NONE) $readmemh(FILE, mem);
//   end
//   always @(posedge clk)
//     if (deltamac_memfile_pkg::fault(check) != deltamac_memfile_pkg::FAULT_NONE)
//       $fatal(1, "%0s", deltamac_memfile_pkg::message("<module>", "FILE", FILE, "WIDTH", WIDTH, "DEPTH", DEPTH, check));
//
// Functions only (Icarus 11 calls package functions, not package tasks), under `ifndef SYNTHESIS`
// (Yosys and Vivado define SYNTHESIS and see an empty package; their $readmemh needs no check).

`resetall
`timescale 1ns / 1ps
`default_nettype none

package deltamac_memfile_pkg;
`ifndef SYNTHESIS
  // What check() found.
  localparam int FAULT_NONE = 0, FAULT_OPEN = 1, FAULT_LONG = 2, FAULT_DIGITS = 3, FAULT_CHAR = 4,
                 FAULT_MANY = 5, FAULT_WIDE = 6, FAULT_LINES = 7;

  // The result of check(): {fault, line, found}, 32 bits each: the fault, the complete lines
  // before it (so the fault is on line `line + 1`; the line count for FAULT_LINES) and the digit
  // count or character code behind it.
  typedef logic [95:0] result_t;

  // Fields of a result (each reads a third of the word: Icarus 11 has no structs in packages).
  /* verilator lint_off UNUSEDSIGNAL */
  function automatic int fault(input result_t r);
    fault = int'(r[95:64]);
  endfunction

  function automatic int line(input result_t r);
    line = int'(r[63:32]);
  endfunction

  function automatic int found(input result_t r);
    found = int'(r[31:0]);
  endfunction
  /* verilator lint_on UNUSEDSIGNAL */

  // Reads `file` character by character ($fgetc: the same in Icarus and Verilator) and stops at
  // the first fault.
  function automatic result_t check(input string file, input int width, input int depth);
    int fd, c, digits, value, lines, error, seen;
    int top_bits, want;
    want     = (width + 3) / 4;           // hex digits per line
    top_bits = width - 4 * (want - 1);    // bits of the first digit
    lines    = 0;                         // complete lines so far
    digits   = 0;                         // digits on the current line
    error    = FAULT_NONE;
    seen     = 0;
    fd = $fopen(file, "r");
    if (fd == 0) begin
      error = FAULT_OPEN;
    end else begin
      c = $fgetc(fd);
      while (c != -1 && error == FAULT_NONE) begin
        value = c >= "0" && c <= "9" ? c - "0" : c >= "a" && c <= "f" ? c - "a" + 10 : -1;
        if (lines == depth) begin
          error = FAULT_LONG;
        end else if (c == 10) begin  // newline
          if (digits != want) begin
            error = FAULT_DIGITS;
            seen  = digits;
          end else begin
            lines  = lines + 1;
            digits = 0;
          end
        end else if (value < 0) begin
          error = FAULT_CHAR;
          seen  = c;
        end else if (digits == want) begin
          error = FAULT_MANY;
        end else if (digits == 0 && value >= 2 ** top_bits) begin
          error = FAULT_WIDE;
        end else begin
          digits = digits + 1;
        end
        c = $fgetc(fd);
      end
      $fclose(fd);
      if (error == FAULT_NONE && digits != 0) begin  // a last line without its newline
        if (digits != want) begin
          error = FAULT_DIGITS;
          seen  = digits;
        end else begin
          lines = lines + 1;
        end
      end
      if (error == FAULT_NONE && lines != depth) begin
        error = FAULT_LINES;
      end
    end
    check = {32'(error), 32'(lines), 32'(seen)};
  endfunction

  // The message for a faulty file: `who` (the module), `param` (its file parameter) and the names
  // the module gives the width and the depth (e.g. "WIDTH", "DEPTH").
  function automatic string message(input string who, input string param, input string file,
                                    input string width_name, input int width,
                                    input string depth_name, input int depth, input result_t r);
    int want;
    want = (width + 3) / 4;
    case (fault(r))
      FAULT_NONE: message = $sformatf("%0s: %0s \"%0s\" is a good file", who, param, file);
      FAULT_OPEN: message = $sformatf("%0s: %0s \"%0s\" cannot be opened (expected %0d lines of %0d hex digits)",
                                      who, param, file, depth, want);
      FAULT_LONG: message = $sformatf("%0s: %0s \"%0s\" has more than %0s = %0d lines", who, param, file,
                                      depth_name, depth);
      FAULT_DIGITS: message = $sformatf("%0s: %0s \"%0s\" line %0d has %0d hex digits, expected %0d for %0s = %0d",
                                        who, param, file, line(r) + 1, found(r), want, width_name, width);
      FAULT_CHAR: message = $sformatf("%0s: %0s \"%0s\" line %0d has character code %0d, not a lowercase hex digit",
                                      who, param, file, line(r) + 1, found(r));
      FAULT_MANY: message = $sformatf("%0s: %0s \"%0s\" line %0d has more than %0d hex digits (%0s = %0d)",
                                      who, param, file, line(r) + 1, want, width_name, width);
      FAULT_WIDE: message = $sformatf("%0s: %0s \"%0s\" line %0d is wider than %0s = %0d bits",
                                      who, param, file, line(r) + 1, width_name, width);
      default: message = $sformatf("%0s: %0s \"%0s\" has %0d lines, expected %0s = %0d", who, param, file,
                                   line(r), depth_name, depth);
    endcase
  endfunction
`endif
endpackage

`resetall
