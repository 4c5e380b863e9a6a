"""cocotb testbench for deltamac_act_buffer: byte-stream writes into two banks, word reads.

Random vectors (1..LANES*DEPTH activations, `wr_first` on the first, `wr_last` on the last,
random gaps in `wr_valid`) go to random banks, some preceded by an aborted vector (no `wr_last`,
as when the input stage drops a short image) to the same bank; after each vector both banks are
read back word by word. Every word holding an activation of the latest vector written to a bank must hold it
in lane index % LANES (lanes past the end of the vector are don't-care: the sequencer masks them).
A vector written to one bank must leave the other bank untouched. The read-back starts in the
cycle `wr_done` pulses, WRITE_LATENCY cycles after the `wr_last` beat (and only then).
"""

from __future__ import annotations

import random

import cocotb
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge

from sim.runner import rtl, run_cocotb


@cocotb.test()
async def test_vectors(dut):
    lanes, depth, bits = int(dut.LANES.value), int(dut.DEPTH.value), int(dut.ACT_BITS.value)
    write_latency = int(dut.WRITE_LATENCY.value)
    rng = random.Random(lanes * 100 + depth)
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    for name in ("wr_valid", "wr_first", "wr_last", "wr_bank", "wr_data", "rd_en_next", "rd_bank_next", "rd_addr_next"):
        getattr(dut, name).value = 0
    dut.rst.value = 1
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0
    banks: dict[int, list[int]] = {}
    for _ in range(30):
        bank = rng.randrange(2)
        vector = [rng.randrange(2**bits) for _ in range(rng.randint(1, lanes * depth))]
        aborted = [rng.randrange(2**bits) for _ in range(rng.randint(1, lanes * depth - 1))]
        await FallingEdge(dut.clk)
        for data, complete in ([(aborted, False)] if rng.random() < 0.5 else []) + [(vector, True)]:
            for index, value in enumerate(data):
                while rng.random() < 0.3:
                    dut.wr_valid.value = 0
                    await FallingEdge(dut.clk)
                dut.wr_valid.value = 1
                dut.wr_first.value = int(index == 0)
                dut.wr_last.value = int(complete and index == len(data) - 1)
                dut.wr_bank.value = bank
                dut.wr_data.value = value
                await FallingEdge(dut.clk)
                assert not int(dut.wr_done.value), "wr_done before the vector's last word was written"
            dut.wr_valid.value = 0
        for _ in range(write_latency - 1):
            assert not int(dut.wr_done.value), "wr_done earlier than WRITE_LATENCY"
            await FallingEdge(dut.clk)
        assert int(dut.wr_done.value), f"no wr_done {write_latency} cycles after wr_last"
        banks[bank] = vector
        for check_bank, check_vector in banks.items():
            for word in range(-(-len(check_vector) // lanes)):
                dut.rd_en_next.value = 1
                dut.rd_bank_next.value = check_bank
                dut.rd_addr_next.value = word
                await FallingEdge(dut.clk)  # the request is registered
                dut.rd_en_next.value = 0
                await FallingEdge(dut.clk)  # the word is read
                data = int(dut.rd_data.value)
                for lane, value in enumerate(check_vector[word * lanes : (word + 1) * lanes]):
                    got = (data >> (lane * bits)) & (2**bits - 1)
                    assert got == value, f"bank {check_bank} word {word} lane {lane}: {got}, expected {value}"


@pytest.mark.parametrize("lanes,depth,distributed", [(1, 5, 0), (3, 4, 0), (16, 3, 0), (16, 3, 1)])
def test_deltamac_act_buffer(lanes, depth, distributed):
    run_cocotb(
        "deltamac_act_buffer",
        rtl("deltamac_act_buffer.sv"),
        test_file=__file__,
        parameters={"LANES": lanes, "DEPTH": depth, "ACT_BITS": 8, "DISTRIBUTED": distributed},
    )
