"""sw/deltamac_host.py without a simulator: the mmap transport on a temporary file standing in for
/dev/mem (register words where model/regmap.py's table puts them), the UART transport against a
fake serial port that implements the board example's protocol, and every error path. Expected
results come from the golden model (model.inference) on a small exported random network; register
words are built from the table. The driver against the simulated RTL: sim/deltamac_host/."""

from __future__ import annotations

import asyncio
import mmap
import re
import struct
from pathlib import Path

import numpy as np
import pytest

from model import regmap
from model.export import export_network
from model.formats import DeltaFormat, Scheme
from model.inference import predict, run_network
from model.random_net import random_network
from sw.deltamac_host import (
    REGISTERS,
    WINDOW_BYTES,
    CocotbTransport,
    Counters,
    Deltamac,
    DeltamacError,
    MmioTransport,
    UartTransport,
    export_shape,
    run_to_completion,
)

PAGE = mmap.ALLOCATIONGRANULARITY
BASE = PAGE + 0x100  # the core's window inside the stand-in for /dev/mem: not page-aligned
FILL = 0xA5  # every byte of the file outside what a test writes


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """A small exported network (64-16-10, 4 lanes): (directory, network, manifest)."""
    out = tmp_path_factory.mktemp("net")
    net = random_network((64, 16, 10), DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, None), seed=11)
    manifest = export_network(net, out, lanes=4, name="host_driver_test")
    return out, net, manifest


def images(count: int, pixels: int = 64, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (count, pixels), dtype=np.uint8)


def lsb(register: str, name: str) -> int:
    """Bit position of a field, from the table."""
    return next(f.lsb for f in REGISTERS[register].fields if f.name == name)


def word_at(path: Path, offset: int) -> int:
    return struct.unpack_from("<I", path.read_bytes(), offset)[0]


def put_word(path: Path, offset: int, value: int) -> None:
    with path.open("r+b") as f:
        f.seek(offset)
        f.write(struct.pack("<I", value))


def register_file(tmp_path: Path, shape: dict[str, int], magic: int = regmap.ID_MAGIC,
                  version: tuple[int, int] = (regmap.VERSION_MAJOR, regmap.VERSION_MINOR)) -> Path:
    """A stand-in for /dev/mem: FILL bytes, and at BASE the ID, VERSION and every `param` field of
    the table with the values of `shape`, placed by the table's offsets and bit positions."""
    path = tmp_path / "mem"
    path.write_bytes(bytes([FILL]) * (BASE + WINDOW_BYTES + PAGE))
    words = {"ID": magic, "VERSION": version[0] << lsb("VERSION", "MAJOR") | version[1] << lsb("VERSION", "MINOR")}
    for reg in regmap.REGISTERS:
        for f in reg.fields:
            if f.access == "param":
                words[reg.name] = words.get(reg.name, 0) | shape[f.param] << f.lsb
    for name, value in words.items():
        put_word(path, BASE + REGISTERS[name].offset, value)
    return path


def core_shape(manifest: dict, out_logits: int = 1) -> dict[str, int]:
    """What the registers of a core built for `manifest` read (written here, not by the driver)."""
    return {"NUM_LAYERS": len(manifest["layers"]), "IN_PIXELS": manifest["topology"][0],
            "NUM_CLASSES": manifest["topology"][-1], "LANES": manifest["lanes"],
            "SCHEME": int(Scheme.from_name(manifest["delta"]["scheme"])),
            "WEIGHT_BITS": manifest["delta"]["weight_bits"], "DELTA_BITS": manifest["delta"]["delta_bits"],
            "PIXELS_PER_BEAT": 1, "OUT_LOGITS": out_logits}


class FakeDma:
    """The two streams of a core running `net`: send() takes an image, receive() returns its
    result frame as an S2MM DMA writes it (logits as int32, then the class, little-endian)."""

    def __init__(self, net, out_logits: bool) -> None:
        self.net, self.out_logits, self.sent, self.asked = net, out_logits, [], []

    def send(self, pixels: bytes) -> None:
        self.sent.append(pixels)

    def receive(self, nbytes: int) -> bytes:
        self.asked.append(nbytes)
        image = np.frombuffer(self.sent[-1], np.uint8).reshape(1, -1)
        logits = run_network(self.net, image)[0]
        words = [*logits, np.argmax(logits)] if self.out_logits else [np.argmax(logits)]
        return np.array(words, dtype="<i4").tobytes()


