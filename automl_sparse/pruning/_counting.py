"""Sparsity, kept parameters and FLOPs of a (pruned) network, read from its masks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from automl_sparse.pruning._masks import get_mask, prunable_layers, weight_layers


def _kept_weights(module: nn.Module) -> int:
    mask = get_mask(module)
    return int(mask.sum().item()) if mask is not None else module.weight.numel()


def layer_sparsity(model: nn.Module) -> dict[str, float]:
    """Fraction of pruned weights in every prunable layer, by module path."""
    return {
        name: 1.0 - _kept_weights(m) / m.weight.numel()
        for name, m in prunable_layers(model).items()
    }


def sparsity(model: nn.Module) -> float:
    """Fraction of pruned weights over all prunable weights of ``model``, in [0, 1]."""
    layers = prunable_layers(model).values()
    total = sum(m.weight.numel() for m in layers)
    return 1.0 - sum(_kept_weights(m) for m in layers) / total if total else 0.0


def count_params(model: nn.Module) -> int:
    """Parameters kept after pruning: unmasked entries of pruned weights plus every other one."""
    layers = weight_layers(model).values()
    pruned = {id(m.weight): m.weight.numel() - _kept_weights(m) for m in layers}
    return sum(p.numel() - pruned.get(id(p), 0) for p in model.parameters())


def count_flops(model: nn.Module, input_shape: Sequence[int]) -> int:
    """Floating-point operations of one forward pass on one input of ``input_shape`` (C, H, W).

    Counts 2 per multiply-accumulate of convolution and linear layers, skipping pruned weights
    (a kept weight of a convolution is used once per output position), pruning-exempt layers
    included. Biases, activations, pooling and normalisation are not counted.
    """
    total = 0

    def count(module: nn.Module, _inputs: object, output: torch.Tensor) -> None:
        nonlocal total
        positions = output[0, 0].numel() if isinstance(module, nn.Conv2d | nn.Conv1d) else 1
        if isinstance(module, nn.Linear):
            positions = output[0].numel() // module.out_features
        total += 2 * _kept_weights(module) * positions

    handles = [m.register_forward_hook(count) for m in weight_layers(model).values()]
    was_training = model.training
    try:
        model.eval()
        device = next(model.parameters()).device
        with torch.no_grad():
            model(torch.zeros(1, *input_shape, device=device))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return total


_LATENCY_WARMUP = 5
_LATENCY_RUNS = 30


@torch.no_grad()
def cpu_latency_ms(
    model: Callable[[torch.Tensor], Any], input_shape: Sequence[int], runs: int = _LATENCY_RUNS
) -> float:
    """Median wall time of one forward pass on one input of ``input_shape``, in milliseconds.

    Any callable works (a module, best in eval mode, or an exported program).
    """
    x = torch.randn(1, *input_shape)
    for _ in range(_LATENCY_WARMUP):
        model(x)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        model(x)
        times.append(time.perf_counter() - started)
    return 1000.0 * statistics.median(times)
