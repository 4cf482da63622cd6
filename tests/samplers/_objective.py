"""A cheap synthetic objective over an activation genome and a few fine-tuning parameters."""

from __future__ import annotations

import math
import random
from typing import Any

import optuna

from automl_sparse.config import SearchSpace
from automl_sparse.spaces import Param, expand, gene_name, sample

CHOICES = ["relu", "silu", "gelu", "tanh", "elu", "mish"]
SLOTS = [f"layer{i}" for i in range(6)]

_rng = random.Random(1234)
WEIGHTS = {slot: {c: _rng.random() * 0.8 for c in CHOICES} for slot in SLOTS}
for _i, _slot in enumerate(SLOTS):
    WEIGHTS[_slot][CHOICES[(2 * _i + 1) % len(CHOICES)]] = 1.0


def genome_space() -> list[Param]:
    """Six per-slot genes, fine-tuning fixed."""
    space = SearchSpace.model_validate(
        {"activation": {"choices": CHOICES, "per_slot": True}, "sparsity": 0.9, "epochs": 3}
    )
    return expand(space, SLOTS)


def full_space(n_slots: int = len(SLOTS)) -> list[Param]:
    """The genes (of the first ``n_slots`` slots) plus an optimizer, momentum only with sgd,
    and a log learning rate."""
    space = SearchSpace.model_validate(
        {
            "activation": {"choices": CHOICES, "per_slot": True},
            "optimizer": {"choices": ["adam", "sgd"]},
            "momentum": {"low": 0.1, "high": 0.999, "when": {"optimizer": "sgd"}},
            "lr": {"low": 1e-4, "high": 1e-1, "log": True},
            "sparsity": 0.9,
        }
    )
    return expand(space, SLOTS[:n_slots])


def genome_score(values: dict[str, Any]) -> float:
    """Mean per-slot weight in [0, 1] (1 at each slot's best choice) over the slots present."""
    slots = [s for s in SLOTS if gene_name(s) in values]
    return sum(WEIGHTS[s][values[gene_name(s)]] for s in slots) / len(slots)


def full_score(values: dict[str, Any]) -> float:
    """Genome, learning rate (best at 10^-2.5) and optimizer (sgd with momentum 0.9 best)."""
    lr_term = max(0.0, 1 - (math.log10(values["lr"]) + 2.5) ** 2 / 2.25)
    sgd = values["optimizer"] == "sgd"
    opt_term = 1 - abs(values["momentum"] - 0.9) if sgd else 0.8
    return 0.5 * genome_score(values) + 0.3 * lr_term + 0.2 * opt_term


def run(
    sampler: optuna.samplers.BaseSampler,
    params: list[Param],
    score: Any,
    n_trials: int,
    direction: str = "maximize",
) -> optuna.Study:
    """Ask/tell the way the coordinator does: ``study.ask()`` then ``sample`` define-by-run."""
    study = optuna.create_study(direction=direction, sampler=sampler)
    for _ in range(n_trials):
        trial = study.ask()
        values = sample(trial, params)
        value = score(values)
        study.tell(trial, value if direction == "maximize" else -value)
    return study
