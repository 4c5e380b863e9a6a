"""Chunked synthesis of a LUT network's truth tables (ARCHITECTURE.md section 7), for the open flows.

Yosys 0.23 needs about 1.8 s and 25 MB per 256-entry, 2-bit table (deltamac_lutnet_layer's table
read is a constant shift that its optimisation passes fold cell by cell), and the whole layer
of lut-mnist in one run took over 13 minutes and 12 GB before it was stopped. So the flows
synthesise each layer in chunks of at most CHUNK_TABLE_BITS table bits: every chunk is the
hand-written deltamac_lutnet_layer itself, with N_OUT, CONN and TABLE_FILE set to the chunk's
partitions (the lines of lut_l<l>.mem it holds), run through the same synth_xilinx or
synth_ecp5 as the rest, in parallel (`jobs` Yosys processes) and cached: a chunk whose Yosys
version, RTL, parameters and table lines are unchanged is not synthesised again (so `make
sim-netlist` after `make synth` reuses the chunks). A generated wrapper `lutnet_l<l>` puts a
layer's chunks side by side, and the top-level run swaps it in for the top's layer instance
`gen_layer[l].u_layer` (chtype) before synthesising the rest (quantiser, image register,
output rule, framing): the chunks arrive as mapped cells that the top-level run keeps.
"""

from __future__ import annotations

import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from model.lutnet_export import CONN_BITS, MANIFEST, conn_literal, table_file

REPO = Path(__file__).resolve().parents[1]
LAYER_RTL = (REPO / "rtl" / "deltamac_memfile_pkg.sv", REPO / "rtl" / "deltamac_lutnet_layer.sv")
LAYER_MODULE = "deltamac_lutnet_layer"
LUTNET_TOP = "deltamac_lutnet_top"
# Table bits per chunk: 64 partitions of 256 entries x 2 bits, about 2 minutes and 1.6 GB of Yosys.
CHUNK_TABLE_BITS = 1 << 15
CHUNK_CONN_FIELDS = 2048  # a chunk's CONN literal within the Yosys 0.23 lexer's token buffer (16 kB)
# The chunk run of each family: the same synthesis as the top's (no clock buffer: the chunk's
# flip-flops take the top's clock).
FAMILY_SYNTH = {
    "xc7": f"synth_xilinx -family xc7 -top {LAYER_MODULE} -flatten -noiopad -noclkbuf",
    "ecp5": f"synth_ecp5 -top {LAYER_MODULE}",
}


@dataclass(frozen=True)
class Chunk:
    """Partitions first .. first+count-1 of layer `layer`, synthesised as module `module`."""

    layer: int
    first: int
    count: int

    @property
    def module(self) -> str:
        return f"lutnet_l{self.layer}_p{self.first}"


