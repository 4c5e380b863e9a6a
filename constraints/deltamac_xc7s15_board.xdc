# Board constraints for the UART example top deltamac_uart_top on a Spartan-7 XC7S15
# (part xc7s15ftgb196-1).
#
# The pins below follow the Seeed Spartan Edge Accelerator board (XC7S15-1FTGB196C, 100 MHz
# oscillator), as listed in its community master XDC: UART on the FPGA_IO header (IO4 = rx,
# IO5 = tx, 3.3 V TTL, connect a USB-serial adapter), reset on BUTTON1, led[0..1] on the two
# user LEDs and the remaining outputs on Arduino header pins D2..D5 (attach LEDs with
# resistors). THEY MUST BE CHECKED AGAINST YOUR BOARD'S SCHEMATIC AND ADAPTED: pin names,
# I/O standard and the button polarity (rst_btn is active high; invert it in the top or use
# an active-high button). The clock period must match the CLKS_PER_BIT parameter
# (868 = 100 MHz / 115200 baud).

set_property CFGBVS VCCO [current_design]
set_property CONFIG_VOLTAGE 3.3 [current_design]

## Clock: 100 MHz oscillator
set_property -dict {PACKAGE_PIN H4 IOSTANDARD LVCMOS33} [get_ports clk]
create_clock -name clk -period 10.000 [get_ports clk]

## Reset button (asynchronous, synchronised inside deltamac_uart_top)
set_property -dict {PACKAGE_PIN C3 IOSTANDARD LVCMOS33} [get_ports rst_btn]

## UART, 115200 8N1
set_property -dict {PACKAGE_PIN N10 IOSTANDARD LVCMOS33} [get_ports uart_rxd]
set_property -dict {PACKAGE_PIN M10 IOSTANDARD LVCMOS33} [get_ports uart_txd]

## LEDs: class index, busy, sticky error
set_property -dict {PACKAGE_PIN J1  IOSTANDARD LVCMOS33} [get_ports {led[0]}]
set_property -dict {PACKAGE_PIN A13 IOSTANDARD LVCMOS33} [get_ports {led[1]}]
set_property -dict {PACKAGE_PIN A10 IOSTANDARD LVCMOS33} [get_ports {led[2]}]
set_property -dict {PACKAGE_PIN B6  IOSTANDARD LVCMOS33} [get_ports {led[3]}]
set_property -dict {PACKAGE_PIN A5  IOSTANDARD LVCMOS33} [get_ports led_busy]
set_property -dict {PACKAGE_PIN B5  IOSTANDARD LVCMOS33} [get_ports led_error]

## Asynchronous inputs (synchronisers inside) and slow outputs: no I/O timing.
set_false_path -from [get_ports {rst_btn uart_rxd}]
set_false_path -to [get_ports {uart_txd led[*] led_busy led_error}]
