"""cocotb testbench for deltamac_act_buffer: byte-stream writes into two banks, word reads.

Random vectors (1..LANES*DEPTH activations, `wr_first` on the first, `wr_last` on the last,
random gaps in `wr_valid`) go to random banks, some preceded by an aborted vector (no `wr_last`,
as when the input stage drops a short image) to the same bank; after each vector both banks are
read back word by word. With WR_ELEMS > 1 each write carries WR_ELEMS consecutive activations
(element e in bits [e*ACT_BITS +: ACT_BITS]); a vector whose length is not a multiple of it is
padded with random values in its last write (they land in padded lanes, which are don't-care). Every word holding an activation of the latest vector written to a bank must hold it
in lane index % LANES (lanes past the end of the vector are don't-care: the sequencer masks them).
A vector written to one bank must leave the other bank untouched. The read-back starts in the
cycle `wr_done` pulses, WRITE_LATENCY cycles after the `wr_last` beat (and only then); a word
requested with `rd_en_next` is checked READ_LATENCY (2 or 3) cycles later.
"""

from __future__ import annotations

import random

import cocotb
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge

from sim.runner import expect_elaboration_failure, rtl, run_cocotb


@cocotb.test()
async def test_vectors(dut):
    lanes, depth, bits = int(dut.LANES.value), int(dut.DEPTH.value), int(dut.ACT_BITS.value)
    elems = int(dut.WR_ELEMS.value)
    write_latency = int(dut.WRITE_LATENCY.value)
    read_latency = int(dut.READ_LATENCY.value)
    rng = random.Random(lanes * 100 + depth + 10000 * (elems - 1))
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
            # WR_ELEMS activations per write, the last write padded with random values
            data = data + [rng.randrange(2**bits) for _ in range(-len(data) % elems)]
            writes = [data[i : i + elems] for i in range(0, len(data), elems)]
            for index, values in enumerate(writes):
                while rng.random() < 0.3:
                    dut.wr_valid.value = 0
                    await FallingEdge(dut.clk)
                dut.wr_valid.value = 1
                dut.wr_first.value = int(index == 0)
                dut.wr_last.value = int(complete and index == len(writes) - 1)
                dut.wr_bank.value = bank
                dut.wr_data.value = sum(value << (e * bits) for e, value in enumerate(values))
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
                await ClockCycles(dut.clk, read_latency - 1, rising=False)  # the word is read (and registered)
                # lanes past the vector's end may never have been written (X): only its lanes are read
                text = str(dut.rd_data.value)  # MSB first
                for lane, value in enumerate(check_vector[word * lanes : (word + 1) * lanes]):
                    field = text[len(text) - (lane + 1) * bits : len(text) - lane * bits]
                    assert set(field) <= {"0", "1"}, f"bank {check_bank} word {word} lane {lane}: {field}"
                    got = int(field, 2)
                    assert got == value, f"bank {check_bank} word {word} lane {lane}: {got}, expected {value}"


SOURCES = rtl("deltamac_delay.sv", "deltamac_act_buffer.sv")


@pytest.mark.parametrize("lanes,depth,distributed,read_latency",
                         [(1, 5, 0, 2), (3, 4, 0, 2), (16, 3, 0, 2), (16, 3, 1, 2), (3, 4, 0, 3), (16, 3, 1, 3)])
def test_deltamac_act_buffer(lanes, depth, distributed, read_latency):
    run_cocotb(
        "deltamac_act_buffer",
        SOURCES,
        test_file=__file__,
        parameters={"LANES": lanes, "DEPTH": depth, "ACT_BITS": 8, "DISTRIBUTED": distributed,
                    "READ_LATENCY": read_latency},
    )


# Several activations per write (the input stage's PIXELS_PER_BEAT): LANES a multiple of WR_ELEMS,
# also not a power of two (6, 12, 24), one group per word (8 / 8), narrow activations.
@pytest.mark.parametrize(
    "lanes,depth,distributed,wr_elems,bits",
    [(2, 5, 0, 2, 8), (6, 4, 0, 2, 8), (12, 3, 1, 4, 8), (16, 3, 0, 4, 8), (8, 3, 0, 8, 8), (24, 2, 1, 8, 8),
     (6, 3, 1, 3, 5)],
)
def test_deltamac_act_buffer_wide(lanes, depth, distributed, wr_elems, bits):
    run_cocotb(
        "deltamac_act_buffer",
        SOURCES,
        test_file=__file__,
        parameters={"LANES": lanes, "DEPTH": depth, "ACT_BITS": bits, "DISTRIBUTED": distributed, "WR_ELEMS": wr_elems},
    )


@pytest.mark.parametrize(
    "parameters,message",
    [({"LANES": 6, "WR_ELEMS": 4}, "LANES (6) must be a multiple of WR_ELEMS (4, activations per write"),
     ({"LANES": 4, "WR_ELEMS": 0}, "LANES (4) must be a multiple of WR_ELEMS (0, activations per write, >= 1)"),
     ({"READ_LATENCY": 4}, "READ_LATENCY must be 2 or 3, got 4")],
)
def test_illegal_parameters(parameters, message, tmp_path):
    expect_elaboration_failure("deltamac_act_buffer", SOURCES, parameters, [message], tmp_path)
