"""The Vivado flow without Vivado: file lists, TCL scripts run against recorded stubs, XDC files.

The scripts run in tclsh with tests/fpga/vivado_stubs.tcl standing in for Vivado's commands;
the recorded calls must name the part and top of deltamac.core and exactly its files, every one
of which exists for a real export.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from model.export import export_network
from model.formats import DeltaFormat, Scheme
from model.random_net import random_network
from scripts.corefile import main as corefile_main
from scripts.corefile import (
    REPO,
    CoreFileError,
    load_core,
    parse_core,
    require_files,
    resolve_target,
    rom_parameters,
    target_for,
    tcl_text,
)

SCRIPTS = REPO / "scripts"
STUBS = Path(__file__).with_name("vivado_stubs.tcl")
PART = "xc7s15ftgb196-1"
TCL_SCRIPTS = sorted(SCRIPTS.glob("*.tcl"))
XDC_FILES = sorted((REPO / "constraints").glob("*.xdc"))


def tclsh() -> str:
    path = shutil.which("tclsh")
    if path is None:
        raise RuntimeError("required tool 'tclsh' is not on PATH; install it with: apt-get install tcl (or `make setup`)")
    return path


def run_tcl(body: str, tmp_path: Path, check: bool = True) -> subprocess.CompletedProcess:
    driver = tmp_path / "driver.tcl"
    driver.write_text(f"source {{{STUBS}}}\n{body}\n")
    result = subprocess.run([tclsh(), str(driver)], capture_output=True, text=True, timeout=60)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def run_script(script: Path, args: list[str], tmp_path: Path, pre: str = "", check: bool = True):
    """Run a Vivado script under the stubs; returns (calls as lists of words, process)."""
    calls_file = tmp_path / f"{script.stem}.calls"
    quoted = " ".join("{" + a + "}" for a in args)
    result = run_tcl(f"{pre}\nstub_run {{{script}}} {{{calls_file}}} {quoted}", tmp_path, check)
    parse = f"set f [open {{{calls_file}}}]; while {{[gets $f line] >= 0}} {{ puts [join $line \\x1f] }}"
    lines = run_tcl(parse, tmp_path).stdout.splitlines()
    return [line.split("\x1f") for line in lines], result


def calls_named(calls: list[list[str]], name: str) -> list[list[str]]:
    return [c[1:] for c in calls if c[0] == name]


def module_ports(path: Path, module: str) -> list[str]:
    """Port names of an ANSI-style module header."""
    text = path.read_text()
    header = re.search(rf"module\s+{module}\b.*?\)\s*\(\s*(.*?)\);", text, re.S)
    assert header, f"no header of {module} in {path}"
    body = re.sub(r"//[^\n]*", "", header.group(1))
    return [re.findall(r"(\w+)\s*$", decl.strip())[0] for decl in body.split(",") if decl.strip()]


def write_target_tcl(target_name: str, build: Path, tmp_path: Path):
    target = resolve_target(target_name, build)
    require_files(target)
    path = tmp_path / f"{target_name}.tcl"
    path.write_text(tcl_text(target))
    return target, path


@pytest.mark.parametrize("script", TCL_SCRIPTS + XDC_FILES, ids=lambda p: p.name)
def test_tcl_is_complete(script: Path, tmp_path: Path) -> None:
    """Every script and constraint file is complete Tcl (balanced braces, quotes, brackets)."""
    result = run_tcl(f"set f [open {{{script}}}]; puts [info complete [read $f]]", tmp_path)
    assert result.stdout.strip() == "1"


def test_core_lists_every_rtl_file() -> None:
    """deltamac.core is the file list: it names each rtl/ and rtl/board/ file exactly once (rtl/
    in five filesets: the shared primitives, each architecture's own files and the AXI top's, the top last)."""
    core = load_core()
    for filesets, folder in ((("rtl", "overlay", "axi", "dataflow", "lutnet"), REPO / "rtl"), (("board",), REPO / "rtl" / "board")):
        listed = [name for fileset in filesets for name in core["filesets"][fileset]["files"]]
        assert len(listed) == len(set(listed))
        on_disk = sorted(str(p.relative_to(REPO)) for p in folder.glob("*.sv"))
        assert sorted(listed) == on_disk, f"filesets {filesets} differ from {folder}"
    assert core["filesets"]["overlay"]["files"][-1] == "rtl/deltamac_top.sv", "the top comes last"
    assert core["filesets"]["axi"]["files"][-1] == "rtl/deltamac_axi_top.sv", "the top comes last"
    assert core["filesets"]["dataflow"]["files"][-1] == "rtl/deltamac_dataflow_top.sv", "the top comes last"
    assert core["filesets"]["lutnet"]["files"][-1] == "rtl/deltamac_lutnet_top.sv", "the top comes last"
    for name in ("default", "synth", "board", "axi"):
        assert core["targets"][name]["tools"]["vivado"]["part"] == PART


def test_repo_only_list_needs_no_export(capsys) -> None:
    """`corefile list --repo-only` gives the RTL file list for tools that bring their own package."""
    assert corefile_main(["list", "--target", "default", "--repo-only", "--build", "build/no-such-export"]) == 0
    listed = capsys.readouterr().out.split()
    core = load_core()
    assert listed == [str(REPO / name) for fileset in ("rtl", "overlay") for name in core["filesets"][fileset]["files"]]


def test_core_reader_rejects_unsupported_yaml() -> None:
    with pytest.raises(CoreFileError, match=r"core:4: unsupported YAML construct"):
        parse_core("CAPI=2:\nname: x\ntargets:\n  default: &anchor\n")
    with pytest.raises(CoreFileError, match=r"core:1: a CAPI2 core file"):
        parse_core("name: x\n")


def test_resolve_target_substitutes_the_export(small_export: Path) -> None:
    target = resolve_target("default", small_export)
    require_files(target)
    assert target.toplevel == "deltamac_top"
    assert target.sources[0] == small_export / "deltamac_net_pkg.sv"
    assert set(rom_parameters(target)) == {"DELTA_ROM_FILE", "REF_ROM_FILE", "BIAS_ROM_FILE", "MULT_ROM_FILE"}
    with pytest.raises(FileNotFoundError, match="missing files"):
        require_files(resolve_target("default", small_export.parent / "no_such_export"))


def test_plain_export_has_no_reference_rom(tmp_path: Path) -> None:
    """A `plain` network exports no ref.mem: the flows leave REF_ROM_FILE at its default."""
    net = random_network((784, 16, 10), DeltaFormat(Scheme.PLAIN, 6, 6, None), seed=2)
    export_network(net, tmp_path, lanes=5, name="plain")
    target = resolve_target("synth", tmp_path)
    require_files(target)
    assert [p.name for p in target.mem_files] == ["delta.mem", "bias.mem", "mult.mem"]
    assert "REF_ROM_FILE" not in rom_parameters(target)


@pytest.mark.parametrize("target_name", ["synth", "board"])
def test_vivado_build_script(target_name: str, small_export: Path, tmp_path: Path) -> None:
    target, target_tcl = write_target_tcl(target_name, small_export, tmp_path)
    out_dir = tmp_path / "vivado"
    calls, _ = run_script(SCRIPTS / "vivado_build.tcl", [str(target_tcl), str(out_dir), "7.5"], tmp_path)

    (read_verilog,) = calls_named(calls, "read_verilog")
    assert read_verilog[0] == "-sv" and read_verilog[1].split() == [str(p) for p in target.sources]
    (read_mem,) = calls_named(calls, "read_mem")
    assert read_mem[0].split() == [str(p) for p in target.mem_files]
    referenced = [Path(p) for p in read_verilog[1].split() + read_mem[0].split()]
    xdc_calls = calls_named(calls, "read_xdc")
    referenced += [Path(c[-1]) for c in xdc_calls]
    assert all(p.is_file() for p in referenced), [p for p in referenced if not p.is_file()]
    assert [Path(c[-1]) for c in xdc_calls] == [*target.constraints, *target.unmanaged_constraints]

    (synth,) = calls_named(calls, "synth_design")
    assert synth[synth.index("-top") + 1] == target.toplevel
    assert synth[synth.index("-part") + 1] == PART
    generics = [synth[i + 1] for i, word in enumerate(synth) if word == "-generic"]
    assert generics == [f'{name}="{path}"' for name, path in rom_parameters(target).items()]
    order = [c[0] for c in calls]
    steps = ["synth_design", "opt_design", "place_design", "route_design", "report_timing_summary"]
    assert [order.index(s) for s in steps] == sorted(order.index(s) for s in steps)
    reports = [Path(c[-1]) for c in calls_named(calls, "report_utilization") + calls_named(calls, "report_timing_summary")]
    assert reports and all(p.parent == out_dir for p in reports)

    bitstreams = calls_named(calls, "write_bitstream")
    if target_name == "synth":
        assert "-mode" in synth and synth[synth.index("-mode") + 1] == "out_of_context"
        assert xdc_calls == [["-unmanaged", "-mode", "out_of_context", str(REPO / "constraints/deltamac_ooc.xdc")]]
        assert bitstreams == []
    else:
        assert "-mode" not in synth
        assert xdc_calls == [[str(REPO / "constraints/deltamac_xc7s15_board.xdc")]]
        assert bitstreams == [["-force", str(out_dir / "deltamac_uart_top.bit")]]


def test_vivado_build_fails_on_negative_slack(small_export: Path, tmp_path: Path) -> None:
    _, target_tcl = write_target_tcl("synth", small_export, tmp_path)
    _, result = run_script(
        SCRIPTS / "vivado_build.tcl", [str(target_tcl), str(tmp_path / "v"), "10"], tmp_path,
        pre="set ::stub_slack -0.125", check=False,
    )
    assert result.returncode == 1 and "timing not met" in result.stderr


def test_vivado_ip_script(small_export: Path, tmp_path: Path) -> None:
    target, target_tcl = write_target_tcl("default", small_export, tmp_path)
    calls, _ = run_script(SCRIPTS / "vivado_ip.tcl", [str(target_tcl), str(tmp_path / "ip"), "0.1"], tmp_path)
    (project,) = calls_named(calls, "create_project")
    assert project[project.index("-part") + 1] == PART
    added = [p for c in calls_named(calls, "add_files") for p in c[-1].split()]
    assert added == [str(p) for p in (*target.sources, *target.mem_files)]
    assert ["top", "deltamac_top", ""] in calls_named(calls, "set_property")
    buses = [c[0] for c in calls_named(calls, "ipx::add_bus_interface")]
    assert buses == ["s_axis", "m_axis", "rst", "clk"]
    ports = set(module_ports(REPO / "rtl" / "deltamac_top.sv", "deltamac_top"))
    physical = [c[1] for c in calls_named(calls, "set_property") if c[0] == "physical_name"]
    assert physical and set(physical) <= ports, set(physical) - ports
    assert {f"s_axis_{s}" for s in ("tdata", "tvalid", "tready", "tlast")} <= set(physical)
    assert {f"m_axis_{s}" for s in ("tdata", "tvalid", "tready", "tlast")} <= set(physical)
    values = {c[1] for c in calls_named(calls, "set_property") if c[0] == "value"}
    assert {"s_axis:m_axis", "rst", "ACTIVE_HIGH"} <= values
    user = [c[0] for c in calls_named(calls, "ipx::get_user_parameters")]
    assert user == ["OUT_LOGITS", *rom_parameters(target)]
    assert calls_named(calls, "ipx::save_core") == [["stub_core"]]


@pytest.mark.parametrize("period,expected", [(None, "10.000"), ("6.5", "6.5")])
def test_ooc_xdc_clock_period_variable(period: str | None, expected: str, tmp_path: Path) -> None:
    pre = "" if period is None else f"set ::deltamac_clk_period_ns {period}"
    calls_file = tmp_path / "xdc.calls"
    run_tcl(f"{pre}\nstub_run {{{REPO / 'constraints/deltamac_ooc.xdc'}}} {{{calls_file}}}", tmp_path)
    calls = [line.split() for line in calls_file.read_text().splitlines()]
    clocks = [c for c in calls if c[0] == "create_clock"]
    assert len(clocks) == 1 and clocks[0][clocks[0].index("-period") + 1] == expected
    assert "clk" in module_ports(REPO / "rtl" / "deltamac_top.sv", "deltamac_top")


def test_board_xdc_matches_the_board_top() -> None:
    """Every port of deltamac_uart_top has a pin and an I/O standard, and nothing else is pinned."""
    board = resolve_target("board", "build/no-such-export")
    assert [p.name for p in board.constraints] == ["deltamac_xc7s15_board.xdc"]
    xdc = board.constraints[0].read_text()
    assert board.part in xdc, "the board XDC names another part than deltamac.core"
    pinned = re.findall(r"PACKAGE_PIN\s+(\w+)\s+IOSTANDARD\s+\w+\}\s*\[get_ports\s+\{?([\w\[\]]+)\}?\]", xdc)
    ports = module_ports(REPO / "rtl" / "board" / f"{board.toplevel}.sv", board.toplevel)
    wanted = sorted(p for p in ports if p != "led") + [f"led[{i}]" for i in range(4)]
    assert sorted(name for _, name in pinned) == sorted(wanted)
    pins = [pin for pin, _ in pinned]
    assert len(pins) == len(set(pins)), "a package pin is used twice"
    period = float(re.search(r"create_clock .*-period\s+([\d.]+)\s+\[get_ports clk\]", xdc).group(1))
    top = (REPO / "rtl" / "board" / "deltamac_uart_top.sv").read_text()
    clks_per_bit = int(re.search(r"parameter int CLKS_PER_BIT\s*=\s*(\d+)", top).group(1))
    assert round(1e9 / period / 115200) == clks_per_bit, "board clock and CLKS_PER_BIT disagree on 115200 baud"


def test_vivado_targets_stop_without_vivado() -> None:
    """`make bitstream`/`ip`/`vivado-ooc` depend on vivado-check, which fails loudly."""
    result = subprocess.run(
        ["make", "--no-print-directory", "vivado-check", "VIVADO=deltamac-no-such-vivado"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "is not on PATH" in result.stderr and "settings64.sh" in result.stderr
    makefile = (REPO / "mk" / "fpga.mk").read_text()
    for target in ("bitstream", "vivado-ooc", "ip"):
        assert re.search(rf"^{target}: setup vivado-check ", makefile, re.M)


def test_an_export_of_an_older_format_is_refused_with_the_renew_command(small_export, tmp_path):
    """A version-1 export's package lacks LAYER_ACT_BITS: every flow names the re-export instead of failing in the tools."""
    old = tmp_path / "old"
    shutil.copytree(small_export, old)
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["format_version"] = 1
    (old / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CoreFileError, match=r"export format_version 1, the RTL needs 2 .* re-export it: make rom CONFIG"):
        resolve_target("default", old)
    assert resolve_target("default", old, export_needed=False).toplevel == "deltamac_top"


