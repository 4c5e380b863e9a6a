// deltamac_act_buffer: ping-pong pair of activation buffers, LANES activations per word.
//
// Write side: a stream of WR_ELEMS activations per write (default 1: a byte stream). Each write
// goes to the group of WR_ELEMS consecutive lanes given by a one-hot group register of the
// current word (element e of `wr_data`, bits [e*ACT_BITS +: ACT_BITS], to lane g*WR_ELEMS + e of
// group g); a word is written to memory when its last group arrives or when `wr_last` marks the
// write holding the last activation of the vector (the unused upper lanes of that word keep the
// activations assembled before them; the sequencer masks padded lanes on read). `wr_first`
// restarts the stream at word 0, group 0 of bank `wr_bank`. LANES must be a multiple of WR_ELEMS
// (a write never straddles two words). No counter decode, no division in the logic, so LANES
// (and LANES / WR_ELEMS) need not be a power of two. WR_ELEMS = 1 is the byte-stream logic with
// one group per lane.
//
// Write pipeline (WRITE_LATENCY = 3 cycles from an activation's wr_valid to the first cycle in
// which a read returns it):
//   stage 1: wr_* registered;
//   stage 2: the activation(s) into their lane(s) of the assembled word (one-hot group select), the
//            memory write command (enable, bank + word address) registered;
//   stage 3: the memory write (registered enable, address and data straight into the memory);
//   `wr_done` pulses in the cycle after the write of a vector's last word (the vector is
//   readable from that cycle on).
// Read side: one word per cycle. The request comes one cycle ahead (`rd_*_next`) and is
// registered here, so the read happens in the next cycle and `rd_data` is valid two cycles after
// `rd_en_next`; READ_LATENCY = 3 registers the request once more first (a block RAM's address
// then comes from flip-flops, not from the reader's logic across the chip). Distributed RAM gets one address register per lane (kept apart by `keep`), so
// that no single flip-flop drives the address of every LUT RAM of the word; block RAM reads at
// the request and holds the word in its output register (RAMB18 DO_REG, DP16KD OUTREG), so that
// no block RAM clock-to-out stands in front of the logic that uses rd_data.
// One memory of 2 * 2**ADDR_W words: the bank is the address MSB (distributed: one memory per
// lane). DISTRIBUTED selects block RAM or distributed (LUT) RAM through the ram_style attribute,
// which Vivado and Yosys both honour.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_act_buffer #(
    // activations per word (MAC lanes, P)
    parameter int LANES       = 16,
    // bits per activation
    parameter int ACT_BITS    = 8,
    // words per bank (ceil(vector length / LANES))
    parameter int DEPTH       = 49,
    // 1: distributed (LUT) RAM, 0: block RAM (the memory's ram_style attribute)
    parameter int DISTRIBUTED = 0,
    // activations per write (wr_data carries WR_ELEMS of them; LANES must be a multiple of it)
    parameter int WR_ELEMS    = 1,
    // cycles from rd_en_next to rd_data: 2, or 3 (the request registered once more, so that the
    // memory's address comes straight from a flip-flop that can sit next to it)
    parameter int READ_LATENCY = 2,
    // word address width inside a bank (derived)
    localparam int ADDR_W     = $clog2(DEPTH > 1 ? DEPTH : 2)
) (
    // clock
    input  wire logic                                   clk,
    // synchronous active-high reset (clears the write pipeline's valid bits)
    input  wire logic                                   rst,

    // one activation to write
    input  wire logic                                   wr_valid,
    // this write holds element 0 of a new vector (in its element 0)
    input  wire logic                                   wr_first,
    // this write holds the last element of the vector (flushes the partial word)
    input  wire logic                                   wr_last,
    // bank written by this vector
    input  wire logic                                   wr_bank,
    // the activations: element e in bits [e*ACT_BITS +: ACT_BITS] (vector order, element 0 lowest)
    input  wire logic [WR_ELEMS*ACT_BITS-1:0]           wr_data,
    // one-cycle pulse: a vector ended by wr_last is in memory (WRITE_LATENCY cycles after wr_last)
    output logic                                        wr_done,

    // read request for the next cycle
    input  wire logic                                   rd_en_next,
    // bank to read in the next cycle
    input  wire logic                                   rd_bank_next,
    // word address inside the bank to read in the next cycle
    input  wire logic [ADDR_W-1:0]                      rd_addr_next,
    // word read, READ_LATENCY cycles after rd_en_next
    output logic      [LANES*ACT_BITS-1:0]              rd_data
);

  // Cycles from an activation's wr_valid to the first cycle in which a read (the cycle after
  // rd_en_next, READ_LATENCY 2) returns it.
  localparam int WRITE_LATENCY = 3;
  localparam int WORD_W = LANES * ACT_BITS;
  localparam int WR_W   = (WR_ELEMS >= 1 ? WR_ELEMS : 1) * ACT_BITS;  // bits per write
  // lane groups per word, one per write (LANES with the default WR_ELEMS = 1)
  localparam int GROUPS = WR_ELEMS >= 1 && LANES >= WR_ELEMS ? LANES / WR_ELEMS : 1;

  if (LANES < 1 || DEPTH < 1 || ACT_BITS < 1) begin : gen_check_params
    initial $fatal(1, "deltamac_act_buffer: LANES (%0d), DEPTH (%0d) and ACT_BITS (%0d) must be >= 1",
                   LANES, DEPTH, ACT_BITS);
  end
  if (DISTRIBUTED != 0 && DISTRIBUTED != 1) begin : gen_check_style
    initial $fatal(1, "deltamac_act_buffer: DISTRIBUTED must be 0 (block RAM) or 1 (distributed RAM), got %0d", DISTRIBUTED);
  end
  if (READ_LATENCY != 2 && READ_LATENCY != 3) begin : gen_check_read_latency
    initial $fatal(1, "deltamac_act_buffer: READ_LATENCY must be 2 or 3, got %0d", READ_LATENCY);
  end
  if (WR_ELEMS < 1 || LANES % (WR_ELEMS >= 1 ? WR_ELEMS : 1) != 0) begin : gen_check_elems
    initial $fatal(1, "deltamac_act_buffer: LANES (%0d) must be a multiple of WR_ELEMS (%0d, activations per write, >= 1)",
                   LANES, WR_ELEMS);
  end

  // ---------------------------------------------------------------------------------------------
  // Stage 1: input registers.
  logic                in_valid_q, in_first_q, in_last_q, in_bank_q;
  logic [WR_W-1:0]     in_data_q;

  always_ff @(posedge clk) begin
    if (rst) begin
      in_valid_q <= 1'b0;
    end else begin
      in_valid_q <= wr_valid;
    end
    in_first_q <= wr_first;
    in_last_q  <= wr_last;
    in_bank_q  <= wr_bank;
    in_data_q  <= wr_data;
  end

  // ---------------------------------------------------------------------------------------------
  // Stage 2: one-hot lane (group) select, word assembly, write command.
  logic [GROUPS-1:0] lane_q, lane_d;  // one-hot: lane group of the next write (unless in_first_q)
  logic [GROUPS-1:0] lane_sel;        // one-hot: lane group of this write
  logic [ADDR_W-1:0] waddr_q, waddr_d, waddr_cur;
  logic [WORD_W-1:0] word_q;
  logic              word_we;

  assign lane_sel  = in_first_q ? GROUPS'(1) : lane_q;
  assign waddr_cur = in_first_q ? '0 : waddr_q;
  assign word_we   = in_valid_q && (in_last_q || lane_sel[GROUPS-1]);

  // Next group: rotate the select left (the last group wraps to group 0); a flushed word restarts at 0.
  always_comb begin
    lane_d  = lane_q;
    waddr_d = waddr_q;
    if (in_valid_q) begin
      lane_d  = in_last_q ? GROUPS'(1) : GROUPS'({lane_sel, lane_sel[GROUPS-1]});
      waddr_d = word_we ? waddr_cur + ADDR_W'(1) : waddr_cur;
    end
  end

  for (genvar p = 0; p < GROUPS; p++) begin : gen_lane
    always_ff @(posedge clk) begin
      if (in_valid_q && lane_sel[p]) begin
        word_q[p*WR_W +: WR_W] <= in_data_q;
      end
    end
  end

  logic                      mem_we_q;
  logic [ADDR_W:0]           mem_addr_q;  // {bank, word}
  logic [WRITE_LATENCY-2:0]  done_q;      // a vector's last word: being written, written

  always_ff @(posedge clk) begin
    if (rst) begin
      lane_q   <= GROUPS'(1);
      waddr_q  <= '0;
      mem_we_q <= 1'b0;
      done_q   <= '0;
    end else begin
      lane_q   <= lane_d;
      waddr_q  <= waddr_d;
      mem_we_q <= word_we;
      done_q   <= (WRITE_LATENCY-1)'({done_q, in_valid_q && in_last_q});
    end
    mem_addr_q <= {in_bank_q, waddr_cur};
  end

  assign wr_done = done_q[WRITE_LATENCY-2];