# --------------------------------------------------------------------------------------------------
# MmioTransport


def test_mmio_registers_land_at_the_table_offsets(tmp_path) -> None:
    path = tmp_path / "mem"
    path.write_bytes(bytes([FILL]) * (BASE + WINDOW_BYTES + PAGE))
    transport = MmioTransport(path, BASE)
    for i, reg in enumerate(regmap.REGISTERS):
        transport.write32(reg.offset, 0x01020304 * (i + 1))
    for i, reg in enumerate(regmap.REGISTERS):
        put_word(path, BASE + reg.offset + WINDOW_BYTES // 2, 0xF0E0D0C0 + i)  # a word the driver must not see
        assert transport.read32(reg.offset) == 0x01020304 * (i + 1)
    transport.close()
    data = path.read_bytes()
    written = {BASE + reg.offset + k for reg in regmap.REGISTERS for k in range(4)}
    written |= {a + WINDOW_BYTES // 2 for a in written}
    for i, reg in enumerate(regmap.REGISTERS):
        assert word_at(path, BASE + reg.offset) == 0x01020304 * (i + 1), reg.name
    assert all(data[a] == FILL for a in range(len(data)) if a not in written), "a write left its register"


def test_mmio_driver_classifies_through_the_streams(tmp_path, export) -> None:
    out, net, manifest = export
    for out_logits in (1, 0):
        dma = FakeDma(net, bool(out_logits))
        core = Deltamac(MmioTransport(register_file(tmp_path, core_shape(manifest, out_logits)), BASE,
                                      send=dma.send, receive=dma.receive), export=out)
        assert core.shape == core_shape(manifest, out_logits)
        batch = images(6, seed=out_logits)
        logits = run_network(net, batch)
        assert (logits < 0).any(), "the test needs negative logits to check their sign"
        for image, want in zip(batch, logits):
            result = core.classify(image.reshape(8, 8))
            assert result.class_index == int(np.argmax(want))
            if out_logits:
                assert result.logits.tolist() == want.tolist()
            else:
                assert result.logits is None
        assert dma.sent == [image.tobytes() for image in batch]
        assert dma.asked == [4 * (10 + 1 if out_logits else 1)] * len(batch)


def test_mmio_control_and_status(tmp_path, export) -> None:
    _, _, manifest = export
    path = register_file(tmp_path, core_shape(manifest))
    core = Deltamac(MmioTransport(path, BASE))
    control, irq_status = BASE + REGISTERS["CONTROL"].offset, BASE + REGISTERS["IRQ_STATUS"].offset
    enable, soft_reset = 1 << lsb("CONTROL", "IRQ_ENABLE"), 1 << lsb("CONTROL", "SOFT_RESET")
    result = 1 << lsb("IRQ_STATUS", "RESULT")
    put_word(path, control, 0)
    core.enable_interrupt()
    assert word_at(path, control) == enable and core.interrupt_enabled()
    core.soft_reset()
    assert word_at(path, control) == enable | soft_reset, "soft_reset must keep IRQ_ENABLE"
    put_word(path, control, enable)
    core.enable_interrupt(False)
    assert word_at(path, control) == 0 and not core.interrupt_enabled()
    put_word(path, irq_status, 0)
    assert not core.interrupt_pending()
    put_word(path, irq_status, result)
    assert core.interrupt_pending()
    put_word(path, irq_status, 0)
    core.clear_interrupt()
    assert word_at(path, irq_status) == result, "W1C: write the RESULT bit"
    values = dict(IMAGES=123456, DROPPED=7, SWALLOWED=3, CYCLES=0xDEADBEEF)
    for name, value in values.items():
        put_word(path, BASE + REGISTERS[name].offset, value)
    assert core.counters() == Counters(images=123456, dropped=7, swallowed=3, cycles=0xDEADBEEF)
    busy = 1 << lsb("STATUS", "BUSY")
    put_word(path, BASE + REGISTERS["STATUS"].offset, 0xFFFFFFFF ^ busy)
    assert not core.busy()
    put_word(path, BASE + REGISTERS["STATUS"].offset, busy)
    assert core.busy()
    assert core.read("LAST_CLASS") == word_at(path, BASE + REGISTERS["LAST_CLASS"].offset)
    core.write("CONTROL", 0)
    assert word_at(path, control) == 0


# --------------------------------------------------------------------------------------------------
# Error paths of opening the core and of classify


def test_wrong_id_is_refused(tmp_path, export) -> None:
    _, _, manifest = export
    path = register_file(tmp_path, core_shape(manifest), magic=0xDEADBEEF)
    with pytest.raises(DeltamacError, match=r"ID reads 0xdeadbeef, expected 0x444d4143"):
        Deltamac(MmioTransport(path, BASE))


def test_unsupported_major_version_is_refused(tmp_path, export) -> None:
    _, _, manifest = export
    major = regmap.VERSION_MAJOR + 1
    path = register_file(tmp_path, core_shape(manifest), version=(major, 3))
    with pytest.raises(DeltamacError, match=rf"version {major}\.3: this driver supports version "
                                            rf"{regmap.VERSION_MAJOR}\.x only"):
        Deltamac(MmioTransport(path, BASE))
    newer_minor = register_file(tmp_path, core_shape(manifest), version=(regmap.VERSION_MAJOR, 9))
    assert Deltamac(MmioTransport(newer_minor, BASE)).shape == core_shape(manifest)


@pytest.mark.parametrize("param", ["NUM_LAYERS", "IN_PIXELS", "NUM_CLASSES", "LANES", "SCHEME",
                                   "WEIGHT_BITS", "DELTA_BITS"])
def test_wrong_shape_is_refused(tmp_path, export, param) -> None:
    out, _, manifest = export
    shape = core_shape(manifest)
    wrong = {**shape, param: shape[param] ^ 1}
    path = register_file(tmp_path, wrong)
    with pytest.raises(DeltamacError, match=rf"{param} is {wrong[param]} in the core, {shape[param]} in the export"):
        Deltamac(MmioTransport(path, BASE), export=out)
    assert Deltamac(MmioTransport(path, BASE)).shape == wrong, "without an export any shape is taken"


def test_top_parameters_are_not_checked_against_the_export(tmp_path, export) -> None:
    out, _, manifest = export
    shape = {**core_shape(manifest), "PIXELS_PER_BEAT": 4, "OUT_LOGITS": 0}
    assert Deltamac(MmioTransport(register_file(tmp_path, shape), BASE), export=out).shape == shape


def test_dataflow_export_is_refused() -> None:
    with pytest.raises(DeltamacError, match="dataflow network; deltamac_axi_top runs overlay exports"):
        export_shape({"architecture": "dataflow", "topology": [784, 10]})


def test_wrong_images_are_refused(tmp_path, export) -> None:
    _, net, manifest = export
    dma = FakeDma(net, True)
    core = Deltamac(MmioTransport(register_file(tmp_path, core_shape(manifest)), BASE, send=dma.send,
                                  receive=dma.receive))
    for bad in (images(1, 63)[0], images(1, 65)[0], images(2)):
        with pytest.raises(DeltamacError, match=re.escape(f"images of 64 pixels, got {bad.size} (shape {bad.shape})")):
            core.classify(bad)
    with pytest.raises(DeltamacError, match="uint8 pixels, got dtype int64"):
        core.classify(images(1)[0].astype(np.int64))
    assert dma.sent == [], "a refused image reached the stream"


def test_bad_results_are_refused(tmp_path, export) -> None:
    _, _, manifest = export
    path = register_file(tmp_path, core_shape(manifest))
    image = images(1)[0]
    for frame, message in ((b"\x01\x00\x00\x00", "a result of 1 words, expected 11"),
                           (bytes(40) + b"\x0a\x00\x00\x00", "class index 10 out of range"),
                           (bytes(43), "43 bytes, not whole 32-bit words")):
        core = Deltamac(MmioTransport(path, BASE, send=lambda pixels: None, receive=lambda n, f=frame: f))
        with pytest.raises(DeltamacError, match=message):
            core.classify(image)


def test_streams_not_attached(tmp_path, export) -> None:
    _, _, manifest = export
    path = register_file(tmp_path, core_shape(manifest))
    with pytest.raises(DeltamacError, match="no pixel stream attached"):
        Deltamac(MmioTransport(path, BASE)).classify(images(1)[0])
    with pytest.raises(DeltamacError, match="no result stream attached"):
        Deltamac(MmioTransport(path, BASE, send=lambda pixels: None)).classify(images(1)[0])


# --------------------------------------------------------------------------------------------------
# UartTransport


class FakeBoard:
    """deltamac_uart_top as its serial port sees it: every IN_PIXELS bytes written are one image,
    whose class (golden model) comes back as one byte, ASCII '0' + class or raw; read(n) returns
    what is there, fewer than n bytes on a timeout."""

    def __init__(self, net, ascii_result: bool) -> None:
        self.net, self.ascii_result = net, ascii_result
        self.received, self.pending, self.out = b"", b"", b""

    def write(self, data: bytes) -> int:
        self.received += data
        self.pending += data
        pixels = self.net.topology[0]
        while len(self.pending) >= pixels:
            image = np.frombuffer(self.pending[:pixels], np.uint8).reshape(1, -1)
            self.pending = self.pending[pixels:]
            label = int(predict(self.net, image)[0])
            self.out += bytes([ord("0") + label if self.ascii_result else label])
        return len(data)

    def read(self, n: int) -> bytes:
        data, self.out = self.out[:n], self.out[n:]
        return data


@pytest.mark.parametrize("ascii_result", [True, False])
def test_uart_classifies(export, ascii_result) -> None:
    out, net, manifest = export
    board = FakeBoard(net, ascii_result)
    core = Deltamac(UartTransport(board, ascii_result=ascii_result), export=out)
    assert core.shape == {k: v for k, v in core_shape(manifest, out_logits=0).items() if k != "PIXELS_PER_BEAT"}
    batch = images(8, seed=3)
    want = predict(net, batch)
    assert len(set(want.tolist())) > 1, "the test needs images of different classes"
    results = [core.classify(image) for image in batch]
    assert [r.class_index for r in results] == want.tolist()
    assert all(r.logits is None for r in results)
    assert board.received == batch.tobytes()


def test_uart_errors(export) -> None:
    out, net, _ = export
    with pytest.raises(DeltamacError, match="UartTransport carries no registers: give the export directory"):
        Deltamac(UartTransport(FakeBoard(net, True)))
    board = FakeBoard(net, True)
    core = Deltamac(UartTransport(board), export=out)
    for call in (core.counters, core.soft_reset, core.busy, core.clear_interrupt, core.enable_interrupt):
        with pytest.raises(DeltamacError, match="UartTransport carries no registers"):
            call()
    board.read = lambda n: b""
    with pytest.raises(DeltamacError, match="no class byte came back before the serial port's timeout"):
        core.classify(images(1)[0])
    board.read = lambda n: b"\x07"
    with pytest.raises(DeltamacError, match=r"sent b'\\x07', not an ASCII digit: built with ASCII_RESULT=0\?"):
        core.classify(images(1)[0])
    board.read = lambda n: b"\x0c"
    raw = Deltamac(UartTransport(board, ascii_result=False), export=out)
    with pytest.raises(DeltamacError, match="class index 12 out of range"):
        raw.classify(images(1)[0])


# --------------------------------------------------------------------------------------------------
# CocotbTransport responses and the synchronous front end


class Response:
    def __init__(self, resp: int, data: bytes = bytes(4)) -> None:
        self.resp, self.data = resp, data


class FakeAxiLite:
    """cocotbext-axi's AxiLiteMaster as CocotbTransport uses it: every access answers `resp`."""

    def __init__(self, resp: int) -> None:
        self.resp = resp

    async def read(self, address: int, length: int) -> Response:
        return Response(self.resp, regmap.ID_MAGIC.to_bytes(4, "little"))

    async def write(self, address: int, data: bytes) -> Response:
        return Response(self.resp)


def test_cocotb_transport_reports_error_responses() -> None:
    slverr = CocotbTransport(FakeAxiLite(2), None, None)
    with pytest.raises(DeltamacError, match="write of 0x1 at 0x20 answered 2"):
        asyncio.run(slverr.write32(REGISTERS["CONTROL"].offset, 1))
    with pytest.raises(DeltamacError, match="read at 0x0 answered 2"):
        asyncio.run(slverr.read32(REGISTERS["ID"].offset))
    okay = CocotbTransport(FakeAxiLite(0), None, None)
    assert asyncio.run(okay.read32(REGISTERS["ID"].offset)) == regmap.ID_MAGIC
    asyncio.run(okay.write32(REGISTERS["CONTROL"].offset, 1))


def test_sync_front_end_refuses_an_async_transport() -> None:
    with pytest.raises(DeltamacError, match="CocotbTransport is asynchronous: use AsyncDeltamac"):
        Deltamac(CocotbTransport(FakeAxiLite(0), None, None))
    with pytest.raises(DeltamacError, match="the transport suspended"):
        run_to_completion(asyncio.sleep(0))
