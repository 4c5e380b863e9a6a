"""The AXI4-Lite register map of deltamac_axi_top, written once: this table generates the register
block `rtl/deltamac_regs.sv`, the C header `sw/deltamac_regs.h` and the Markdown table
`docs/regmap.md`.

    python -m model.regmap           # rewrite the three files (make regmap)
    python -m model.regmap --check   # exit 1 if a committed file differs from what the table gives

Why a Python table and not SystemRDL: peakrdl-regblock 1.3.1's output (with its package) is
rejected by Icarus Verilog 11 ("sorry: Unpacked structs not supported") and by Yosys 0.23
("Only PACKED supported"), and fails Verilator 5.006 `-Wall`; the generated block here is in the
style of the hand-written RTL and passes all three.

Access kinds of a field (docs/rtl.md, "Register map"):
  const  a constant of this table (ID, VERSION)
  param  a parameter of the block, the network's shape from deltamac_net_pkg
  ro     read-only, driven by the hardware (an input port of the same name)
  rw     read/write storage (an output port), reset value `reset`
  w1p    write 1: a one-cycle pulse on the output port the cycle after the write; reads 0
  w1c    set by the hardware (input port <name>_set), write 1 to clear; a set wins over a clear
A register without a writable field is read-only: writes to it are ignored with SLVERR. Reserved
addresses read 0 and ignore writes, with OKAY. Byte lanes are honoured: a write changes only the
bits of the byte lanes whose WSTRB bit is set.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SV_FILE = REPO / "rtl" / "deltamac_regs.sv"
C_FILE = REPO / "sw" / "deltamac_regs.h"
MD_FILE = REPO / "docs" / "regmap.md"

MODULE = "deltamac_regs"
ADDR_BITS = 8  # byte address bits decoded: a 256-byte window, 64 words
ID_MAGIC = 0x444D4143  # "DMAC" in ASCII
VERSION_MAJOR = 1  # changes when a register moves or changes meaning
VERSION_MINOR = 0  # changes when registers or fields are added

ACCESS = ("const", "param", "ro", "rw", "w1p", "w1c")
WRITABLE = ("rw", "w1p", "w1c")
RESP_OKAY, RESP_SLVERR = 0, 2


@dataclass(frozen=True)
class Field:
    """Bits [lsb + width - 1 : lsb] of a register."""

    name: str
    lsb: int
    width: int
    access: str
    doc: str
    reset: int = 0  # const: the value; rw / w1c: the reset value
    param: str = ""  # param: the block parameter that gives the value


@dataclass(frozen=True)
class Register:
    name: str
    offset: int  # byte address, word aligned
    doc: str
    fields: tuple[Field, ...]

    @property
    def writable(self) -> bool:
        return any(f.access in WRITABLE for f in self.fields)


@dataclass(frozen=True)
class Reserved:
    """A documented reserved range (reads 0, writes ignored, OKAY)."""

    first: int
    last: int  # byte address of the range's last word
    doc: str


REGISTERS = (
    Register("ID", 0x00, "identifies a deltamac core",
             (Field("MAGIC", 0, 32, "const", 'ASCII "DMAC"', reset=ID_MAGIC),)),
    Register("VERSION", 0x04, "version of this register map",
             (Field("MINOR", 0, 16, "const", "registers or fields added", reset=VERSION_MINOR),
              Field("MAJOR", 16, 16, "const", "registers moved or changed", reset=VERSION_MAJOR))),
    Register("NET_LAYERS", 0x08, "network shape: layers",
             (Field("COUNT", 0, 32, "param", "number of layers", param="NUM_LAYERS"),)),
    Register("NET_INPUTS", 0x0C, "network shape: inputs",
             (Field("COUNT", 0, 32, "param", "pixels per image", param="IN_PIXELS"),)),
    Register("NET_CLASSES", 0x10, "network shape: classes",
             (Field("COUNT", 0, 32, "param", "classes (logits per image)", param="NUM_CLASSES"),)),
    Register("NET_LANES", 0x14, "core: MAC lanes",
             (Field("COUNT", 0, 32, "param", "MAC lanes P", param="LANES"),)),
    Register("NET_FORMAT", 0x18, "core: weight format and stream options",
             (Field("SCHEME", 0, 2, "param", "0 plain, 1 fixed_reference, 2 consecutive", param="SCHEME"),
              Field("WEIGHT_BITS", 8, 5, "param", "weight width (bits)", param="WEIGHT_BITS"),
              Field("DELTA_BITS", 16, 5, "param", "stored delta width (bits)", param="DELTA_BITS"),
              Field("PIXELS_PER_BEAT", 24, 4, "param", "pixels per s_axis beat", param="PIXELS_PER_BEAT"),
              Field("OUT_LOGITS", 28, 1, "param", "1: m_axis sends the logits before the class", param="OUT_LOGITS"))),
    Register("CONTROL", 0x20, "control",
             (Field("SOFT_RESET", 0, 1, "w1p", "write 1: reset the core (in-flight images dropped, counters to 0)"),
              Field("IRQ_ENABLE", 1, 1, "rw", "1: irq follows IRQ_STATUS.RESULT"))),
    Register("STATUS", 0x24, "status",
             (Field("BUSY", 0, 1, "ro", "an image is being received, computed or sent"),)),
    Register("IRQ_STATUS", 0x28, "interrupt status",
             (Field("RESULT", 0, 1, "w1c", "a result left m_axis (its last beat); write 1 to clear"),)),
    Register("LAST_CLASS", 0x2C, "last result",
             (Field("INDEX", 0, 16, "ro", "class index of the last result that left m_axis"),)),
    Register("IMAGES", 0x30, "results sent since reset",
             (Field("COUNT", 0, 32, "ro", "results sent (saturating)"),)),
    Register("DROPPED", 0x34, "wrong-length images dropped since reset",
             (Field("COUNT", 0, 16, "ro", "images dropped (saturating)"),)),
    Register("SWALLOWED", 0x38, "images swallowed while discarding after a missing TLAST",
             (Field("COUNT", 0, 16, "ro", "images swallowed (saturating)"),)),
    Register("CYCLES", 0x3C, "clock cycles since reset",
             (Field("COUNT", 0, 32, "ro", "cycles since the core's reset (saturating)"),)),
)

RESERVED = (
    Reserved(0x40, 0x7C, "run-time weight load control (issue #16): kept free for it"),
)

WORDS = 2 ** (ADDR_BITS - 2)


def check_table() -> None:
    """The table is consistent: aligned, distinct offsets inside the window, fields inside 32 bits
    and apart, known access kinds, constants and reset values that fit their fields."""
    seen: dict[int, str] = {}
    params: set[str] = set()
    for reg in REGISTERS:
        if reg.offset % 4 or not 0 <= reg.offset < 2**ADDR_BITS or reg.offset in seen:
            raise ValueError(f"{reg.name}: offset {reg.offset:#x} unaligned, outside the window or taken")
        seen[reg.offset] = reg.name
        bits = 0
        for f in reg.fields:
            where = f"{reg.name}.{f.name}"
            if f.access not in ACCESS:
                raise ValueError(f"{where}: unknown access {f.access!r}")
            mask = ((1 << f.width) - 1) << f.lsb
            if f.width < 1 or f.lsb < 0 or f.lsb + f.width > 32 or bits & mask:
                raise ValueError(f"{where}: bits outside the register or overlapping another field")
            bits |= mask
            if not 0 <= f.reset < 2**f.width:
                raise ValueError(f"{where}: value {f.reset:#x} does not fit {f.width} bits")
            if (f.access == "param") != bool(f.param) or (f.param and f.param in params):
                raise ValueError(f"{where}: a param field names one parameter of its own")
            params.add(f.param)
    for res in RESERVED:
        if any(res.first <= off <= res.last for off in seen):
            raise ValueError(f"reserved range {res.first:#x}..{res.last:#x} overlaps a register")


def port(reg: Register, f: Field) -> str:
    return f"{reg.name.lower()}_{f.name.lower()}"


def _hex(value: int, digits: int = 8) -> str:
    return f"0x{value:0{digits}x}"


# --------------------------------------------------------------------------------------------------
# SystemVerilog

def _sv_header() -> list[str]:
    return [
        f"// {MODULE}: AXI4-Lite register block of deltamac_axi_top (docs/rtl.md, \"Register map\").",
        "//",
        "// GENERATED by `python -m model.regmap` (make regmap) from the table in model/regmap.py: do not",
        "// edit by hand; a test regenerates it and compares it byte for byte.",
        "//",
        f"// {2**ADDR_BITS}-byte window (ADDR bits [{ADDR_BITS - 1}:2] pick the word, [1:0] are ignored). A write",
        "// takes its address (AW) and data (W) in either order or together, then answers on B; a",
        "// read answers on R one cycle after AR. Reads of reserved addresses return 0, writes to them",
        "// are ignored, both with OKAY; a write to a read-only register is ignored with SLVERR. A",
        "// write changes only the byte lanes whose WSTRB bit is set. AWPROT/ARPROT are ignored.",
        "",
        "`resetall",
        "`timescale 1ns / 1ps",
        "`default_nettype none",
        "",
    ]


def _sv_ports() -> tuple[list[str], list[str]]:
    """(parameter lines, port lines) of the module header."""
    param_fields = [(r, f) for r in REGISTERS for f in r.fields if f.access == "param"]
    params = []
    for i, (reg, f) in enumerate(param_fields):
        comma = "," if i < len(param_fields) - 1 else ""
        params += [f"    // {reg.name}.{f.name}: {f.doc}", f"    parameter int {f.param} = 1{comma}"]
    a = ADDR_BITS - 1
    ports = [
        ("input  wire logic       ", "clk", "clock (aclk)"),
        ("input  wire logic       ", "rst", "synchronous active-high reset (aresetn low)"),
        (f"input  wire logic [{a}:0] ", "s_axil_awaddr", "AXI4-Lite write address (bytes)"),
        ("input  wire logic [2:0] ", "s_axil_awprot", "AXI4-Lite write protection (ignored)"),
        ("input  wire logic       ", "s_axil_awvalid", "AXI4-Lite write address valid"),
        ("output logic            ", "s_axil_awready", "AXI4-Lite write address ready"),
        ("input  wire logic [31:0]", "s_axil_wdata", "AXI4-Lite write data"),
        ("input  wire logic [3:0] ", "s_axil_wstrb", "AXI4-Lite write byte strobes"),
        ("input  wire logic       ", "s_axil_wvalid", "AXI4-Lite write data valid"),
        ("output logic            ", "s_axil_wready", "AXI4-Lite write data ready"),
        ("output logic [1:0]      ", "s_axil_bresp", "AXI4-Lite write response: OKAY, or SLVERR for a read-only register"),
        ("output logic            ", "s_axil_bvalid", "AXI4-Lite write response valid"),
        ("input  wire logic       ", "s_axil_bready", "AXI4-Lite write response ready"),
        (f"input  wire logic [{a}:0] ", "s_axil_araddr", "AXI4-Lite read address (bytes)"),
        ("input  wire logic [2:0] ", "s_axil_arprot", "AXI4-Lite read protection (ignored)"),
        ("input  wire logic       ", "s_axil_arvalid", "AXI4-Lite read address valid"),
        ("output logic            ", "s_axil_arready", "AXI4-Lite read address ready"),
        ("output logic [31:0]     ", "s_axil_rdata", "AXI4-Lite read data"),
        ("output logic [1:0]      ", "s_axil_rresp", "AXI4-Lite read response (always OKAY)"),
        ("output logic            ", "s_axil_rvalid", "AXI4-Lite read data valid"),
        ("input  wire logic       ", "s_axil_rready", "AXI4-Lite read data ready"),
    ]
    for reg in REGISTERS:
        for f in reg.fields:
            width = f"[{f.width - 1}:0]" if f.width > 1 else ""
            kind = f"{reg.name}.{f.name}: {f.doc}"
            if f.access == "ro":
                ports.append((f"input  wire logic {width:<6}", port(reg, f), kind))
            elif f.access == "rw":
                ports.append((f"output logic {width:<11}", port(reg, f), kind))
            elif f.access == "w1p":
                ports.append((f"output logic {width:<11}", port(reg, f), f"{kind} (one-cycle pulse)"))
            elif f.access == "w1c":
                ports.append((f"output logic {width:<11}", port(reg, f), f"{kind} (pending)"))
                ports.append((f"input  wire logic {width:<6}", port(reg, f) + "_set",
                              f"{reg.name}.{f.name}: set (wins over a clear in the same cycle)"))
    lines = []
    for i, (decl, name, doc) in enumerate(ports):
        comma = "," if i < len(ports) - 1 else ""
        lines += [f"    // {doc}", f"    {decl} {name}{comma}"]
    return params, lines


def _word(reg: Register) -> str:
    return f"{ADDR_BITS - 2}'h{reg.offset >> 2:02x}"


def _stored(reg: Register) -> list[tuple[Register, Field]]:
    return [(reg, f) for f in reg.fields if f.access in WRITABLE]


def generate_sv() -> str:
    check_table()
    params, ports = _sv_ports()
    wa = ADDR_BITS - 3  # word address MSB
    stored = [rf for reg in REGISTERS for rf in _stored(reg)]
    writable = [reg for reg in REGISTERS if reg.writable]
    read_only = [reg for reg in REGISTERS if not reg.writable]
    wb = max(f.lsb + f.width for _, f in stored)  # bits of WDATA that reach a writable field
    nb = (wb + 7) // 8
    mask = "{" + ", ".join(f"{{{min(8, wb - 8 * b)}{{wstrb_q[{b}]}}}}" for b in reversed(range(nb))) + "}"
    out = _sv_header()
    out += [f"module {MODULE} #(", *params, ") (", *ports, ");", ""]
    checks = []
    for reg in REGISTERS:
        for f in reg.fields:
            if f.access == "param":
                bound = f" || {f.param} >= {2**f.width}" if f.width < 32 else ""
                checks += [
                    f"  if ({f.param} < 0{bound}) begin : gen_check_{f.param.lower()}",
                    f"    initial $fatal(1, \"{MODULE}: {f.param} must fit the {f.width}-bit field "
                    f"{reg.name}.{f.name}, got %0d\", {f.param});",
                    "  end",
                ]
    out += ["  // Parameter checks: every network constant fits its field.", *checks, ""]
    out += [
        "  // -------------------------------------------------------------------------------------------",
        "  // Write channels: AW and W are each held until both are there and no response is pending.",
        "  logic             aw_held_q, w_held_q;  // an address / a data beat waits for its partner",
        f"  logic [{wa}:0]       aw_word_q;            // word address of the held write",
        f"  logic [{wb - 1}:0]       wdata_q;              // WDATA bits up to the highest writable bit",
        f"  logic [{nb - 1}:0]       wstrb_q;              // WSTRB of those bytes",
        "  logic             bvalid_q;",
        "  logic [1:0]       bresp_q;",
        "  logic             do_write;             // the held write takes effect this cycle",
        f"  logic [{wb - 1}:0]       wbits;                // WDATA bits inside the byte lanes written",
        f"  logic [{wb - 1}:0]       wmask;                // the byte lanes written, as a bit mask",
        "  logic             write_ro;             // the held write is to a read-only register",
    ]
    out += [f"  logic             {f'wr_{reg.name.lower()};':<21}// the held write is to {reg.name}" for reg in writable]
    out += [
        "",
        "  assign s_axil_awready = !aw_held_q;",
        "  assign s_axil_wready  = !w_held_q;",
        "  assign s_axil_bvalid  = bvalid_q;",
        "  assign s_axil_bresp   = bresp_q;",
        "  assign do_write       = aw_held_q && w_held_q && !bvalid_q;",
        f"  assign wmask          = {mask};",
        "  assign wbits          = wdata_q & wmask;",
        "",
        "  always_ff @(posedge clk) begin",
        "    if (rst) begin",
        "      aw_held_q <= 1'b0;",
        "      w_held_q  <= 1'b0;",
        "      bvalid_q  <= 1'b0;",
        "    end else begin",
        "      aw_held_q <= (aw_held_q && !do_write) || (s_axil_awvalid && s_axil_awready);",
        "      w_held_q  <= (w_held_q && !do_write) || (s_axil_wvalid && s_axil_wready);",
        "      bvalid_q  <= (bvalid_q && !s_axil_bready) || do_write;",
        "    end",
        "    if (s_axil_awvalid && s_axil_awready) begin",
        f"      aw_word_q <= s_axil_awaddr[{ADDR_BITS - 1}:2];",
        "    end",
        "    if (s_axil_wvalid && s_axil_wready) begin",
        f"      wdata_q <= s_axil_wdata[{wb - 1}:0];",
        f"      wstrb_q <= s_axil_wstrb[{nb - 1}:0];",
        "    end",
        "    if (do_write) begin",
        "      bresp_q <= write_ro ? 2'b10 : 2'b00;  // SLVERR: the register is read-only",
        "    end",
        "  end",
        "",
        "  // Address decode of the held write.",
        "  always_comb begin",
    ]
    ro_terms = " ||\n               ".join(f"aw_word_q == {_word(reg)}" for reg in read_only)
    out += [f"    write_ro = {ro_terms};"]
    out += [f"    wr_{reg.name.lower()} = do_write && aw_word_q == {_word(reg)};" for reg in writable]
    out += ["  end", ""]
    out += ["  // Writable fields."]
    for reg, f in stored:
        w = f"[{f.width - 1}:0] " if f.width > 1 else ""
        out.append(f"  logic {w}{port(reg, f)}_q, {port(reg, f)}_d;")
    out += ["", "  always_comb begin"]
    for reg, f in stored:
        name, sel = port(reg, f), f"[{f.lsb} +: {f.width}]"
        wr = f"wr_{reg.name.lower()}"
        if f.access == "rw":
            out.append(f"    {name}_d = {wr} ? ({name}_q & ~wmask{sel}) | wbits{sel} : {name}_q;")
        elif f.access == "w1p":
            out.append(f"    {name}_d = {wr} ? wbits{sel} : '0;")
        else:  # w1c
            out.append(f"    {name}_d = ({name}_q & ~({wr} ? wbits{sel} : '0)) | {name}_set;")
    out += ["  end", "", "  always_ff @(posedge clk) begin", "    if (rst) begin"]
    for reg, f in stored:
        out.append(f"      {port(reg, f)}_q <= {f.width}'h{f.reset:x};")
    out += ["    end else begin"]
    for reg, f in stored:
        out.append(f"      {port(reg, f)}_q <= {port(reg, f)}_d;")
    out += ["    end", "  end", ""]
    for reg, f in stored:
        out.append(f"  assign {port(reg, f)} = {port(reg, f)}_q;")
    out += [
        "",
        "  // -------------------------------------------------------------------------------------------",
        "  // Read channel: the register at ARADDR is registered with the handshake, RVALID the cycle after.",
        "  logic        rvalid_q;",
        "  logic [31:0] rdata_q;",
        "  logic [31:0] rd_word;  // the register at s_axil_araddr",
        "",
        "  assign s_axil_arready = !rvalid_q;",
        "  assign s_axil_rvalid  = rvalid_q;",
        "  assign s_axil_rdata   = rdata_q;",
        "  assign s_axil_rresp   = 2'b00;",
        "",
        "  always_comb begin",
        "    rd_word = '0;  // reserved addresses and bits read 0",
        f"    case (s_axil_araddr[{ADDR_BITS - 1}:2])",
    ]
    for reg in REGISTERS:
        out.append(f"      {_word(reg)}: begin  // {reg.name}")
        for f in reg.fields:
            sel = f"rd_word[{f.lsb} +: {f.width}]"
            if f.access == "const":
                value = f"{f.width}'h{f.reset:x}"
            elif f.access == "param":
                value = f"{f.width}'({f.param})"
            elif f.access == "ro":
                value = port(reg, f)
            elif f.access == "w1p":
                value = "'0"
            else:
                value = f"{port(reg, f)}_q"
            out.append(f"        {sel} = {value};")
        out.append("      end")
    out += [
        "      default: begin",
        "      end",
        "    endcase",
        "  end",
        "",
        "  always_ff @(posedge clk) begin",
        "    if (rst) begin",
        "      rvalid_q <= 1'b0;",
        "    end else begin",
        "      rvalid_q <= (rvalid_q && !s_axil_rready) || (s_axil_arvalid && s_axil_arready);",
        "    end",
        "    if (s_axil_arvalid && s_axil_arready) begin",
        "      rdata_q <= rd_word;",
        "    end",
        "  end",
        "",
        "  logic unused_axil;  // protection, the byte offset inside a word and WDATA above the fields are not decoded",
        "  assign unused_axil = ^{s_axil_awprot, s_axil_arprot, s_axil_awaddr[1:0], s_axil_araddr[1:0],",
        f"                         s_axil_wdata[31:{wb}], s_axil_wstrb[3:{nb}]}};",
        "",
        "`ifndef SYNTHESIS",
        "  // Simulation checks of the five channels' VALID/READY rules (the same as AXI4-Stream's):",
        "  // the master's AW, W, AR and this block's B, R.",
    ]
    channels = (
        ("aw", f"{ADDR_BITS + 3}", "{s_axil_awprot, s_axil_awaddr}", "s_axil_awvalid", "s_axil_awready"),
        ("w", "36", "{s_axil_wstrb, s_axil_wdata}", "s_axil_wvalid", "s_axil_wready"),
        ("b", "2", "s_axil_bresp", "s_axil_bvalid", "s_axil_bready"),
        ("ar", f"{ADDR_BITS + 3}", "{s_axil_arprot, s_axil_araddr}", "s_axil_arvalid", "s_axil_arready"),
        ("r", "34", "{s_axil_rresp, s_axil_rdata}", "s_axil_rvalid", "s_axil_rready"),
    )
    for name, width, data, valid, ready in channels:
        out += [
            "  deltamac_axis_check #(",
            f"      .DATA_W({width}),",
            f"      .NAME  (\"{MODULE} s_axil {name.upper()}\")",
            f"  ) u_{name}_check (",
            "      .clk   (clk),",
            "      .rst   (rst),",
            f"      .tvalid({valid}),",
            f"      .tready({ready}),",
            f"      .tdata ({data}),",
            "      .tlast (1'b0)",
            "  );",
        ]
    out += ["`endif", "", "endmodule", "", "`resetall", ""]
    return "\n".join(out)


# --------------------------------------------------------------------------------------------------
# C header and Markdown

def _c_name(*parts: str) -> str:
    return "_".join(("DELTAMAC", *parts)).upper()


def generate_c() -> str:
    check_table()
    out = [
        "/* deltamac register map (AXI4-Lite, deltamac_axi_top): byte offsets, field shifts and masks.",
        " * GENERATED by `python -m model.regmap` (make regmap) from model/regmap.py: do not edit.",
        " * docs/rtl.md, \"Register map\", has the access rules. */",
        "#ifndef DELTAMAC_REGS_H",
        "#define DELTAMAC_REGS_H",
        "",
        f"#define {_c_name('ID_MAGIC'):<40} {_hex(ID_MAGIC)}u",
        f"#define {_c_name('VERSION_MAJOR'):<40} {VERSION_MAJOR}u",
        f"#define {_c_name('VERSION_MINOR'):<40} {VERSION_MINOR}u",
        f"#define {_c_name('WINDOW_BYTES'):<40} {_hex(2**ADDR_BITS, 3)}u",
        "",
    ]
    for reg in REGISTERS:
        out.append(f"/* {reg.name}: {reg.doc} */")
        out.append(f"#define {_c_name(reg.name, 'OFFSET'):<40} {_hex(reg.offset, 3)}u")
        for f in reg.fields:
            out.append(f"#define {_c_name(reg.name, f.name, 'SHIFT'):<40} {f.lsb}u")
            out.append(f"#define {_c_name(reg.name, f.name, 'MASK'):<40} {_hex(((1 << f.width) - 1) << f.lsb)}u")
        out.append("")
    for i, res in enumerate(RESERVED):
        out.append(f"/* reserved: {res.doc} */")
        out.append(f"#define {_c_name('RESERVED', str(i), 'FIRST'):<40} {_hex(res.first, 3)}u")
        out.append(f"#define {_c_name('RESERVED', str(i), 'LAST'):<40} {_hex(res.last, 3)}u")
        out.append("")
    out += ["#endif /* DELTAMAC_REGS_H */", ""]
    return "\n".join(out)


ACCESS_TEXT = {
    "const": "R (constant)",
    "param": "R (network)",
    "ro": "R",
    "rw": "RW",
    "w1p": "W1 (pulse, reads 0)",
    "w1c": "R/W1C",
}


def generate_md() -> str:
    check_table()
    out = [
        "<!-- GENERATED by `python -m model.regmap` (make regmap) from model/regmap.py: do not edit. -->",
        "",
        f"# deltamac register map (version {VERSION_MAJOR}.{VERSION_MINOR})",
        "",
        f"AXI4-Lite slave `s_axil_*` of `deltamac_axi_top`: 32-bit registers, byte offsets, a "
        f"{2**ADDR_BITS}-byte window. The access rules are in [rtl.md](rtl.md#register-map); the C "
        "header is `sw/deltamac_regs.h`.",
        "",
        "| offset | register | bits | field | access | reset | meaning |",
        "|---|---|---|---|---|---|---|",
    ]
    rows: list[tuple[int, str]] = []
    for reg in REGISTERS:
        lines = []
        for f in reg.fields:
            bits = f"[{f.lsb + f.width - 1}:{f.lsb}]" if f.width > 1 else f"[{f.lsb}]"
            if f.access == "const":
                reset = _hex(f.reset, (f.width + 3) // 4)
            elif f.access == "param":
                reset = f"`{f.param}`"
            elif f.access == "ro":
                reset = "hardware"
            else:
                reset = str(f.reset)
            lines.append(f"| `{_hex(reg.offset, 3)}` | `{reg.name}` | {bits} | `{f.name}` | "
                         f"{ACCESS_TEXT[f.access]} | {reset} | {f.doc} |")
        lines[0] = lines[0].replace(f"| {f'`{reg.name}`'} |", f"| `{reg.name}` ({reg.doc}) |", 1)
        rows += [(reg.offset, line) for line in lines]
    for res in RESERVED:
        rows.append((res.first, f"| `{_hex(res.first, 3)}`-`{_hex(res.last, 3)}` | reserved | | | "
                                f"reads 0, writes ignored | 0 | {res.doc} |"))
    out += [line for _, line in sorted(rows, key=lambda r: r[0])]
    out += [
        "",
        "Every other word of the window is reserved too (reads 0, writes ignored, OKAY). A write to a "
        "register with no writable field (every `R` row) is ignored and answered with SLVERR.",
        "",
    ]
    return "\n".join(out)


GENERATED = {SV_FILE: generate_sv, C_FILE: generate_c, MD_FILE: generate_md}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.regmap", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 on a difference")
    args = parser.parse_args(argv)
    stale = []
    for path, generate in GENERATED.items():
        text = generate()
        if args.check:
            if not path.is_file() or path.read_text() != text:
                stale.append(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"[regmap] wrote {path.relative_to(REPO)}")
    for path in stale:
        print(f"[regmap] {path.relative_to(REPO)} differs from model/regmap.py: run make regmap", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
