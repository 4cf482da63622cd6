"""The data registry and deterministic train/val/test splits."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import TensorDataset

from automl_sparse._errors import UserError, unknown_name


@dataclass(frozen=True)
class RawData:
    """Images (N, C, H, W) float in [0, 1] and integer labels, as a source provides them.

    ``test_*`` is the source's official test split, or None when the source has none (the
    test split is then cut from ``images`` by :func:`load_data`).
    """

    images: torch.Tensor
    labels: torch.Tensor
    num_classes: int
    test_images: torch.Tensor | None = None
    test_labels: torch.Tensor | None = None


@dataclass(frozen=True)
class DataSplits:
    """Train, validation and test sets of one data source; the test set is never for selection."""

    name: str
    train: TensorDataset
    val: TensorDataset
    test: TensorDataset
    num_classes: int
    input_shape: tuple[int, int, int]


Source = Callable[[Path | None, bool], RawData]
"""Loads a data source: (root, download) -> RawData."""

_SOURCES: dict[str, Source] = {}
SHIPPED: set[str] = set()
"""Sources whose data ships inside a package dependency (no root, no download)."""


def register_dataset(name: str, *, shipped: bool = False) -> Callable[[Source], Source]:
    """Register a data source under ``name``."""

    def decorate(source: Source) -> Source:
        _SOURCES[name] = source
        if shipped:
            SHIPPED.add(name)
        return source

    return decorate


def list_datasets() -> list[str]:
    """Every registered data source name, sorted."""
    return sorted(_SOURCES)


def check_dataset_name(name: str) -> None:
    """Raise a UserError listing the known names when ``name`` is not registered."""
    if name not in _SOURCES:
        raise unknown_name("data", name, list_datasets())


def _split(n: int, fractions: tuple[float, ...], seed: int) -> list[torch.Tensor]:
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    sizes = [round(f * n) for f in fractions]
    return list(order.split([*sizes, n - sum(sizes)]))


def _resize(images: torch.Tensor, size: int | None) -> torch.Tensor:
    if size is None or images.shape[-1] == size:
        return images
    return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)


def _standardise(train: torch.Tensor, *others: torch.Tensor) -> list[torch.Tensor]:
    """Scale every split by the training split's per-channel mean and std (no test leakage)."""
    mean = train.mean(dim=(0, 2, 3), keepdim=True)
    std = train.std(dim=(0, 2, 3), keepdim=True).clamp_min(1e-6)
    return [(x - mean) / std for x in (train, *others)]


@functools.lru_cache(maxsize=4)
def load_data(
    name: str,
    *,
    root: str | None = None,
    download: bool = False,
    val_fraction: float = 0.1,
    test_fraction: float = 0.2,
    seed: int = 0,
    image_size: int | None = None,
) -> DataSplits:
    """Load ``name`` and split it deterministically by ``seed``.

    Sources with an official test split keep it and cut validation from the training part;
    the others are cut into test, validation and training parts by the given fractions.
    """
    check_dataset_name(name)
    raw = _SOURCES[name](Path(root).expanduser() if root else None, download)
    images, labels = _resize(raw.images, image_size), raw.labels
    if raw.test_images is None or raw.test_labels is None:
        test_idx, val_idx, train_idx = _split(len(labels), (test_fraction, val_fraction), seed)
        test_x, test_y = images[test_idx], labels[test_idx]
    else:
        val_idx, train_idx = _split(len(labels), (val_fraction,), seed)
        test_x, test_y = _resize(raw.test_images, image_size), raw.test_labels
    if len(train_idx) == 0 or len(val_idx) == 0 or len(test_y) == 0:
        raise UserError(f"data {name!r}: a split is empty; check val_fraction and test_fraction")
    train_x, val_x, test_x = _standardise(images[train_idx], images[val_idx], test_x)
    return DataSplits(
        name=name,
        train=TensorDataset(train_x, labels[train_idx]),
        val=TensorDataset(val_x, labels[val_idx]),
        test=TensorDataset(test_x, test_y),
        num_classes=raw.num_classes,
        input_shape=tuple(train_x.shape[1:]),  # type: ignore[arg-type]
    )
