"""model/regmap.py: the committed register block, C header and Markdown table are what the table
generates (nobody edits them by hand), the C header compiles and agrees with the table, and the
table's consistency checks reject a broken table."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import pytest

from model import regmap


@pytest.mark.parametrize("path", list(regmap.GENERATED), ids=lambda p: p.name)
def test_generated_files_are_up_to_date(path: Path) -> None:
    assert path.read_text() == regmap.GENERATED[path](), f"{path} differs from model/regmap.py: run make regmap"


def test_check_reports_a_stale_file(tmp_path: Path, monkeypatch, capsys) -> None:
    stale = tmp_path / "deltamac_regs.sv"
    stale.write_text(regmap.generate_sv().replace("SLVERR", "OKAY", 1))
    monkeypatch.setattr(regmap, "REPO", tmp_path)
    monkeypatch.setattr(regmap, "GENERATED", {stale: regmap.generate_sv})
    assert regmap.main(["--check"]) == 1
    assert "deltamac_regs.sv differs" in capsys.readouterr().err
    assert regmap.main([]) == 0 and regmap.main(["--check"]) == 0


def test_c_header_compiles_and_matches_the_table(tmp_path: Path) -> None:
    gcc = shutil.which("gcc")
    assert gcc, "gcc is needed (apt-get install g++, or make setup)"
    lines = ['#include <stdio.h>', '#include "deltamac_regs.h"', "int main(void) {"]
    for reg in regmap.REGISTERS:
        lines.append(f'  printf("{reg.name} %u\\n", (unsigned)DELTAMAC_{reg.name}_OFFSET);')
        for f in reg.fields:
            lines.append(f'  printf("{reg.name}.{f.name} %u %u\\n", (unsigned)DELTAMAC_{reg.name}_{f.name}_SHIFT, '
                         f"(unsigned)DELTAMAC_{reg.name}_{f.name}_MASK);")
    lines += ['  printf("ID_MAGIC %u\\n", (unsigned)DELTAMAC_ID_MAGIC);', "  return 0;", "}"]
    source = tmp_path / "main.c"
    source.write_text("\n".join(lines) + "\n")
    build = subprocess.run([gcc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-I", str(regmap.C_FILE.parent),
                            "-o", str(tmp_path / "main"), str(source)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    out = subprocess.run([str(tmp_path / "main")], capture_output=True, text=True, check=True).stdout.splitlines()
    expected = []
    for reg in regmap.REGISTERS:
        expected.append(f"{reg.name} {reg.offset}")
        expected += [f"{reg.name}.{f.name} {f.lsb} {((1 << f.width) - 1) << f.lsb}" for f in reg.fields]
    assert out == [*expected, f"ID_MAGIC {int.from_bytes(b'DMAC', 'big')}"]


def test_markdown_lists_every_field() -> None:
    text = regmap.generate_md()
    for reg in regmap.REGISTERS:
        for f in reg.fields:
            assert f"| `{f.name}` |" in text and f"`{reg.name}`" in text


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda regs: (*regs, dataclasses.replace(regs[1], name="X")), "offset 0x4 unaligned, outside the window or taken"),
        (lambda regs: (*regs, dataclasses.replace(regs[1], name="X", offset=0x102)), "outside the window"),
        (lambda regs: (dataclasses.replace(regs[0], fields=(*regs[0].fields, regs[0].fields[0])), *regs[1:]),
         "overlapping another field"),
        (lambda regs: (dataclasses.replace(regs[0], fields=(dataclasses.replace(regs[0].fields[0], width=8),)),
                       *regs[1:]), "does not fit 8 bits"),
        (lambda regs: (*regs, regmap.Register("X", 0x40, "in the reserved range", regs[-1].fields)),
         "overlaps a register"),
    ],
    ids=["taken", "outside", "overlap", "value", "reserved"],
)
def test_check_table_rejects(change, message, monkeypatch) -> None:
    monkeypatch.setattr(regmap, "REGISTERS", change(regmap.REGISTERS))
    with pytest.raises(ValueError, match=message):
        regmap.check_table()
