"""A search space made concrete for one model: per-slot genes expanded, sampled define-by-run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import optuna

from automl_sparse.config import (
    GENE_PREFIX,
    Categorical,
    Fixed,
    FloatRange,
    IntRange,
    ParamSpec,
    SearchSpace,
)


@dataclass(frozen=True)
class Param:
    """One concrete parameter: its trial name, its spec, and the space name it came from."""

    name: str
    spec: ParamSpec
    source: str


def gene_name(slot: str) -> str:
    """The trial parameter name of an activation slot's gene."""
    return GENE_PREFIX + slot


def expand(space: SearchSpace, slots: Sequence[str]) -> list[Param]:
    """The concrete parameters of ``space`` for a model with activation ``slots``."""
    params = []
    for name, spec in space.params.items():
        if isinstance(spec, Categorical) and spec.per_slot:
            params += [Param(gene_name(slot), spec, name) for slot in slots]
        else:
            params.append(Param(name, spec, name))
    return params


def _active(spec: ParamSpec, chosen: Mapping[str, Any]) -> bool:
    for parent, wanted in (getattr(spec, "when", None) or {}).items():
        allowed = wanted if isinstance(wanted, list) else [wanted]
        if parent not in chosen or chosen[parent] not in allowed:
            return False
    return True


def _suggest(trial: optuna.Trial, name: str, spec: ParamSpec) -> Any:
    if isinstance(spec, Categorical):
        return trial.suggest_categorical(name, spec.choices)
    if isinstance(spec, IntRange):
        return trial.suggest_int(name, spec.low, spec.high, step=spec.step, log=spec.log)
    if isinstance(spec, FloatRange):
        return trial.suggest_float(name, spec.low, spec.high, step=spec.step, log=spec.log)
    raise TypeError(f"cannot suggest {spec!r}")


def sample(trial: optuna.Trial, params: Sequence[Param]) -> dict[str, Any]:
    """Sample every active parameter on ``trial``; fixed values are included but not suggested.

    Conditions refer to earlier parameters by their space name; per-slot parameters cannot be
    parents. The result maps trial parameter names to values.
    """
    chosen: dict[str, Any] = {}
    for param in params:
        if not _active(param.spec, chosen):
            continue
        if isinstance(param.spec, Fixed):
            chosen[param.name] = param.spec.value
        else:
            chosen[param.name] = _suggest(trial, param.name, param.spec)
    return chosen


def fixed_values(params: Sequence[Param], chosen: Mapping[str, Any]) -> dict[str, Any]:
    """The fixed (not searched) values among ``chosen``."""
    fixed = {p.name for p in params if isinstance(p.spec, Fixed)}
    return {k: v for k, v in chosen.items() if k in fixed}
