"""The generated package of a large LUT network reads in Yosys with every connectivity field intact
(lut-mnist's CONN as one literal, 73k hex digits, overflowed the Yosys 0.23 lexer)."""

from __future__ import annotations

import json
import subprocess

from model.lutnet_export import MANIFEST
from scripts.lutnet_random import main as lutnet_random
from sim.runner import require_tool

PROBES = ((0, 0, 0), (0, 1023, 5), (0, 2047, 5), (1, 0, 0), (1, 1999, 2))  # (layer, partition, input)


def test_a_lut_mnist_sized_package_reads_in_yosys_with_every_field(tmp_path):
    out = tmp_path / "export"
    assert lutnet_random(["--out", str(out), "--features", "784", "--in-bits", "1", "--layers", "2048xF6b2,2000xF3b1",
                          "--classes", "10", "--class-partitions", "200", "--seed", "5"]) == 0
    manifest = json.loads((out / MANIFEST).read_text())
    ports, assigns = [], []
    for i, (layer, m, j) in enumerate(PROBES):
        fan_in = manifest["layers"][layer]["fan_in"]
        field = sum(l["n_out"] * l["fan_in"] for l in manifest["layers"][:layer]) + m * fan_in + j
        ports.append(f"output wire [15:0] f{i}")
        assigns.append(f"  assign f{i} = deltamac_net_pkg::CONN[{field}*16 +: 16];")
    probe = tmp_path / "probe.sv"
    probe.write_text(f"module probe ({', '.join(ports)});\n" + "\n".join(assigns) + "\nendmodule\n")
    netlist = tmp_path / "probe.json"
    result = subprocess.run([require_tool("yosys"), "-q", "-p",
                             f"read_verilog -sv {out / 'deltamac_net_pkg.sv'} {probe}; hierarchy -top probe; proc; "
                             f"opt; write_json {netlist}"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    module_ports = json.loads(netlist.read_text())["modules"]["probe"]["ports"]
    for i, (layer, m, j) in enumerate(PROBES):
        bits = module_ports[f"f{i}"]["bits"]  # LSB first, constants as "0"/"1"
        assert int("".join(reversed(bits)), 2) == manifest["conn"][layer][m][j], (layer, m, j)