`ifndef SYNTHESIS
  // Simulation checks: every write and read stays inside the bank's DEPTH words (a longer vector
  // would wrap or land in the padding, an address past the end read the other bank's words).
  // words_q counts without wrapping, so a power-of-two DEPTH is checked too.
  int words_q;    // words of the current vector written so far
  int word_index; // index of the word the current activation belongs to
  assign word_index = in_first_q ? 0 : words_q;

  always_ff @(posedge clk) begin
    if (rst) begin
      words_q <= 0;
    end else if (in_valid_q) begin
      words_q <= word_we ? word_index + 1 : word_index;
    end
  end

  always @(posedge clk) begin
    if (!rst) begin
      if (word_we && word_index >= DEPTH) begin
        $fatal(1, "deltamac_act_buffer: write of word %0d, a bank has DEPTH = %0d words (vector too long) at %0t",
               word_index, DEPTH, $time);
      end
      if (rd_en_next && 32'(rd_addr_next) >= DEPTH) begin
        $fatal(1, "deltamac_act_buffer: read of word %0d, a bank has DEPTH = %0d words, at %0t", rd_addr_next, DEPTH,
               $time);
      end
    end
  end
`endif

  // ---------------------------------------------------------------------------------------------
  // Read request as the memory takes it: rd_*_next, or (READ_LATENCY 3) one cycle later.
  logic              req_en;
  logic              req_bank;
  logic [ADDR_W-1:0] req_addr;

  deltamac_delay #(
      .WIDTH(1),
      .DEPTH(READ_LATENCY - 2),
      .RESET(1)
  ) u_req_en (
      .clk      (clk),
      .rst      (rst),
      .in_value (rd_en_next),
      .out_value(req_en)
  );

  deltamac_delay #(
      .WIDTH(ADDR_W + 1),
      .DEPTH(READ_LATENCY - 2),
      .RESET(0)
  ) u_req_addr (
      .clk      (clk),
      .rst      (rst),
      .in_value ({rd_bank_next, rd_addr_next}),
      .out_value({req_bank, req_addr})
  );

  // ---------------------------------------------------------------------------------------------
  // Stage 3: memory write; registered read.
  if (DISTRIBUTED != 0) begin : gen_distributed
    for (genvar p = 0; p < LANES; p++) begin : gen_lane_mem
      // keep on the signals (Vivado) and on the process (Yosys, whose opt_merge would otherwise
      // merge the identical registers of all lanes back into one)
      (* keep *) logic            rd_en_q;
      (* keep *) logic [ADDR_W:0] rd_addr_q;  // {bank, word}
      (* ram_style = "distributed" *)
      logic [ACT_BITS-1:0] mem [2**(ADDR_W+1)];

      (* keep *) always_ff @(posedge clk) begin
        if (rst) begin
          rd_en_q <= 1'b0;
        end else begin
          rd_en_q <= req_en;
        end
        rd_addr_q <= {req_bank, req_addr};
      end

      always_ff @(posedge clk) begin
        if (mem_we_q) begin
          mem[mem_addr_q] <= word_q[p*ACT_BITS +: ACT_BITS];
        end
        if (rd_en_q) begin
          rd_data[p*ACT_BITS +: ACT_BITS] <= mem[rd_addr_q];
        end
      end
    end
  end else begin : gen_block
    logic              rd_en_q;
    logic [WORD_W-1:0] rd_word_q;  // the block RAM's read register; rd_data is its output register
    // no_rw_check: a word is never read in the cycle it is written (reads start after wr_done),
    // so Yosys needs no read-during-write bypass behind the block RAM.
    (* ram_style = "block", no_rw_check *)
    logic [WORD_W-1:0] mem [2**(ADDR_W+1)];

    always_ff @(posedge clk) begin
      if (rst) begin
        rd_en_q <= 1'b0;
      end else begin
        rd_en_q <= req_en;
      end
    end

    always_ff @(posedge clk) begin
      if (mem_we_q) begin
        mem[mem_addr_q] <= word_q;
      end
      // With READ_LATENCY 3 the enable, like the address, comes from a flip-flop. (Reads only when
      // requested: a read beside a write of the same word is undefined in the block RAM models.)
      if (req_en) begin
        rd_word_q <= mem[{req_bank, req_addr}];
      end
      if (rd_en_q) begin
        rd_data <= rd_word_q;
      end
    end
  end

endmodule

`resetall
