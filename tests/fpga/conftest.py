"""Shared fixtures of the FPGA flow tests: a small exported random network."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from model.export import export_network
from model.formats import DeltaFormat, Scheme
from model.random_net import random_network
from scripts.corefile import REPO

SMALL_TOPOLOGY = (784, 16, 10)
SMALL_LANES = 4


@pytest.fixture(scope="session")
def small_export() -> Path:
    """A seeded random 784-16-10 network exported for 4 lanes (fixed_reference, 8/4 bits).

    Exported inside the repository (build/ci-fpga-small-<xdist worker>), so that sandboxed tool
    builds such as YoWASP's Yosys (which see only the working tree) can read it too.
    """
    out = REPO / "build" / f"ci-fpga-small-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    shutil.rmtree(out, ignore_errors=True)
    net = random_network(SMALL_TOPOLOGY, DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, None), seed=3)
    export_network(net, out, lanes=SMALL_LANES, name="fpga_small")
    return out


@pytest.fixture(scope="session")
def small_dataflow_export() -> Path:
    """The same network exported for the dataflow core (folding 8x2:delta,4), next to small_export."""
    from model.export import export_dataflow

    out = REPO / "build" / f"ci-fpga-dataflow-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    shutil.rmtree(out, ignore_errors=True)
    net = random_network(SMALL_TOPOLOGY, DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4, None), seed=3)
    export_dataflow(net, out, "8x2:delta,4", name="fpga_dataflow")
    return out


@pytest.fixture(scope="session")
def small_lutnet_export() -> Path:
    """A seeded random LUT network (784 features at 2 bits, layers 24xF3b2, 20xF2b2, 10 classes x 2),
    next to small_export."""
    from scripts.lutnet_random import main as lutnet_random

    out = REPO / "build" / f"ci-fpga-lutnet-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    shutil.rmtree(out, ignore_errors=True)
    assert lutnet_random(["--out", str(out), "--features", "784", "--in-bits", "2", "--layers", "24xF3b2,20xF2b2",
                          "--classes", "10", "--class-partitions", "2", "--seed", "3"]) == 0
    return out
