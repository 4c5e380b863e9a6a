"""Host driver for the deltamac IP behind `deltamac_axi_top`: registers, images in, results out.

The driver talks to the core through a *transport*, which moves 32-bit register words at a byte
offset of the AXI4-Lite window and the two streams (pixel bytes to `s_axis`, result words from
`m_axis`). Three transports come with it:

  MmioTransport    Linux on the FPGA's CPU (a Zynq, a soft CPU): the register window mmap-ed from
                   /dev/mem or a UIO device; the streams through callables of yours (your DMA).
  UartTransport    the UART board example (rtl/board/deltamac_uart_top.sv), over any object with
                   read(n)/write(bytes) such as a pyserial port. That example carries images and
                   class bytes only, no registers: ID, shape, counters, reset and interrupt are
                   not reachable through it.
  CocotbTransport  the simulated deltamac_axi_top, through cocotbext-axi's AxiLiteMaster,
                   AxiStreamSource and AxiStreamSink (sim/deltamac_host/ tests the driver so).

One driver, two front ends. `AsyncDeltamac` is the driver: its methods are coroutines and it
awaits an `AsyncTransport` (CocotbTransport). `Deltamac` is the same driver for a synchronous
`Transport` (MmioTransport, UartTransport): it runs each coroutine of AsyncDeltamac to completion
on the spot. A synchronous transport never suspends, so no event loop is involved and `Deltamac`
also works where one is already running (a Jupyter notebook on a PYNQ board).

Register names, offsets and fields come from the table in model/regmap.py, never typed here. The
stream formats are those of docs/rtl.md: an image is IN_PIXELS bytes, pixel i at byte i (row-major;
several pixels per beat go LSB first, so a DMA sends the byte buffer as it is); a result is
NUM_CLASSES logits (32-bit two's complement) then the class index when NET_FORMAT.OUT_LOGITS is 1,
the class index alone otherwise, TLAST on the class index.

    from sw.deltamac_host import Deltamac, MmioTransport
    core = Deltamac(MmioTransport("/dev/uio0", send=dma_send, receive=dma_receive), export="build/s15")
    result = core.classify(image)          # image: uint8, IN_PIXELS pixels
    print(result.class_index, result.logits, core.counters())
"""

from __future__ import annotations

import functools
import inspect
import mmap
import os
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

import numpy as np

from model import regmap
from model.export import OVERLAY, load_export
from model.formats import Scheme

REGISTERS = {reg.name: reg for reg in regmap.REGISTERS}
WINDOW_BYTES = 2**regmap.ADDR_BITS  # the AXI4-Lite window of one core
OKAY = 0  # AXI response of a successful access (cocotbext-axi's AxiResp.OKAY)


class DeltamacError(RuntimeError):
    """The core, its network or the transport is not what the driver expects; the message says how."""


# --------------------------------------------------------------------------------------------------
# Register fields, from the table


def field(register: str, name: str) -> regmap.Field:
    """The field `name` of `register` in model/regmap.py's table."""
    return next(f for f in REGISTERS[register].fields if f.name == name)


def field_mask(f: regmap.Field) -> int:
    return ((1 << f.width) - 1) << f.lsb


def get_field(word: int, register: str, name: str) -> int:
    f = field(register, name)
    return (word & field_mask(f)) >> f.lsb


def set_field(word: int, register: str, name: str, value: int) -> int:
    """`word` with the field replaced by `value`."""
    f = field(register, name)
    return (word & ~field_mask(f)) | ((value << f.lsb) & field_mask(f))


def export_shape(manifest: dict) -> dict[str, int]:
    """The network-shape values an export fixes, keyed by the table's `param` names (the others,
    PIXELS_PER_BEAT and OUT_LOGITS, are parameters of the top, not of the network)."""
    architecture = manifest.get("architecture", OVERLAY)
    if architecture != OVERLAY:
        raise DeltamacError(f"the export is a {architecture} network; deltamac_axi_top runs {OVERLAY} exports")
    topology, fmt = manifest["topology"], manifest["delta"]
    return {
        "NUM_LAYERS": len(manifest["layers"]),
        "IN_PIXELS": topology[0],
        "NUM_CLASSES": topology[-1],
        "LANES": manifest["lanes"],
        "SCHEME": int(Scheme.from_name(fmt["scheme"])),
        "WEIGHT_BITS": fmt["weight_bits"],
        "DELTA_BITS": fmt["delta_bits"],
    }


# --------------------------------------------------------------------------------------------------
# Transports


