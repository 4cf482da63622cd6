"""Small networks and random data for the pruning tests."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from automl_sparse.models import create_model


@pytest.fixture
def lenet() -> nn.Module:
    torch.manual_seed(0)
    return create_model("lenet5", input_size=16)


@pytest.fixture
def batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    gen = torch.Generator().manual_seed(1)
    return [(torch.randn(8, 1, 16, 16, generator=gen), torch.randint(10, (8,), generator=gen))
            for _ in range(2)]  # fmt: skip
