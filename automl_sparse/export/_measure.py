"""Measure any network as it runs: zeros of named weights, kept parameters, FLOPs, latency.

Works on a loaded export (an ``fx.GraphModule`` of ATen operators) as well as on the
``nn.Module`` it came from, so that ``evaluate`` needs no model code. FLOPs follow
:func:`automl_sparse.pruning.count_flops`: 2 per multiply-accumulate of convolutions and
matrix products, counting only the non-zero weights (a kept convolution weight is used once per
output position).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from automl_sparse.pruning import cpu_latency_ms as _shared_latency

_aten = torch.ops.aten
_LATENCY_RUNS = 50


def zero_fraction(weights: Mapping[str, torch.Tensor], names: Sequence[str]) -> float:
    """Fraction of exact zeros over the named weights."""
    total = sum(weights[n].numel() for n in names)
    zeros = sum(int((weights[n] == 0).sum()) for n in names)
    return zeros / total if total else 0.0


def nonzero_params(weights: Mapping[str, torch.Tensor], pruned: Sequence[str]) -> int:
    """Every parameter, less the zeros of the pruned weights (``nonzero_params`` of a trial)."""
    zeros = sum(int((weights[n] == 0).sum()) for n in pruned)
    return sum(w.numel() for w in weights.values()) - zeros


def _nonzero(t: torch.Tensor) -> int:
    return int(torch.count_nonzero(t))


class _FlopCounter(TorchDispatchMode):
    """Adds 2 x (non-zero weights) x (uses per weight) for convolutions and matrix products."""

    def __init__(self) -> None:
        super().__init__()
        self.flops = 0

    def __torch_dispatch__(
        self, func: Any, types: Any, args: Sequence[Any] = (), kwargs: Any = None
    ) -> Any:
        out = func(*args, **(kwargs or {}))
        packet = func.overloadpacket
        if packet is _aten.convolution:
            self.flops += 2 * _nonzero(args[1]) * out[0, 0].numel() * out.shape[0]
        elif packet in (_aten.mm, _aten.addmm):
            a, b = (args[0], args[1]) if packet is _aten.mm else (args[1], args[2])
            self.flops += 2 * _nonzero(b) * a.shape[0]
        return out


@torch.no_grad()
def count_flops(model: Callable[[torch.Tensor], Any], input_shape: Sequence[int]) -> int:
    """FLOPs of one forward pass of ``model`` on one input of ``input_shape`` (C, H, W)."""
    counter = _FlopCounter()
    with counter:
        model(torch.zeros(1, *input_shape))
    return counter.flops


@torch.no_grad()
def accuracy(
    model: Callable[[torch.Tensor], torch.Tensor],
    dataset: torch.utils.data.TensorDataset,
    batch_size: int = 256,
) -> float:
    """Top-1 accuracy of ``model`` on ``dataset``."""
    images, labels = dataset.tensors
    correct = 0
    for start in range(0, len(labels), batch_size):
        logits = model(images[start : start + batch_size])
        correct += int((logits.argmax(dim=1) == labels[start : start + batch_size]).sum())
    return correct / len(labels) if len(labels) else 0.0


def cpu_latency_ms(model: Callable[[torch.Tensor], Any], input_shape: Sequence[int]) -> float:
    """Median CPU latency of one input over 50 runs (see ``automl_sparse.pruning``)."""
    return _shared_latency(model, input_shape, runs=_LATENCY_RUNS)