def test_vivado_build_script_for_a_dataflow_export(small_dataflow_export: Path, tmp_path: Path) -> None:
    """`make vivado-ooc` on a dataflow export builds deltamac_dataflow_top: its per-layer ROM images,
    ROM_DIR the export directory; the board top has no dataflow version and says so."""
    assert target_for(small_dataflow_export, "synth") == "dataflow_synth"
    target, target_tcl = write_target_tcl("dataflow_synth", small_dataflow_export, tmp_path)
    assert [p.name for p in target.mem_files] == ["l0_delta.mem", "l0_ref.mem", "l0_bias.mem", "l0_mult.mem",
                                                  "l1_delta.mem", "l1_ref.mem", "l1_bias.mem", "l1_mult.mem"]
    calls, _ = run_script(SCRIPTS / "vivado_build.tcl", [str(target_tcl), str(tmp_path / "vivado"), "7.5"], tmp_path)
    (synth,) = calls_named(calls, "synth_design")
    assert synth[synth.index("-top") + 1] == "deltamac_dataflow_top"
    generics = [synth[i + 1] for i, word in enumerate(synth) if word == "-generic"]
    assert generics == [f'ROM_DIR="{small_dataflow_export}"']
    (read_mem,) = calls_named(calls, "read_mem")
    assert read_mem[0].split() == [str(p) for p in target.mem_files]
    with pytest.raises(CoreFileError, match="is a dataflow export; deltamac.core target 'board' builds the shared-lane core only"):
        target_for(small_dataflow_export, "board")


