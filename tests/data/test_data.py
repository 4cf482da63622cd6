"""The data registry: shipped sources, deterministic splits, clear errors for missing files."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from automl_sparse import UserError
from automl_sparse.data import list_datasets, load_data


def test_registry_names() -> None:
    assert {"digits", "mnist-5k", "mnist", "fashion-mnist", "cifar10"} <= set(list_datasets())


def test_mnist_5k_splits_are_disjoint_and_complete() -> None:
    data = load_data("mnist-5k", val_fraction=0.1, test_fraction=0.2, seed=0)
    sizes = (len(data.train), len(data.val), len(data.test))
    assert sizes == (3500, 500, 1000) and data.input_shape == (1, 28, 28)
    flat = [
        {row.numpy().tobytes() for row in split.tensors[0].flatten(1)}
        for split in (data.train, data.val, data.test)
    ]
    assert not (flat[0] & flat[1]) and not (flat[0] & flat[2]) and not (flat[1] & flat[2])
    assert torch.bincount(data.train.tensors[1]).min() > 300  # every class present


def test_splits_depend_on_the_seed_only() -> None:
    a = load_data("digits", seed=3)
    b = load_data("digits", seed=3, val_fraction=0.1)  # same arguments, served from the cache
    c = load_data("digits", seed=4)
    assert torch.equal(a.test.tensors[1], b.test.tensors[1])
    assert not torch.equal(a.test.tensors[1], c.test.tensors[1])


def test_standardised_by_the_training_split() -> None:
    data = load_data("digits", seed=0)
    x = data.train.tensors[0]
    assert x.mean().abs() < 1e-4 and (x.std() - 1).abs() < 1e-2


def test_resize_for_small_images() -> None:
    assert load_data("digits", image_size=28).input_shape == (1, 28, 28)


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist", "cifar10"])
def test_missing_torchvision_files_name_the_root_and_the_option(name: str, tmp_path: Path) -> None:
    with pytest.raises(UserError, match=rf"{tmp_path}.*download: true"):
        load_data(name, root=str(tmp_path))


def test_torchvision_source_without_root() -> None:
    with pytest.raises(UserError, match="needs a 'root'"):
        load_data("cifar10")


def test_unknown_name_lists_known() -> None:
    with pytest.raises(UserError, match=r"known: .*mnist-5k"):
        load_data("imagenet-1k")
