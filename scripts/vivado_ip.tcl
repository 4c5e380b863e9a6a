# Package deltamac_top as a Vivado IP (IP-XACT component.xml) for the IP catalog / IP integrator.
#
#   vivado -mode batch -source scripts/vivado_ip.tcl -tclargs <target.tcl> <out_dir> <version>
#
# <target.tcl>: written by `python -m scripts.corefile tcl --target default ...` (sources from
# deltamac.core, the generated package and the ROM images of one export). The IP lands in
# <out_dir>/deltamac (add that folder to the IP repository paths). Interfaces: s_axis (AXI4-Stream
# slave) and m_axis (master) associated with the clock clk and the active-high reset rst;
# user parameters OUT_LOGITS and the four *_ROM_FILE (defaulting to the ROM images packaged
# with the IP). Lanes, formats and topology are constants of the packaged deltamac_net_pkg:
# regenerate the export and re-run this script for another network.

if {[llength $argv] != 3} {
  error "usage: vivado -mode batch -source vivado_ip.tcl -tclargs <target.tcl> <out_dir> <version>"
}
lassign $argv target_tcl out_dir ip_version
source $target_tcl
set ip_dir [file join $out_dir deltamac]
puts "deltamac: packaging $deltamac_top ($deltamac_part) as IP version $ip_version into $ip_dir"

create_project -force -part $deltamac_part deltamac_ip_project [file join $out_dir project]
add_files -norecurse $deltamac_sources
add_files -norecurse $deltamac_mem_files
set_property top $deltamac_top [current_fileset]
update_compile_order -fileset sources_1

ipx::package_project -root_dir $ip_dir -vendor deltamac.org -library ip -taxonomy /UserIP \
  -import_files -set_current true
set core [ipx::current_core]
set_property name deltamac $core
set_property version $ip_version $core
set_property display_name "deltamac delta-compressed MLP inference" $core
set_property description "MLP classifier with delta-compressed weights in block RAM; pixels in on s_axis, class (and logits) out on m_axis" $core
set_property supported_families {spartan7 Production artix7 Production kintex7 Production zynq Production} $core

# Interfaces, declared explicitly (the inferred ones are replaced).
foreach bus [ipx::get_bus_interfaces -of_objects $core] {
  ipx::remove_bus_interface [get_property name $bus] $core
}

proc deltamac_add_axis {core name mode signals} {
  set bus [ipx::add_bus_interface $name $core]
  set_property abstraction_type_vlnv xilinx.com:interface:axis_rtl:1.0 $bus
  set_property bus_type_vlnv xilinx.com:interface:axis:1.0 $bus
  set_property interface_mode $mode $bus
  foreach signal $signals {
    set_property physical_name "${name}_[string tolower $signal]" [ipx::add_port_map $signal $bus]
  }
}
deltamac_add_axis $core s_axis slave {TDATA TVALID TREADY TLAST}
deltamac_add_axis $core m_axis master {TDATA TVALID TREADY TLAST}

set rst_bus [ipx::add_bus_interface rst $core]
set_property abstraction_type_vlnv xilinx.com:signal:reset_rtl:1.0 $rst_bus
set_property bus_type_vlnv xilinx.com:signal:reset:1.0 $rst_bus
set_property interface_mode slave $rst_bus
set_property physical_name rst [ipx::add_port_map RST $rst_bus]
set_property value ACTIVE_HIGH [ipx::add_bus_parameter POLARITY $rst_bus]

set clk_bus [ipx::add_bus_interface clk $core]
set_property abstraction_type_vlnv xilinx.com:signal:clock_rtl:1.0 $clk_bus
set_property bus_type_vlnv xilinx.com:signal:clock:1.0 $clk_bus
set_property interface_mode slave $clk_bus
set_property physical_name clk [ipx::add_port_map CLK $clk_bus]
set_property value s_axis:m_axis [ipx::add_bus_parameter ASSOCIATED_BUSIF $clk_bus]
set_property value rst [ipx::add_bus_parameter ASSOCIATED_RESET $clk_bus]

# User parameters: the result format and the ROM images (packaged ones by default).
set out_logits [ipx::get_user_parameters OUT_LOGITS -of_objects $core]
set_property display_name "Send logits before the class index" $out_logits
set_property value_validation_type list $out_logits
set_property value_validation_list {0 1} $out_logits
dict for {name path} $deltamac_rom_parameters {
  set param [ipx::get_user_parameters $name -of_objects $core]
  set_property display_name "$name (\$readmemh image, from the export)" $param
  set_property value [file tail $path] $param
  set_property value [file tail $path] [ipx::get_hdl_parameters $name -of_objects $core]
}

ipx::create_xgui_files $core
ipx::update_checksums $core
ipx::check_integrity $core
ipx::save_core $core
close_project
puts "deltamac: IP written to [file join $ip_dir component.xml]"