def test_dataflow_export_without_pixels_per_beat_is_refused(small_dataflow_export: Path, tmp_path: Path) -> None:
    """A dataflow export of the first format (no PIXELS_PER_BEAT in its package) names the re-export."""
    old = tmp_path / "old"
    shutil.copytree(small_dataflow_export, old)
    manifest = json.loads((old / "manifest.json").read_text())
    del manifest["pixels_per_beat"]
    (old / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CoreFileError, match="made before PIXELS_PER_BEAT .* re-export it"):
        resolve_target("dataflow", old)


def test_vivado_build_script_for_a_lutnet_export(small_lutnet_export: Path, tmp_path: Path) -> None:
    """`make vivado-ooc` on a LUT-network export builds deltamac_lutnet_top: the table files its
    manifest lists, ROM_DIR the export directory; the board top has no LUT-network version."""
    assert target_for(small_lutnet_export, "synth") == "lutnet_synth"
    assert target_for(small_lutnet_export) == "lutnet"
    target, target_tcl = write_target_tcl("lutnet_synth", small_lutnet_export, tmp_path)
    assert [p.name for p in target.mem_files] == ["lut_l0.mem", "lut_l1.mem"]
    assert target.sources[0] == small_lutnet_export / "deltamac_net_pkg.sv"
    assert target.sources[-1] == REPO / "rtl" / "deltamac_lutnet_top.sv"
    assert rom_parameters(target) == {"ROM_DIR": small_lutnet_export}
    calls, _ = run_script(SCRIPTS / "vivado_build.tcl", [str(target_tcl), str(tmp_path / "vivado"), "7.5"], tmp_path)
    (synth,) = calls_named(calls, "synth_design")
    assert synth[synth.index("-top") + 1] == "deltamac_lutnet_top"
    generics = [synth[i + 1] for i, word in enumerate(synth) if word == "-generic"]
    assert generics == [f'ROM_DIR="{small_lutnet_export}"']
    (read_mem,) = calls_named(calls, "read_mem")
    assert read_mem[0].split() == [str(p) for p in target.mem_files]
    with pytest.raises(CoreFileError, match="is a LUT-network export; deltamac.core target 'board' builds the shared-lane core only"):
        target_for(small_lutnet_export, "board")
    with pytest.raises(CoreFileError, match="is a LUT-network export; deltamac.core target 'dataflow' builds another architecture's core"):
        target_for(small_lutnet_export, "dataflow")


def test_lutnet_export_of_another_version_is_refused(small_lutnet_export: Path, tmp_path: Path) -> None:
    """A LUT-network manifest of another lutnet_version names the re-export instead of failing in the tools."""
    old = tmp_path / "old"
    shutil.copytree(small_lutnet_export, old)
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["lutnet_version"] = 0
    (old / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CoreFileError, match="lutnet_version 0, the RTL reads version 1; re-export it"):
        resolve_target("lutnet", old)
    assert resolve_target("lutnet", old, export_needed=False).toplevel == "deltamac_lutnet_top"
