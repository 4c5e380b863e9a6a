# Out-of-context timing constraints for deltamac_top (the IP alone, no pins).
#
# Read as an unmanaged constraints script, because it uses Tcl control flow:
#   set ::deltamac_clk_period_ns 8.0          ;# optional, in ns; default 10 ns (100 MHz)
#   read_xdc -unmanaged -mode out_of_context constraints/deltamac_ooc.xdc
# scripts/vivado_build.tcl sets the variable from `make vivado-ooc CLK_PERIOD_NS=...`.
if {![info exists ::deltamac_clk_period_ns]} {
  set ::deltamac_clk_period_ns 10.000
}

create_clock -name clk -period $::deltamac_clk_period_ns [get_ports clk]

# The IP is embedded in a synchronous design: its ports connect to registers clocked by clk.
# Zero external delay times every path from a port to the first register (and back) against
# one full period, so a violation is inside the IP.
set_input_delay  -clock clk 0.000 [get_ports -filter {DIRECTION == IN && NAME != clk}]
set_output_delay -clock clk 0.000 [get_ports -filter {DIRECTION == OUT}]
