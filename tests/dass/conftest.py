"""Tiny data for DASS tests: random 8x8 images, so a search step takes milliseconds."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import TensorDataset

from automl_sparse.data import DataSplits


def _split(n: int, generator: torch.Generator) -> TensorDataset:
    return TensorDataset(torch.randn(n, 1, 8, 8, generator=generator), torch.randint(3, (n,)))


@pytest.fixture
def tiny_data() -> DataSplits:
    generator = torch.Generator().manual_seed(0)
    return DataSplits(
        name="tiny",
        train=_split(32, generator),
        val=_split(8, generator),
        test=_split(8, generator),
        num_classes=3,
        input_shape=(1, 8, 8),
    )
