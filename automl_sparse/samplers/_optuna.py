"""Optuna's own samplers by name: tpe, random, cmaes, gp, nsga2, nsga3, qmc and grid."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import optuna

from automl_sparse._errors import UserError
from automl_sparse.config import Categorical, FloatRange, IntRange
from automl_sparse.samplers._registry import register_sampler
from automl_sparse.spaces import Param

GRID_POINTS = 5
"""Values per numeric range in a ``grid`` search (option ``grid_points``)."""


@register_sampler("tpe", multi_objective=True)
def _tpe(
    seed: int | None, n_objectives: int, *, space: Any = None, **options: Any
) -> optuna.samplers.BaseSampler:
    # multivariate + group model conditional spaces jointly; constant_liar keeps parallel
    # workers from proposing the same point while earlier trials are still running.
    defaults = {"multivariate": True, "group": True, "constant_liar": True}
    return optuna.samplers.TPESampler(seed=seed, **{**defaults, **options})


@register_sampler("random", multi_objective=True)
def _random(
    seed: int | None, n_objectives: int, *, space: Any = None, **options: Any
) -> optuna.samplers.BaseSampler:
    return optuna.samplers.RandomSampler(seed=seed, **options)


@register_sampler("nsga2", multi_objective=True)
def _nsga2(
    seed: int | None, n_objectives: int, *, space: Any = None, **options: Any
) -> optuna.samplers.BaseSampler:
    return optuna.samplers.NSGAIISampler(seed=seed, **options)


@register_sampler("nsga3", multi_objective=True)
def _nsga3(
    seed: int | None, n_objectives: int, *, space: Any = None, **options: Any
) -> optuna.samplers.BaseSampler:
    return optuna.samplers.NSGAIIISampler(seed=seed, **options)


@register_sampler("cmaes")
def _cmaes(
    seed: int | None, n_objectives: int, *, space: Any = None, **options: Any
) -> optuna.samplers.BaseSampler:
    # Categorical genes are sampled independently (random); CMA-ES models the numeric ranges.
    try:
        import cmaes  # noqa: F401
    except ImportError:
        raise UserError("sampler 'cmaes' needs the cmaes package; run: pip install cmaes") from None
    defaults = {"warn_independent_sampling": False}
    return optuna.samplers.CmaEsSampler(seed=seed, **{**defaults, **options})


@register_sampler("gp", multi_objective=True)
def _gp(
    seed: int | None, n_objectives: int, *, space: Any = None, **options: Any
) -> optuna.samplers.BaseSampler:
    defaults = {"warn_independent_sampling": False}
    return optuna.samplers.GPSampler(seed=seed, **{**defaults, **options})


@register_sampler("qmc", multi_objective=True)
def _qmc(
    seed: int | None, n_objectives: int, *, space: Any = None, **options: Any
) -> optuna.samplers.BaseSampler:
    return optuna.samplers.QMCSampler(seed=seed, **options)


def grid_values(spec: Any, points: int) -> list[Any]:
    """The grid of one parameter: every choice, or ``points`` values spread over a range.

    Log ranges are spread geometrically; stepped ranges keep to their step; int ranges
    are rounded (duplicates removed, so a narrow int range may give fewer values).
    """
    if isinstance(spec, Categorical):
        return list(spec.choices)
    assert isinstance(spec, FloatRange | IntRange)
    if isinstance(spec, IntRange) or spec.step is not None:
        step = spec.step or 1
        count = int((spec.high - spec.low) // step + 1e-9) + 1
        picks = np.unique(np.round(np.linspace(0, count - 1, min(points, count))).astype(int))
        values = [spec.low + int(i) * step for i in picks]
        return [int(v) for v in values] if isinstance(spec, IntRange) else values
    spread = np.geomspace if spec.log else np.linspace
    return [float(v) for v in spread(spec.low, spec.high, points)]


@register_sampler("grid", multi_objective=True)
def _grid(
    seed: int | None,
    n_objectives: int,
    *,
    space: Sequence[Param] = (),
    grid_points: int = GRID_POINTS,
    **options: Any,
) -> optuna.samplers.BaseSampler:
    """Every combination of the categorical choices and ``grid_points`` values per range.

    Conditional parameters are part of the grid; a combination whose condition does not hold
    repeats another (Optuna's grid knows no conditions). Once every point was asked, points are
    asked again (the study's budget decides the end).
    """
    grid = {
        p.name: grid_values(p.spec, grid_points)
        for p in space
        if isinstance(p.spec, Categorical | FloatRange | IntRange)
    }
    size = math.prod(len(v) for v in grid.values())
    if size > 10**7:
        raise UserError(f"sampler 'grid': the grid has {size} points; lower grid_points")
    return _Grid(grid, seed=seed, **options)


class _Grid(optuna.samplers.GridSampler):
    """Optuna's grid, without ``study.stop()`` once exhausted: that works only inside
    ``study.optimize``; here the study's budget ends the study."""

    def after_trial(self, *args: Any, **kwargs: Any) -> None:
        return None