class Transport(Protocol):
    """A synchronous transport. `has_registers` False (a transport of images only) leaves out
    read32/write32 and gives `out_logits` instead, whether its results carry the logits."""

    has_registers: bool

    def read32(self, offset: int) -> int:
        """The 32-bit register at byte `offset` of the window."""

    def write32(self, offset: int, value: int) -> None:
        """Write the 32-bit register at byte `offset`."""

    def send_pixels(self, pixels: bytes) -> None:
        """Send one image: IN_PIXELS bytes, pixel i at byte i, TLAST on the last."""

    def receive_result(self, words: int) -> Sequence[int]:
        """The next result frame's 32-bit words (`words` of them expected), up to its TLAST."""


class AsyncTransport(Protocol):
    """The same four operations as coroutines."""

    has_registers: bool

    async def read32(self, offset: int) -> int: ...

    async def write32(self, offset: int, value: int) -> None: ...

    async def send_pixels(self, pixels: bytes) -> None: ...

    async def receive_result(self, words: int) -> Sequence[int]: ...


class MmioTransport:
    """Registers through an mmap of `path` at byte `offset`: /dev/mem at the core's physical base
    address (root; any offset, the page is found here), or a UIO device (/dev/uioN, map n at
    offset n * page size). A register access moves one aligned 4-byte word (a memoryview of
    32-bit items), never byte by byte.

    The streams are yours to attach, usually an AXI DMA: `send(pixels: bytes)` moves one image to
    s_axis (MM2S, TLAST at the end of the buffer) and returns when it is taken; `receive(nbytes)`
    returns the `nbytes` bytes of the next result frame from m_axis (S2MM: 32-bit words,
    little-endian). Without them the registers still work and classify() says what is missing.
    """

    has_registers = True

    def __init__(self, path: str | os.PathLike, offset: int = 0, send: Callable[[bytes], None] | None = None,
                 receive: Callable[[int], bytes] | None = None) -> None:
        self.send, self.receive = send, receive
        page_offset = offset % mmap.ALLOCATIONGRANULARITY
        fd = os.open(path, os.O_RDWR | os.O_SYNC)
        try:
            self._map = mmap.mmap(fd, page_offset + WINDOW_BYTES, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE,
                                  offset=offset - page_offset)
        finally:
            os.close(fd)
        self._words = memoryview(self._map)[page_offset: page_offset + WINDOW_BYTES].cast("I")
        if self._words.itemsize != 4:
            raise DeltamacError(f"this platform's C unsigned int has {self._words.itemsize} bytes, not 4")

    def close(self) -> None:
        self._words.release()
        self._map.close()

    def read32(self, offset: int) -> int:
        return self._words[offset // 4]

    def write32(self, offset: int, value: int) -> None:
        self._words[offset // 4] = value

    def send_pixels(self, pixels: bytes) -> None:
        if self.send is None:
            raise DeltamacError("no pixel stream attached: give MmioTransport send=, e.g. your DMA's MM2S transfer")
        self.send(pixels)

    def receive_result(self, words: int) -> Sequence[int]:
        if self.receive is None:
            raise DeltamacError("no result stream attached: give MmioTransport receive=, e.g. your DMA's S2MM transfer")
        data = self.receive(4 * words)
        if len(data) % 4:
            raise DeltamacError(f"the result stream returned {len(data)} bytes, not whole 32-bit words")
        return [int(w) for w in np.frombuffer(data, "<u4")]


class UartTransport:
    """The UART board example (deltamac_uart_top): an image goes out as IN_PIXELS raw bytes and
    its class comes back as one byte, the ASCII digit '0' + class (`ascii_result`, the example's
    default ASCII_RESULT=1) or the raw class. `port` is any object with write(bytes) and read(n),
    e.g. serial.Serial("/dev/ttyUSB0", 115200, timeout=2); read returning fewer bytes means a
    timeout. The line has no framing: the board's reset button re-aligns its byte counter.
    No registers: AsyncDeltamac/Deltamac then need the export to know the image size."""

    has_registers = False
    out_logits = False

    def __init__(self, port, ascii_result: bool = True) -> None:
        self.port, self.ascii_result = port, ascii_result

    def send_pixels(self, pixels: bytes) -> None:
        self.port.write(pixels)

    def receive_result(self, words: int) -> Sequence[int]:
        data = self.port.read(1)
        if len(data) != 1:
            raise DeltamacError("no class byte came back before the serial port's timeout")
        if not self.ascii_result:
            return [data[0]]
        if not data.isdigit():
            raise DeltamacError(f"the board sent {data!r}, not an ASCII digit: built with ASCII_RESULT=0?")
        return [data[0] - ord("0")]


class CocotbTransport:
    """The simulated deltamac_axi_top through cocotbext-axi objects the bench made (its clock and
    aresetn): `axil` an AxiLiteMaster on s_axil, `source` an AxiStreamSource on s_axis, `sink` an
    AxiStreamSink on m_axis (byte_size=32, one word per beat). A response other than OKAY raises."""

    has_registers = True

    def __init__(self, axil, source, sink) -> None:
        self.axil, self.source, self.sink = axil, source, sink

    async def read32(self, offset: int) -> int:
        resp = await self.axil.read(offset, 4)
        if resp.resp != OKAY:
            raise DeltamacError(f"read at {offset:#x} answered {resp.resp!r}")
        return int.from_bytes(resp.data, "little")

    async def write32(self, offset: int, value: int) -> None:
        resp = await self.axil.write(offset, value.to_bytes(4, "little"))
        if resp.resp != OKAY:
            raise DeltamacError(f"write of {value:#x} at {offset:#x} answered {resp.resp!r}")

    async def send_pixels(self, pixels: bytes) -> None:
        await self.source.send(pixels)

    async def receive_result(self, words: int) -> Sequence[int]:
        frame = await self.sink.recv()
        return [int(w) for w in frame.tdata]


# --------------------------------------------------------------------------------------------------
# The driver


@dataclass(frozen=True)
class Result:
    class_index: int
    logits: np.ndarray | None  # int64 [NUM_CLASSES] when the core sends them (NET_FORMAT.OUT_LOGITS)


@dataclass(frozen=True)
class Counters:
    images: int  # results sent since reset
    dropped: int  # wrong-length images dropped
    swallowed: int  # images swallowed after a missing TLAST
    cycles: int  # clock cycles since the core's reset


def transport_name(transport) -> str:
    """The class name of a transport, also through the synchronous front end's adapter."""
    return getattr(transport, "name", type(transport).__name__)


class AsyncDeltamac:
    """The driver. Make one with `await AsyncDeltamac.open(transport, export)`: it reads ID and
    VERSION (refusing another core or an unsupported major version) and the network-shape
    registers, and with `export` (an export directory) checks them against its manifest."""

    def __init__(self, transport: AsyncTransport, shape: dict[str, int]) -> None:
        self.transport = transport
        self.shape = shape  # the table's param names -> values, e.g. shape["IN_PIXELS"]

    @classmethod
    async def open(cls, transport: AsyncTransport, export: str | os.PathLike | None = None) -> AsyncDeltamac:
        expected = None if export is None else export_shape(load_export(export)[1])
        if not transport.has_registers:
            if expected is None:
                raise DeltamacError(f"{transport_name(transport)} carries no registers: "
                                    "give the export directory of the network the board runs")
            return cls(transport, {**expected, "OUT_LOGITS": int(transport.out_logits)})
        core = cls(transport, {})
        await core.check_identity()
        core.shape = await core.read_shape()
        if expected is not None:
            wrong = [f"{name} is {core.shape[name]} in the core, {value} in the export"
                     for name, value in expected.items() if core.shape[name] != value]
            if wrong:
                raise DeltamacError(f"the core does not run the network of {export}: " + "; ".join(wrong))
        return core

    def offset(self, register: str) -> int:
        """The register's byte offset, if the transport carries registers."""
        if not self.transport.has_registers:
            raise DeltamacError(f"{transport_name(self.transport)} carries no registers ({register})")
        return REGISTERS[register].offset

    async def read(self, register: str) -> int:
        """The register `register` (a name of the table), as a 32-bit word."""
        return await self.transport.read32(self.offset(register))

    async def write(self, register: str, value: int) -> None:
        """Write the 32-bit word `value` to the register `register`."""
        await self.transport.write32(self.offset(register), value)

    async def check_identity(self) -> None:
        magic = await self.read("ID")
        if magic != regmap.ID_MAGIC:
            raise DeltamacError(f"no deltamac core there: ID reads {magic:#010x}, "
                                f"expected {regmap.ID_MAGIC:#010x} (\"DMAC\")")
        version = await self.read("VERSION")
        major, minor = get_field(version, "VERSION", "MAJOR"), get_field(version, "VERSION", "MINOR")
        if major != regmap.VERSION_MAJOR:
            raise DeltamacError(f"register map version {major}.{minor}: this driver supports "
                                f"version {regmap.VERSION_MAJOR}.x only")

    async def read_shape(self) -> dict[str, int]:
        """Every `param` field of the table, read from the core."""
        shape = {}
        for reg in regmap.REGISTERS:
            params = [f for f in reg.fields if f.access == "param"]
            if params:
                word = await self.read(reg.name)
                shape.update({f.param: get_field(word, reg.name, f.name) for f in params})
        return shape

    async def classify(self, image) -> Result:
        """Send one image (uint8, IN_PIXELS pixels in any shape, row-major) and wait for its result."""
        pixels = np.asarray(image)
        inputs, classes = self.shape["IN_PIXELS"], self.shape["NUM_CLASSES"]
        if pixels.dtype != np.uint8:
            raise DeltamacError(f"an image is uint8 pixels, got dtype {pixels.dtype}")
        if pixels.size != inputs:
            raise DeltamacError(f"the core takes images of {inputs} pixels, got {pixels.size} (shape {pixels.shape})")
        await self.transport.send_pixels(pixels.tobytes())
        words = classes + 1 if self.shape["OUT_LOGITS"] else 1
        frame = list(await self.transport.receive_result(words))
        if len(frame) != words:
            raise DeltamacError(f"a result of {len(frame)} words, expected {words}")
        class_index = frame[-1]
        if class_index >= classes:
            raise DeltamacError(f"class index {class_index} out of range ({classes} classes)")
        logits = np.array(frame[:-1], dtype=np.uint32).view(np.int32).astype(np.int64) if words > 1 else None
        return Result(class_index, logits)

    async def counters(self) -> Counters:
        """IMAGES, DROPPED, SWALLOWED and CYCLES, each read once."""
        return Counters(*[await self.read(name) for name in ("IMAGES", "DROPPED", "SWALLOWED", "CYCLES")])

    async def busy(self) -> bool:
        """STATUS.BUSY: an image is being received, computed or sent."""
        return bool(get_field(await self.read("STATUS"), "STATUS", "BUSY"))

    async def soft_reset(self) -> None:
        """Reset the core: images in flight are dropped, the counters restart at 0; IRQ_ENABLE,
        IRQ_STATUS and LAST_CLASS keep their values."""
        await self.write("CONTROL", set_field(await self.read("CONTROL"), "CONTROL", "SOFT_RESET", 1))

    async def enable_interrupt(self, enabled: bool = True) -> None:
        """Let (or stop) IRQ_STATUS.RESULT drive the irq output."""
        await self.write("CONTROL", set_field(await self.read("CONTROL"), "CONTROL", "IRQ_ENABLE", int(enabled)))

    async def interrupt_enabled(self) -> bool:
        """CONTROL.IRQ_ENABLE."""
        return bool(get_field(await self.read("CONTROL"), "CONTROL", "IRQ_ENABLE"))

    async def interrupt_pending(self) -> bool:
        """IRQ_STATUS.RESULT: a result left the core since the last clear."""
        return bool(get_field(await self.read("IRQ_STATUS"), "IRQ_STATUS", "RESULT"))

    async def clear_interrupt(self) -> None:
        """Clear IRQ_STATUS.RESULT (write 1 to it); the irq output falls with it."""
        await self.write("IRQ_STATUS", set_field(0, "IRQ_STATUS", "RESULT", 1))


def run_to_completion(coroutine):
    """Run a coroutine that never suspends (AsyncDeltamac over a synchronous transport)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise DeltamacError("the transport suspended: use AsyncDeltamac for an asynchronous transport")


class _Awaitable:
    """A synchronous Transport seen as an AsyncTransport."""

    def __init__(self, transport: Transport) -> None:
        for name in ("read32", "write32", "send_pixels", "receive_result"):
            if inspect.iscoroutinefunction(getattr(transport, name, None)):
                raise DeltamacError(f"{type(transport).__name__} is asynchronous: use AsyncDeltamac")
        self.transport, self.name = transport, type(transport).__name__
        self.has_registers = transport.has_registers
        self.out_logits = getattr(transport, "out_logits", False)

    async def read32(self, offset: int) -> int:
        return self.transport.read32(offset)

    async def write32(self, offset: int, value: int) -> None:
        self.transport.write32(offset, value)

    async def send_pixels(self, pixels: bytes) -> None:
        self.transport.send_pixels(pixels)

    async def receive_result(self, words: int) -> Sequence[int]:
        return self.transport.receive_result(words)


class _Synchronous:
    """A coroutine method of AsyncDeltamac, called on Deltamac without await."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name
        self.__doc__ = getattr(AsyncDeltamac, name).__doc__

    def __get__(self, driver, owner=None):
        if driver is None:
            return self
        method = getattr(driver.core, self.name)
        return functools.wraps(method)(lambda *args, **kwargs: run_to_completion(method(*args, **kwargs)))


class Deltamac:
    """AsyncDeltamac for a synchronous Transport: the same methods, called without await."""

    def __init__(self, transport: Transport, export: str | os.PathLike | None = None) -> None:
        self.core = run_to_completion(AsyncDeltamac.open(_Awaitable(transport), export))

    @property
    def shape(self) -> dict[str, int]:
        return self.core.shape

    read = _Synchronous()
    write = _Synchronous()
    classify = _Synchronous()
    counters = _Synchronous()
    busy = _Synchronous()
    soft_reset = _Synchronous()
    enable_interrupt = _Synchronous()
    interrupt_enabled = _Synchronous()
    interrupt_pending = _Synchronous()
    clear_interrupt = _Synchronous()
