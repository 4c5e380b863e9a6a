# Vivado non-project implementation of a deltamac.core target.
#
#   vivado -mode batch -source scripts/vivado_build.tcl \
#          -tclargs <target.tcl> <out_dir> <clk_period_ns>
#
# <target.tcl> is written by `python -m scripts.corefile tcl --target <synth|board> ...` and
# sets deltamac_target, deltamac_top, deltamac_part, deltamac_sources, deltamac_mem_files,
# deltamac_constraints (XDC), deltamac_unmanaged_constraints (Tcl constraint scripts) and
# deltamac_rom_parameters (the single file list: deltamac.core).
#   target `synth`: deltamac_top out of context (constraints/deltamac_ooc.xdc, clock period
#                   <clk_period_ns>): synthesis, implementation, reports; no bitstream.
#   target `board`: the UART example top with the board XDC: also writes <top>.bit.
# Outputs in <out_dir>: checkpoints, utilisation (flat and hierarchical), timing summary,
# DRC and, for the board, the bitstream. The run fails when timing is not met.

if {[llength $argv] != 3} {
  error "usage: vivado -mode batch -source vivado_build.tcl -tclargs <target.tcl> <out_dir> <clk_period_ns>"
}
lassign $argv target_tcl out_dir clk_period_ns
source $target_tcl
set ::deltamac_clk_period_ns $clk_period_ns
set ooc [expr {$deltamac_target eq "synth"}]
file mkdir $out_dir
puts "deltamac: implementing target $deltamac_target (top $deltamac_top, part $deltamac_part) into $out_dir"

# Sources: the generated package first, then the RTL in deltamac.core order.
read_verilog -sv $deltamac_sources
read_mem $deltamac_mem_files
set xdc_mode [expr {$ooc ? {-mode out_of_context} : {}}]
foreach xdc $deltamac_constraints {
  read_xdc {*}$xdc_mode $xdc
}
foreach script $deltamac_unmanaged_constraints {
  read_xdc -unmanaged {*}$xdc_mode $script
}

# ROM images by absolute path, as the top's string parameters.
set generics {}
dict for {name path} $deltamac_rom_parameters {
  lappend generics -generic "$name=\"$path\""
}
set mode_args [expr {$ooc ? {-mode out_of_context} : {}}]
synth_design -top $deltamac_top -part $deltamac_part {*}$mode_args {*}$generics
write_checkpoint -force [file join $out_dir post_synth.dcp]
report_utilization -file [file join $out_dir utilization_synth.rpt]

opt_design
place_design
phys_opt_design
route_design
write_checkpoint -force [file join $out_dir post_route.dcp]

report_utilization -file [file join $out_dir utilization.rpt]
report_utilization -hierarchical -file [file join $out_dir utilization_hierarchical.rpt]
report_timing_summary -max_paths 10 -file [file join $out_dir timing_summary.rpt]
report_drc -file [file join $out_dir drc.rpt]

if {!$ooc} {
  write_bitstream -force [file join $out_dir $deltamac_top.bit]
}

set wns [get_property SLACK [get_timing_paths -max_paths 1 -nworst 1 -setup]]
puts "deltamac: worst setup slack $wns ns at a $clk_period_ns ns clock period (reports in $out_dir)"
if {$wns eq "" || $wns < 0} {
  error "deltamac: timing not met (WNS '$wns' ns); see [file join $out_dir timing_summary.rpt]"
}
