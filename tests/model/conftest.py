import pytest

from model.datasets import load_fashion_mnist


@pytest.fixture(scope="session")
def fashion_test():
    """The real FashionMNIST test set (images uint8 [10000, 784], labels)."""
    return load_fashion_mnist("test")
