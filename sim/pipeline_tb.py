"""Shared testbench base for the valid-pipelined datapath stages (delta decoder, MAC array, requant).

These stages share one contract: a beat is taken on every cycle with in_valid high, whatever the
other inputs hold on idle cycles, and each result leaves with out_valid exactly LATENCY cycles after
its last input beat, carrying that beat's in_user sideband. `PipelineTB` drives and checks that
contract once, so each testbench keeps only its stimulus (from the golden model) and its per-output
comparison.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from typing import Any

from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge


class PipelineTB(ABC):
    """Clock, reset and the drive-and-check loop; subclasses supply junk, the comparison and hooks.

    A subclass sets up whatever `drive_junk` needs, then calls `super().__init__`, which drives the
    first junk: the order of random draws (and so the stimulus of every seed) stays the subclass's.
    """

    unit = "output"  # what one result is called in failure messages

    def __init__(self, dut, gaps: random.Random):
        self.dut = dut
        self.latency = int(dut.LATENCY.value)
        self.gaps = gaps  # decides the idle cycles between beats
        Clock(dut.clk, 10, unit="ns").start()
        dut.rst.value = 1
        dut.in_valid.value = 0
        self.drive_junk()

    async def reset(self) -> None:
        await ClockCycles(self.dut.clk, 3)
        await FallingEdge(self.dut.clk)
        self.dut.rst.value = 0

    @abstractmethod
    def drive_junk(self) -> None:
        """Random values on the data and sideband inputs (idle cycles: the stage must ignore them)."""

    @abstractmethod
    def check_output(self, where: str, beat: dict, want: Any) -> None:
        """Compare the outputs (in ReadOnly, out_valid high) with `want`; `beat` is the last input."""

    def check_idle(self, received: int) -> None:
        """Checks on a cycle without out_valid, after `received` results (none by default)."""

    def closes_output(self, beat: dict) -> bool:
        """Whether `beat` is the last input of its result (by default every beat is one result)."""
        return True

    def describe(self, index: int, beat: dict) -> str:
        """How failure messages name result `index`."""
        return f"{self.unit} {index}"

    async def drive_and_check(self, beats: list[dict], expected: list, gap_probability: float) -> None:
        """Drive `beats` ({input name: value}) with random idle cycles (junk on the inputs) in between,
        and check every result in order: its value, its sideband and its exact LATENCY; fail on a hang."""
        dut = self.dut
        queue = list(beats)
        closed: list[tuple[int, dict]] = []  # (cycle, last input beat) of every result sent
        received = cycle = idle_after = 0
        while received < len(expected):
            await FallingEdge(dut.clk)
            if queue and self.gaps.random() >= gap_probability:
                beat = queue.pop(0)
                for name, value in beat.items():
                    getattr(dut, name).value = value
                dut.in_valid.value = 1
                if self.closes_output(beat):
                    closed.append((cycle, beat))
            else:
                dut.in_valid.value = 0
                self.drive_junk()
            await RisingEdge(dut.clk)
            cycle += 1
            await ReadOnly()
            if int(dut.out_valid.value):
                assert received < len(closed), f"out_valid with no {self.unit} in flight ({received} came out)"
                sent_cycle, beat = closed[received]
                where = self.describe(received, beat)
                self.check_output(where, beat, expected[received])
                assert int(dut.out_user.value) == beat["in_user"], f"{where}: sideband misaligned"
                assert cycle - sent_cycle == self.latency, (
                    f"{where}: latency {cycle - sent_cycle}, expected LATENCY = {self.latency}"
                )
                received += 1
            else:
                self.check_idle(received)
            idle_after = 0 if queue else idle_after + 1
            assert idle_after <= self.latency + 1, f"only {received} of {len(expected)} {self.unit}s came out"
