"""The sampler registry: names to Optuna sampler builders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import optuna

from automl_sparse._errors import UserError, unknown_name
from automl_sparse.spaces import Param

SamplerBuilder = Callable[..., optuna.samplers.BaseSampler]
"""Builds a sampler from (seed, n_objectives, *, space, **options).

``space`` is the study's expanded search space (``list[automl_sparse.spaces.Param]``, per-slot
genes included, conditions in each spec's ``when``); samplers that need the whole space up
front (SMAC, SAFS local search, grid) read it, the others ignore it.
"""

_REGISTRY: dict[str, SamplerBuilder] = {}
_MULTI_OBJECTIVE: set[str] = set()


def register_sampler(
    name: str, *, multi_objective: bool = False
) -> Callable[[SamplerBuilder], SamplerBuilder]:
    """Register a sampler builder; ``multi_objective`` if it supports several objectives."""

    def decorate(builder: SamplerBuilder) -> SamplerBuilder:
        _REGISTRY[name] = builder
        if multi_objective:
            _MULTI_OBJECTIVE.add(name)
        return builder

    return decorate


def list_samplers() -> list[str]:
    """Every registered sampler name, sorted."""
    return sorted(_REGISTRY)


def check_sampler(name: str, n_objectives: int) -> None:
    """Raise a UserError when ``name`` is unknown or cannot handle ``n_objectives``."""
    if name not in _REGISTRY:
        raise unknown_name("sampler", name, list_samplers())
    if n_objectives > 1 and name not in _MULTI_OBJECTIVE:
        raise UserError(
            f"sampler {name!r} supports one objective, but the study has {n_objectives}; "
            f"use one of {sorted(_MULTI_OBJECTIVE)}"
        )


def create_sampler(
    name: str,
    *,
    seed: int | None = None,
    n_objectives: int = 1,
    space: Sequence[Param] | None = None,
    **options: Any,
) -> optuna.samplers.BaseSampler:
    """Build the sampler registered as ``name`` with its options, for the expanded ``space``."""
    check_sampler(name, n_objectives)
    try:
        return _REGISTRY[name](seed, n_objectives, space=list(space or []), **options)
    except TypeError as error:
        raise UserError(f"sampler {name!r}: bad option: {error}") from None
