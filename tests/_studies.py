"""Study files for tests."""

from __future__ import annotations

from typing import Any

FAST_FAULTS = {"heartbeat_s": 1, "grace_s": 3, "max_retries": 2, "lease_s": 3.0}
"""Fault settings that make reaping and lease expiry happen within seconds in tests."""


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


def noop_study(
    name: str, *, epochs: int = 4, sleep_s: float = 0.25, **overrides: Any
) -> dict[str, Any]:
    """A study whose trials train nothing: ``epochs`` reports, ``sleep_s`` apart."""
    study = tiny_study(
        name,
        pipeline="noop",
        space={
            "x": {"low": 0.0, "high": 1.0},
            "y": {"low": 0.0, "high": 1.0},
            "epochs": epochs,
            "sleep_s": sleep_s,
        },
        sampler={"name": "random"},
        faults=FAST_FAULTS,
    )
    study.update(overrides)
    return study
