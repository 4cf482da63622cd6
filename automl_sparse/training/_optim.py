"""Optimizers and learning-rate schedules by name."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch.optim import lr_scheduler

from automl_sparse._errors import unknown_name

Params = Iterable[torch.nn.Parameter] | Iterable[dict[str, Any]]

_STEP_EVERY = 20
_STEP_GAMMA = 0.5
_PLATEAU_FACTOR = 0.05
_PLATEAU_PATIENCE = 2


def _sgd(params: Params, lr: float, weight_decay: float, momentum: float) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)


def _adam(
    params: Params, lr: float, weight_decay: float, _momentum: float
) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)


def _adamw(params: Params, lr: float, weight_decay: float, _m: float) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)


OPTIMIZERS: dict[str, Callable[[Params, float, float, float], torch.optim.Optimizer]] = {
    "sgd": _sgd,
    "adam": _adam,
    "adamw": _adamw,
}

ScheduleBuilder = Callable[[torch.optim.Optimizer, int], Any]
SCHEDULES: dict[str, ScheduleBuilder] = {
    "constant": lambda opt, _epochs: lr_scheduler.ConstantLR(opt, factor=1.0, total_iters=0),
    "cosine": lambda opt, epochs: lr_scheduler.CosineAnnealingLR(opt, T_max=max(epochs, 1)),
    "step": lambda opt, _epochs: lr_scheduler.StepLR(opt, _STEP_EVERY, gamma=_STEP_GAMMA),
    "linear": lambda opt, epochs: lr_scheduler.LinearLR(
        opt, start_factor=1.0, end_factor=0.0, total_iters=max(epochs, 1)
    ),
    "plateau": lambda opt, _epochs: lr_scheduler.ReduceLROnPlateau(
        opt, mode="max", factor=_PLATEAU_FACTOR, patience=_PLATEAU_PATIENCE
    ),
}
"""step: lr x0.5 every 20 epochs (SAFS VGG); plateau: x0.05 after 2 flat epochs (SAFS ResNet)."""


def create_optimizer(
    name: str, params: Params, *, lr: float, weight_decay: float = 0.0, momentum: float = 0.9
) -> torch.optim.Optimizer:
    """Build the optimizer registered as ``name``."""
    if name not in OPTIMIZERS:
        raise unknown_name("optimizer", name, list(OPTIMIZERS))
    return OPTIMIZERS[name](params, lr, weight_decay, momentum)


def create_schedule(name: str, optimizer: torch.optim.Optimizer, epochs: int) -> Any:
    """Build the per-epoch learning-rate schedule registered as ``name``."""
    if name not in SCHEDULES:
        raise unknown_name("schedule", name, list(SCHEDULES))
    return SCHEDULES[name](optimizer, epochs)
