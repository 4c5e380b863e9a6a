// deltamac_sync: multi-flop synchroniser for one asynchronous input bit (button, UART line).
// No reset: the chain settles to the input within STAGES cycles after configuration.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module deltamac_sync #(
  parameter int STAGES     = 2,    // number of flip-flops in the chain (>= 2)
  parameter bit INIT_VALUE = 1'b0  // configuration value of every flop (1 for an idle-high UART line)
) (
  input  wire logic clk,     // destination clock
  input  wire logic async_i, // asynchronous input
  output logic sync_o   // input synchronised to clk, STAGES cycles later
);

  if (STAGES < 2) begin : gen_check_stages
    initial $fatal(1, "deltamac_sync: STAGES must be >= 2, got %0d", STAGES);
  end

  (* ASYNC_REG = "TRUE" *) logic [STAGES-1:0] chain_q = {STAGES{INIT_VALUE}};

  always_ff @(posedge clk) begin
    chain_q <= {chain_q[STAGES-2:0], async_i};
  end

  assign sync_o = chain_q[STAGES-1];

endmodule

`resetall
