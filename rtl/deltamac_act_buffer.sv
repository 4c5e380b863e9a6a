// deltamac_act_buffer: ping-pong pair of activation buffers, LANES activations per word.
//
// Write side: a byte stream. Each written activation goes to the lane given by an internal
// lane counter of the current word; a word is written to memory when its last lane arrives or
// when `wr_last` marks the last activation of the vector (the unused upper lanes of that word
// keep the activations assembled before them; the sequencer masks padded lanes on read).
// `wr_first` restarts the stream at word 0, lane 0 of bank `wr_bank`. Counters only, no
// division, so LANES need not be a power of two.
//
// Read side: one word per cycle, registered (`rd_data` valid one cycle after `rd_en`).
// One memory of 2 * 2**ADDR_W words: the bank is the address MSB.

`resetall
`default_nettype none

module deltamac_act_buffer #(
    // activations per word (MAC lanes, P)
    parameter int LANES    = 16,
    // bits per activation
    parameter int ACT_BITS = 8,
    // words per bank (ceil(vector length / LANES))
    parameter int DEPTH    = 49,
    // word address width inside a bank (derived)
    localparam int ADDR_W  = $clog2(DEPTH > 1 ? DEPTH : 2)
) (
    // clock
    input  wire logic                                   clk,
    // synchronous active-high reset (clears the write counters only)
    input  wire logic                                   rst,

    // one activation to write
    input  wire logic                                   wr_valid,
    // this activation is element 0 of a new vector
    input  wire logic                                   wr_first,
    // this activation is the last element of the vector (flushes the partial word)
    input  wire logic                                   wr_last,
    // bank written by this vector
    input  wire logic                                   wr_bank,
    // the activation
    input  wire logic [ACT_BITS-1:0]                    wr_data,

    // read request
    input  wire logic                                   rd_en,
    // bank to read
    input  wire logic                                   rd_bank,
    // word address inside the bank
    input  wire logic [ADDR_W-1:0]                     rd_addr,
    // word read, one cycle after rd_en
    output logic      [LANES*ACT_BITS-1:0]              rd_data
);

  localparam int LANE_W = $clog2(LANES > 1 ? LANES : 2);
  localparam int WORD_W = LANES * ACT_BITS;

  if (LANES < 1 || DEPTH < 1 || ACT_BITS < 1) begin : gen_check_params
    initial $fatal(1, "deltamac_act_buffer: LANES (%0d), DEPTH (%0d) and ACT_BITS (%0d) must be >= 1",
                   LANES, DEPTH, ACT_BITS);
  end

  logic [WORD_W-1:0] mem [2**(ADDR_W+1)];

  // Write side: lane and word counters plus the word being assembled.
  logic [LANE_W-1:0] lane_q, lane_d, lane_cur;
  logic [ADDR_W-1:0] waddr_q, waddr_d, waddr_cur;
  logic [WORD_W-1:0] word_q, word_d;
  logic              word_we;

  assign lane_cur  = wr_first ? '0 : lane_q;
  assign waddr_cur = wr_first ? '0 : waddr_q;
  assign word_we   = wr_valid && (wr_last || lane_cur == LANE_W'(LANES - 1));

  always_comb begin
    word_d  = word_q;
    lane_d  = lane_q;
    waddr_d = waddr_q;
    if (wr_valid) begin
      word_d[lane_cur*ACT_BITS +: ACT_BITS] = wr_data;
      if (word_we) begin
        lane_d  = '0;
        waddr_d = waddr_cur + ADDR_W'(1);
      end else begin
        lane_d  = lane_cur + LANE_W'(1);
        waddr_d = waddr_cur;
      end
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      lane_q  <= '0;
      waddr_q <= '0;
    end else begin
      lane_q  <= lane_d;
      waddr_q <= waddr_d;
    end
    word_q <= word_d;
  end

  always_ff @(posedge clk) begin
    if (word_we) begin
      mem[{wr_bank, waddr_cur}] <= word_d;
    end
    if (rd_en) begin
      rd_data <= mem[{rd_bank, rd_addr}];
    end
  end

endmodule

`resetall