def plan_chunks(manifest: dict, chunk_table_bits: int = CHUNK_TABLE_BITS) -> list[list[Chunk]]:
    """Per layer, its partitions in chunks of at most chunk_table_bits table bits (one partition
    at least)."""
    layers = []
    for index, layer in enumerate(manifest["layers"]):
        per_chunk = max(1, min(chunk_table_bits // layer["table_bits"], CHUNK_CONN_FIELDS // layer["fan_in"]))
        layers.append([Chunk(index, first, min(per_chunk, layer["n_out"] - first))
                       for first in range(0, layer["n_out"], per_chunk)])
    return layers


def chunk_script(chunk: Chunk, manifest: dict, table: Path, netlist: Path, family: str, registered: int) -> list[str]:
    layer = manifest["layers"][chunk.layer]
    fan_in = layer["fan_in"]
    fields = [v for row in manifest["conn"][chunk.layer][chunk.first:chunk.first + chunk.count] for v in row]
    assert len(fields) == chunk.count * fan_in
    parameters = {"N_IN": layer["n_in"], "N_OUT": chunk.count, "FAN_IN": fan_in, "IN_BITS": layer["in_bits"],
                  "OUT_BITS": layer["out_bits"], "CONN_BITS": CONN_BITS, "CONN": conn_literal(fields),
                  "TABLE_FILE": f'"{table}"', "REGISTERED": registered}
    return [
        *(f"read_verilog -sv {path}" for path in LAYER_RTL),
        "chparam " + " ".join(f"-set {name} {value}" for name, value in parameters.items()) + f" {LAYER_MODULE}",
        FAMILY_SYNTH[family],
        f"rename {LAYER_MODULE} {chunk.module}",
        f"write_verilog -noattr {netlist}",
    ]


def layer_wrapper(layer: dict, index: int, chunks: list[Chunk]) -> str:
    """Verilog of `lutnet_l<index>`: deltamac_lutnet_layer's ports, the chunks side by side."""
    in_width, out_bits = layer["n_in"] * layer["in_bits"], layer["out_bits"]
    lines = [f"// layer {index} of a LUT network: {len(chunks)} synthesised chunks (scripts/lutnet_synth.py)",
             f"module lutnet_l{index} (input wire clk, input wire en, input wire [{in_width - 1}:0] in_codes,",
             f"    output wire [{layer['n_out'] * out_bits - 1}:0] out_codes);"]
    for chunk in chunks:
        low, high = chunk.first * out_bits, (chunk.first + chunk.count) * out_bits - 1
        lines.append(f"  {chunk.module} u_{chunk.module} (.clk(clk), .en(en), .in_codes(in_codes), "
                     f".out_codes(out_codes[{high}:{low}]));")
    return "\n".join([*lines, "endmodule", ""])


def _digest(script: list[str], table_lines: list[str], yosys_version: str) -> str:
    digest = hashlib.sha256(yosys_version.encode())
    for path in LAYER_RTL:
        digest.update(path.read_bytes())
    digest.update("\n".join(script).encode())
    digest.update("\n".join(table_lines).encode())
    return digest.hexdigest()


@dataclass
class ChunkedLayers:
    """What the top-level run reads and swaps in, and what it took."""

    read: list[str]          # Yosys commands: read the chunk netlists and the layer wrappers
    swap: list[str]          # Yosys commands after `hierarchy`: the wrappers in for the top's layers
    report: dict             # chunks, synthesised, cached, seconds


def synthesise_layers(build: Path, family: str, run_yosys: Callable[[list[str], Path, str], Path],
                      yosys_version: str, jobs: int, registered: int = 1) -> ChunkedLayers:
    """Synthesise (or take from the cache build/lutnet_chunks/<family>) every chunk of the export
    in `build`; run_yosys(script, work_dir, name) runs one Yosys script."""
    manifest = json.loads((build / MANIFEST).read_text())
    cache = build / "lutnet_chunks" / family
    cache.mkdir(parents=True, exist_ok=True)
    layers = plan_chunks(manifest)
    pending, read, swap, netlists = [], [], [], []
    for index, chunks in enumerate(layers):
        lines = (build / table_file(index)).read_text().splitlines()
        for chunk in chunks:
            table = cache / f"{chunk.module}.mem"
            netlist = cache / f"{chunk.module}.v"
            chunk_lines = lines[chunk.first:chunk.first + chunk.count]
            script = chunk_script(chunk, manifest, table, netlist, family, registered)
            key = _digest(script, chunk_lines, yosys_version)
            stamp = cache / f"{chunk.module}.key"
            if not (netlist.is_file() and stamp.is_file() and stamp.read_text() == key):
                table.write_text("\n".join(chunk_lines) + "\n")
                pending.append((chunk, script, stamp, key))
            netlists.append(netlist)
        wrapper = cache / f"lutnet_l{index}.v"
        wrapper.write_text(layer_wrapper(manifest["layers"][index], index, chunks))
        read.append(f"read_verilog {wrapper}")
        # `?` matches the brackets of the instance name (a selection pattern reads [..] as a set)
        swap.append(f"chtype -set lutnet_l{index} {LUTNET_TOP}/gen_layer?{index}?.u_layer")
    total = sum(len(chunks) for chunks in layers)
    print(f"[lutnet_synth] {family}: {total} chunks of at most {CHUNK_TABLE_BITS} table bits, {len(pending)} to synthesise "
          f"({total - len(pending)} cached), {jobs} at a time", flush=True)
    start = time.monotonic()

    def run(item) -> None:
        chunk, script, stamp, key = item
        stamp.unlink(missing_ok=True)
        run_yosys(script, cache, chunk.module)
        stamp.write_text(key)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(run, pending))
    seconds = time.monotonic() - start
    read = [f"read_verilog {path}" for path in netlists] + read
    report = {"chunks": total, "synthesised": len(pending), "cached": total - len(pending),
              "chunk_table_bits": CHUNK_TABLE_BITS, "jobs": jobs, "seconds": round(seconds, 1)}
    return ChunkedLayers(read, swap, report)
