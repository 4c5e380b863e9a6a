# Stand-ins for the Vivado Tcl commands used by scripts/vivado_*.tcl and the XDC files, so
# those scripts run in a plain tclsh. Every call is recorded in ::stub_calls; the test writes
# them out and checks what the scripts asked Vivado to do. Only Vivado's commands are stubbed.
set ::stub_calls {}
set ::stub_slack 0.250

proc stub_record {name args} {
  lappend ::stub_calls [list $name {*}$args]
  switch -- $name {
    get_property {
      if {[lindex $args 0] eq "SLACK"} { return $::stub_slack }
      return [lindex $args 1]
    }
    get_ports - ipx::add_bus_interface - ipx::add_port_map - ipx::add_bus_parameter -
    ipx::get_user_parameters - ipx::get_hdl_parameters {
      return "stub:[lindex $args 0]"
    }
    ipx::current_core { return stub_core }
    ipx::get_bus_interfaces { return {stub_inferred_bus} }
    default { return "" }
  }
}

set stub_commands {
  read_verilog read_mem read_xdc synth_design write_checkpoint report_utilization opt_design
  place_design phys_opt_design route_design report_timing_summary report_drc write_bitstream
  get_timing_paths get_property set_property create_project add_files update_compile_order
  close_project current_fileset current_design create_clock get_ports set_input_delay
  set_output_delay set_false_path
}
foreach cmd $stub_commands {
  interp alias {} $cmd {} stub_record $cmd
}
namespace eval ipx {}
foreach cmd {
  package_project current_core get_bus_interfaces remove_bus_interface add_bus_interface
  add_port_map add_bus_parameter get_user_parameters get_hdl_parameters create_xgui_files
  update_checksums check_integrity save_core
} {
  interp alias {} ipx::$cmd {} stub_record ipx::$cmd
}

# Run one script with arguments (as `vivado -source <script> -tclargs ...`) and write the
# recorded calls, one Tcl list per line, to <out>. Exit code 1 when the script raised an error.
proc stub_run {script out args} {
  set ::argv $args
  set ::argc [llength $args]
  set status [catch {uplevel #0 [list source $script]} message]
  set f [open $out w]
  foreach call $::stub_calls { puts $f $call }
  close $f
  if {$status} {
    puts stderr "script error: $message"
    exit 1
  }
}
