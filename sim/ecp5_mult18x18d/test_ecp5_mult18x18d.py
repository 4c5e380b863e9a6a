"""cocotb testbench for our behavioural ECP5 MULT18X18D model (sim/netlist/ecp5/MULT18X18D.v).

The model stands in for the real multiplier when sim.netlist.run simulates the packed ECP5
netlist, so it is checked on its own here, in every register mode the register packing
(scripts/ecp5_regpack.py) produces: operand registers on or off, and behind the product none,
the output register, or the pipeline and the output register. Random operands with random
SIGNEDA/SIGNEDB (edge values first), random CE0 gaps and an RST0 pulse; each P is compared
with an independent reference: the product of the operands sampled at the L-th last enabled
clock edge, L the number of registers on the path (0: the current operands). A parameter value
the model does not cover must stop the simulation with $fatal.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import cocotb
import pytest
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from sim.runner import REPO, expect_elaboration_failure, run_cocotb, sv_string

TOPLEVEL = "MULT18X18D"
MODEL = REPO / "sim" / "netlist" / "ecp5" / "MULT18X18D.v"
EDGES = [0, 1, 0x1FFFF, 0x20000, 0x3FFFF, 0x20001]  # 0, 1, max positive, min negative, -1 / max unsigned


def operand_value(bits: int, signed: int) -> int:
    """An 18-bit operand as the multiplier reads it."""
    return bits - (1 << 18) if signed and bits & 0x20000 else bits


def product(sample: tuple[int, int, int, int]) -> int:
    """P (36 bits) for one sample (a, signed_a, b, signed_b)."""
    a, signed_a, b, signed_b = sample
    return (operand_value(a, signed_a) * operand_value(b, signed_b)) & ((1 << 36) - 1)


class MultTB:
    def __init__(self, dut, latency: int):
        self.dut = dut
        self.latency = latency
        self.history: list[tuple[int, int, int, int]] = []  # operands at each enabled edge, newest last
        Clock(dut.CLK0, 10, unit="ns").start()
        for name in ("CE0", "RST0", "SIGNEDA", "SIGNEDB", "SOURCEA", "SOURCEB", "CLK1", "CLK2", "CLK3",
                     "CE1", "CE2", "CE3", "RST1", "RST2", "RST3"):
            getattr(dut, name).value = 0
        for i in range(18):
            for bus in ("A", "B", "C", "SRIA", "SRIB"):
                getattr(dut, f"{bus}{i}").value = 0
        self.current = (0, 0, 0, 0)

    def drive(self, sample: tuple[int, int, int, int]) -> None:
        a, signed_a, b, signed_b = sample
        for i in range(18):
            getattr(self.dut, f"A{i}").value = (a >> i) & 1
            getattr(self.dut, f"B{i}").value = (b >> i) & 1
        self.dut.SIGNEDA.value = signed_a
        self.dut.SIGNEDB.value = signed_b
        self.current = sample

    def p(self) -> int:
        return sum(int(getattr(self.dut, f"P{i}").value) << i for i in range(36))

    def expected(self) -> int:
        if self.latency == 0:
            return product(self.current)
        if len(self.history) < self.latency:
            return 0  # registers start at 0
        return product(self.history[-self.latency])

    async def cycle(self, sample, ce: int = 1, rst: int = 0) -> None:
        """Present operands and controls, clock once, check P after the edge."""
        await FallingEdge(self.dut.CLK0)
        self.drive(sample)
        self.dut.CE0.value = ce
        self.dut.RST0.value = rst
        await RisingEdge(self.dut.CLK0)
        if rst:
            self.history = [(0, 0, 0, 0)] * self.latency
        elif ce:
            self.history.append(sample)
        await ReadOnly()
        got, want = self.p(), self.expected()
        assert got == want, (f"P = {got:#011x}, expected {want:#011x} (latency {self.latency}, operands "
                             f"{self.current}, ce {ce}, rst {rst})")


def latency() -> int:
    return sum(int(os.environ[name]) for name in ("MULT_INPUT_REG", "MULT_PIPELINE_REG", "MULT_OUTPUT_REG"))


def samples(rng: random.Random, count: int):
    edge = [(a, sa, b, sb) for a in EDGES for b in EDGES for sa in (0, 1) for sb in (0, 1)]
    rand = [(rng.getrandbits(18), rng.getrandbits(1), rng.getrandbits(18), rng.getrandbits(1)) for _ in range(count)]
    return edge + rand


@cocotb.test()
async def products_back_to_back(dut):
    """Edge values and random operands, every signedness, one per cycle."""
    tb = MultTB(dut, latency())
    for sample in samples(random.Random(1), 400):
        await tb.cycle(sample)
    for _ in range(4):  # drain
        await tb.cycle((0, 0, 0, 0))


@cocotb.test()
async def clock_enable_and_reset(dut):
    """Random CE0 gaps hold every register; an RST0 pulse (with CE0) clears them."""
    tb = MultTB(dut, latency())
    rng = random.Random(2)
    for n, sample in enumerate(samples(rng, 300)):
        await tb.cycle(sample, ce=int(rng.random() < 0.6), rst=int(n == 150))


# (input registers, pipeline register, output register): the modes ecp5_regpack produces.
MODES = [(i, p, o) for i in (0, 1) for p, o in ((0, 0), (0, 1), (1, 1))]


def reg(used: int) -> str:
    return sv_string("CLK0" if used else "NONE")


@pytest.mark.parametrize("input_reg, pipeline_reg, output_reg", MODES)
def test_mult18x18d_model(input_reg, pipeline_reg, output_reg):
    parameters = {"REG_INPUTA_CLK": reg(input_reg), "REG_INPUTB_CLK": reg(input_reg),
                  "REG_PIPELINE_CLK": reg(pipeline_reg), "REG_OUTPUT_CLK": reg(output_reg)}
    run_cocotb(TOPLEVEL, [MODEL], test_file=__file__, parameters=parameters,
               extra_env={"MULT_INPUT_REG": str(input_reg), "MULT_PIPELINE_REG": str(pipeline_reg),
                          "MULT_OUTPUT_REG": str(output_reg)})


@pytest.mark.parametrize(
    "parameters, message",
    [
        ({"REG_INPUTA_CLK": sv_string("CLK1")}, "register clocks"),
        ({"REG_OUTPUT_CE": sv_string("CE2")}, "clock enables other than CE0"),
        ({"REG_PIPELINE_RST": sv_string("RST1")}, "resets other than RST0"),
        ({"REG_INPUTC_CLK": sv_string("CLK0")}, "REG_INPUTC_CLK"),
        ({"MULT_BYPASS": sv_string("ENABLED")}, "not modelled"),
    ],
)
def test_mult18x18d_model_refuses_unmodelled_settings(parameters, message, tmp_path: Path):
    expect_elaboration_failure(TOPLEVEL, [MODEL], parameters, [message], tmp_path)
