"""Study files for tests."""

from __future__ import annotations

from typing import Any


def tiny_study(name: str, **overrides: Any) -> dict[str, Any]:
    """A real study that runs in seconds: LeNet-5 on 16x16 digits, 1-2 epochs per trial."""
    study: dict[str, Any] = {
        "name": name,
        "seed": 0,
        "objectives": [{"metric": "val_accuracy"}],
        "model": {"name": "lenet5"},
        "data": {"name": "digits", "image_size": 16},
        "pretrain": {"epochs": 3, "lr": 3e-3, "batch_size": 64, "weight_decay": 0.0},
        "space": {
            "activation": {"choices": ["relu", "silu", "tanh"], "per_slot": True},
            "sparsity": {"low": 0.5, "high": 0.8},
            "scope": {"choices": ["layer", "global"]},
            "lr": {"low": 1e-3, "high": 1e-2, "log": True},
            "epochs": {"low": 1, "high": 2},
            "batch_size": 64,
        },
        "sampler": {"name": "tpe"},
        "budget": {"n_trials": 3},
        "executor": {"name": "inline"},
    }
    study.update(overrides)
    return study
