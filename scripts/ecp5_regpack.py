"""Register packing for the ECP5 open flow: flip-flops into DP16KD and MULT18X18D registers.

Yosys 0.23's synth_ecp5 maps block RAMs with REGMODE NOREG and multipliers with every register
NONE, and leaves the pipeline flip-flops of the RTL in the fabric. Vendor flows move them into
the hard block (Diamond for DP16KD/MULT18X18D, Vivado for the RAMB18E1 DO_REG and the DSP48E1
A/B/M/P registers the RTL is written for). Without that, nextpnr times every block RAM read with
the 5.6 ns NOREG clock-to-out plus a route, and every multiplier as a combinational path between
fabric flip-flops. This pass does the packing on the Yosys JSON netlist, before nextpnr:

* DP16KD port A/B with REGMODE NOREG: when every used DO bit drives exactly one flip-flop, and
  those flip-flops share the port's clock and one clock enable and have no set/reset, they become
  the output register (REGMODE OUTREG, OCE = their clock enable) and are removed.
* MULT18X18D with every register NONE: A and B are packed into the input registers when every
  non-constant bit comes from such a flip-flop that feeds nothing else; then up to two register
  levels behind P into the pipeline and the output register. All packed registers of a multiplier
  use CLK0/CE0/RST0 and must share one clock and one clock enable.

A flip-flop qualifies only if it is a plain TRELLIS_FF: not inverted clock or enable, GSR off and
its LSR tied to 0, so the block register (reset value 0, reset tied off) behaves the same.

    python -m scripts.ecp5_regpack in.json out.json   # prints what was packed
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ONE = "1"
ZERO = "0"


def _is_const(bit) -> bool:
    return isinstance(bit, str)


@dataclass
class PackStats:
    """What was packed, for the report."""

    dp16kd_outreg_ports: int = 0
    mult_input_regs: int = 0
    mult_pipeline_regs: int = 0
    mult_output_regs: int = 0
    flip_flops_removed: int = 0
    skipped: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        return {
            "dp16kd_outreg_ports": self.dp16kd_outreg_ports,
            "mult18x18d_input_regs": self.mult_input_regs,
            "mult18x18d_pipeline_regs": self.mult_pipeline_regs,
            "mult18x18d_output_regs": self.mult_output_regs,
            "flip_flops_removed": self.flip_flops_removed,
            "not_packed": dict(sorted(self.skipped.items())),
        }


class Netlist:
    """One flat module of a Yosys JSON netlist with driver and sink maps over its net bits."""

    def __init__(self, module: dict) -> None:
        self.cells: dict[str, dict] = module["cells"]
        self.ports: dict[str, dict] = module.get("ports", {})
        self._index()

    def _index(self) -> None:
        self.driver: dict[int, tuple[str, str]] = {}
        self.sinks: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for name, cell in self.cells.items():
            for port, bits in cell["connections"].items():
                output = cell["port_directions"][port] == "output"
                for bit in bits:
                    if _is_const(bit):
                        continue
                    if output:
                        self.driver[bit] = (name, port)
                    else:
                        self.sinks[bit].append((name, port))
        for port in self.ports.values():  # top-level outputs are sinks that cannot be packed
            if port["direction"] == "output":
                for bit in port["bits"]:
                    if not _is_const(bit):
                        self.sinks[bit].append(("$top", "port"))

    def bit(self, cell: str, port: str):
        bits = self.cells[cell]["connections"].get(port, [])
        return bits[0] if bits else None

    def connect(self, cell: str, port: str, bit) -> None:
        """Connect a port (new ports are inputs: clock, enable, reset of a block register)."""
        self.cells[cell]["connections"][port] = [bit]
        self.cells[cell]["port_directions"].setdefault(port, "input")

    def remove(self, names: list[str]) -> None:
        for name in names:
            del self.cells[name]
        self._index()

    def plain_ff(self, name: str) -> tuple[int, object] | None:
        """(clock bit, clock-enable bit or "1") of a packable flip-flop, else None."""
        cell = self.cells.get(name)
        if cell is None or cell["type"] != "TRELLIS_FF":
            return None
        params = {key: str(value).strip() for key, value in cell["parameters"].items()}
        if params.get("CLKMUX", "CLK") != "CLK" or params.get("GSR", "DISABLED") != "DISABLED":
            return None
        if params.get("REGSET", "RESET") != "RESET" or self.bit(name, "LSR") not in (None, ZERO):
            return None
        cemux = params.get("CEMUX", "1")
        if cemux == "1":
            enable = ONE
        elif cemux == "CE":
            enable = self.bit(name, "CE")
        else:  # inverted enable
            return None
        return self.bit(name, "CLK"), enable

    def used(self, bit) -> bool:
        """bit is a net with at least one load."""
        return not _is_const(bit) and bool(self.sinks.get(bit))

    def single_ff_sink(self, bit) -> str | None:
        """The flip-flop whose DI is the only sink of bit, if that is so."""
        if _is_const(bit):
            return None
        sinks = self.sinks.get(bit, [])
        if len(sinks) == 1 and sinks[0][1] == "DI":
            return sinks[0][0]
        return None


def _follow_register(netlist: Netlist, outputs: dict[str, object], clock=None) -> tuple[dict, tuple, list] | None:
    """For output pins -> bits: the flip-flops directly behind every used one, if packable: one
    shared (clock, enable), with the given clock if there is one.

    Returns ({pin: flip-flop Q bit}, (clock, enable), flip-flop names), or None.
    """
    used = {pin: bit for pin, bit in outputs.items() if netlist.used(bit)}
    new_bits, controls, ffs = {}, set(), []
    for pin, bit in used.items():
        ff = netlist.single_ff_sink(bit)
        info = netlist.plain_ff(ff) if ff else None
        if info is None:
            return None
        controls.add(info)
        new_bits[pin] = netlist.bit(ff, "Q")
        ffs.append(ff)
    if len(controls) != 1 or (clock is not None and next(iter(controls))[0] != clock):
        return None
    return new_bits, controls.pop(), ffs


def pack_dp16kd(netlist: Netlist, name: str, stats: PackStats) -> None:
    cell = netlist.cells[name]
    for port in ("A", "B"):
        if str(cell["parameters"].get(f"REGMODE_{port}", "NOREG")) != "NOREG":
            continue
        outputs = {f"DO{port}{i}": netlist.bit(name, f"DO{port}{i}") for i in range(18)}
        if not any(netlist.used(bit) for bit in outputs.values()):
            continue
        found = _follow_register(netlist, outputs, netlist.bit(name, f"CLK{port}"))
        if found is None or str(cell["parameters"].get(f"CLK{port}MUX", f"CLK{port}")) != f"CLK{port}":
            stats.skipped["dp16kd_port"] += 1
            continue
        new_bits, (_, enable), ffs = found
        for pin, bit in new_bits.items():
            netlist.connect(name, pin, bit)
        netlist.connect(name, f"OCE{port}", enable)
        cell["parameters"][f"REGMODE_{port}"] = "OUTREG"
        netlist.remove(ffs)
        stats.dp16kd_outreg_ports += 1
        stats.flip_flops_removed += len(ffs)


def _mult_input_flip_flops(netlist: Netlist, name: str) -> tuple[dict, list[str], tuple] | None:
    """The flip-flops feeding A and B of a multiplier and nothing else, if all of it is packable.

    Returns ({pin: flip-flop D bit}, flip-flop names, (clock, enable)), or None.
    """
    rewire, ffs, controls = {}, set(), set()
    for pin in [f"{side}{i}" for side in "AB" for i in range(18)]:
        bit = netlist.bit(name, pin)
        if bit is None or _is_const(bit):
            continue
        driver = netlist.driver.get(bit)
        info = netlist.plain_ff(driver[0]) if driver and driver[1] == "Q" else None
        if info is None or any(sink[0] != name for sink in netlist.sinks[bit]):
            return None
        controls.add(info)
        ffs.add(driver[0])
        rewire[pin] = netlist.bit(driver[0], "DI")
    if len(controls) != 1:
        return None
    return rewire, sorted(ffs), controls.pop()


def pack_mult(netlist: Netlist, name: str, stats: PackStats) -> None:
    params = netlist.cells[name]["parameters"]
    if any(str(params.get(f"REG_{reg}_CLK", "NONE")) != "NONE" for reg in ("INPUTA", "INPUTB", "PIPELINE", "OUTPUT")):
        return
    controls = None  # (clock, enable) shared by every packed register of this multiplier
    inputs = _mult_input_flip_flops(netlist, name)
    if inputs is None:
        stats.skipped["mult18x18d_inputs"] += 1
    else:
        rewire, ffs, controls = inputs
        for pin, bit in rewire.items():
            netlist.connect(name, pin, bit)
        netlist.remove(ffs)
        params["REG_INPUTA_CLK"] = params["REG_INPUTB_CLK"] = "CLK0"
        stats.mult_input_regs += 1
        stats.flip_flops_removed += len(ffs)
    levels = 0  # register levels behind P: the first is the pipeline, the second the output register
    while levels < 2:
        outputs = {f"P{i}": netlist.bit(name, f"P{i}") for i in range(36)}
        found = _follow_register(netlist, outputs)
        if found is None or (controls is not None and found[1] != controls):
            break
        new_bits, controls, ffs = found
        for pin, bit in new_bits.items():
            netlist.connect(name, pin, bit)
        netlist.remove(ffs)
        levels += 1
        stats.flip_flops_removed += len(ffs)
    packed_levels = {0: [], 1: ["OUTPUT"], 2: ["PIPELINE", "OUTPUT"]}[levels]
    for level in packed_levels:
        params[f"REG_{level}_CLK"] = "CLK0"
    stats.mult_pipeline_regs += packed_levels.count("PIPELINE")
    stats.mult_output_regs += packed_levels.count("OUTPUT")
    if not packed_levels:
        stats.skipped["mult18x18d_outputs"] += 1
    if controls:
        netlist.connect(name, "CLK0", controls[0])
        netlist.connect(name, "CE0", controls[1])
        netlist.connect(name, "RST0", ZERO)


def top_modules(design: dict) -> list[str]:
    """The modules Yosys marked as top (attribute top)."""
    return [n for n, m in design.get("modules", {}).items() if str(m.get("attributes", {}).get("top", "0")).strip("0")]


def pack(design: dict, top: str) -> PackStats:
    """Pack in place; returns what was packed."""
    modules = design.get("modules", {})
    if top not in modules:
        raise ValueError(f"module {top!r} is not in the netlist (top: {', '.join(top_modules(design)) or 'none'})")
    netlist = Netlist(modules[top])
    stats = PackStats()
    for name in sorted(netlist.cells):
        kind = netlist.cells[name]["type"] if name in netlist.cells else None
        if kind == "DP16KD":
            pack_dp16kd(netlist, name, stats)
        elif kind == "MULT18X18D":
            pack_mult(netlist, name, stats)
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("netlist", type=Path, help="Yosys JSON netlist (synth_ecp5 -json)")
    parser.add_argument("out", type=Path, help="packed netlist for nextpnr-ecp5")
    parser.add_argument("--top", help="top module (default: the only module with attribute top)")
    args = parser.parse_args(argv)
    design = json.loads(args.netlist.read_text())
    tops = top_modules(design)
    if args.top is None and len(tops) != 1:
        parser.error(f"{args.netlist}: {len(tops)} modules marked top; name the one to pack with --top")
    stats = pack(design, args.top or tops[0])
    args.out.write_text(json.dumps(design))
    print(json.dumps(stats.as_dict(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
