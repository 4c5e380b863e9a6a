"""End-to-end test of the board example: FashionMNIST images over the UART, class back.

The real deltamac_top (sources from deltamac.core target `board`) runs a seeded random
network exported into a temporary directory. Each image is sent bit by bit on uart_rxd
(8N1, small CLKS_PER_BIT); the byte coming back on uart_txd and the LEDs must equal
model.inference.predict on the same network.
"""

from __future__ import annotations

import os
import cocotb
import numpy as np
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, with_timeout

from model.datasets import load_fashion_mnist
from model.export import export_network, load_export
from model.formats import DeltaFormat, Scheme
from model.inference import predict
from model.random_net import random_network
from scripts.corefile import require_files, resolve_target, rom_parameters
from sim.runner import SIM_BUILD, run_cocotb, sv_string

CLK_NS = 10
IMAGE_INDICES = (0, 1)  # FashionMNIST test-set images sent back to back


class UartTopTB:
    """Drives uart_rxd and decodes uart_txd at CLKS_PER_BIT clocks per bit."""

    def __init__(self, dut) -> None:
        self.dut = dut
        self.cpb = int(dut.CLKS_PER_BIT.value)
        self.ascii = int(dut.ASCII_RESULT.value)

    async def reset(self) -> None:
        dut = self.dut
        dut.uart_rxd.value = 1
        dut.rst_btn.value = 1
        cocotb.start_soon(Clock(dut.clk, CLK_NS, unit="ns").start())
        await ClockCycles(dut.clk, 10)
        dut.rst_btn.value = 0
        await ClockCycles(dut.clk, 10)

    async def send_byte(self, value: int) -> None:
        """Start bit, 8 data bits LSB first, stop bit; each held for CLKS_PER_BIT cycles."""
        for bit in [0, *((value >> i) & 1 for i in range(8)), 1]:
            self.dut.uart_rxd.value = bit
            await ClockCycles(self.dut.clk, self.cpb)

    async def send_image(self, pixels: np.ndarray) -> None:
        for value in pixels:
            await self.send_byte(int(value))

    async def receive_byte(self) -> int:
        """Wait for a start bit on uart_txd and sample every bit in its middle."""
        dut = self.dut
        await FallingEdge(dut.uart_txd)
        await ClockCycles(dut.clk, self.cpb // 2)
        assert int(dut.uart_txd.value) == 0, "start bit not low in its middle"
        value = 0
        for i in range(8):
            await ClockCycles(dut.clk, self.cpb)
            value |= int(dut.uart_txd.value) << i
        await ClockCycles(dut.clk, self.cpb)
        assert int(dut.uart_txd.value) == 1, "stop bit not high"
        return value

    def expected_byte(self, label: int) -> int:
        return ord("0") + label if self.ascii else label


@cocotb.test()
async def images_over_uart(dut):
    """Every image's class comes back over the UART and on the LEDs, equal to the golden model."""
    tb = UartTopTB(dut)
    net, _ = load_export(os.environ["DELTAMAC_EXPORT"])
    images = load_fashion_mnist("test")[0][list(IMAGE_INDICES)]
    expected = [int(c) for c in predict(net, images)]
    await tb.reset()

    received: list[int] = []

    async def receiver() -> None:
        for _ in expected:
            received.append(await tb.receive_byte())

    rx_task = cocotb.start_soon(receiver())
    for image in images:
        await tb.send_image(image.reshape(-1))
    bit_ns = tb.cpb * CLK_NS
    await with_timeout(rx_task, 40 * bit_ns + 200_000, "ns")
    assert received == [tb.expected_byte(c) for c in expected], f"expected classes {expected}"
    await RisingEdge(dut.clk)
    assert int(dut.led.value) == expected[-1], "LEDs do not show the last class"
    assert int(dut.led_error.value) == 0, "a byte or an image was dropped"


@pytest.mark.parametrize("clks_per_bit,ascii_result", [(4, 1), (7, 0)])
def test_deltamac_uart_top(clks_per_bit: int, ascii_result: int) -> None:
    """Export a seeded random 784-32-10 network for 16 lanes and run the board top on it."""
    export = SIM_BUILD / "deltamac_uart_top" / f"net_cpb{clks_per_bit}"  # one per test: xdist-safe
    net = random_network((784, 32, 10), DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, None), seed=1)
    export_network(net, export, lanes=16, name="uart_top_test")
    target = resolve_target("board", export)
    require_files(target)
    roms = {name: sv_string(path) for name, path in rom_parameters(target).items()}
    run_cocotb(
        toplevel=target.toplevel,
        sources=list(target.sources),
        test_file=__file__,
        parameters={"CLKS_PER_BIT": clks_per_bit, "ASCII_RESULT": ascii_result, **roms},
        extra_env={"DELTAMAC_EXPORT": str(export)},
    )
