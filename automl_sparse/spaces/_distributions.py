"""The expanded space as Optuna distributions, for samplers that need the whole space up front."""

from __future__ import annotations

from collections.abc import Sequence

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from automl_sparse._errors import UserError
from automl_sparse.config import Categorical, Fixed, FloatRange, IntRange, ParamSpec
from automl_sparse.spaces._space import Param


def distribution(spec: ParamSpec) -> BaseDistribution:
    """The Optuna distribution that ``sample`` suggests for ``spec`` (not for a Fixed value)."""
    if isinstance(spec, Categorical):
        return CategoricalDistribution(spec.choices)
    if isinstance(spec, IntRange):
        return IntDistribution(spec.low, spec.high, log=spec.log, step=spec.step)
    if isinstance(spec, FloatRange):
        return FloatDistribution(spec.low, spec.high, log=spec.log, step=spec.step)
    raise TypeError(f"a {type(spec).__name__} has no distribution")


def search_space_distributions(params: Sequence[Param]) -> dict[str, BaseDistribution]:
    """Every searched (not fixed) parameter's distribution, by trial name, in space order.

    Conditional parameters are included: a trial suggests only the active ones.
    Raises UserError, in one line, for a parameter Optuna cannot represent.
    """
    distributions: dict[str, BaseDistribution] = {}
    for param in params:
        if isinstance(param.spec, Fixed):
            continue
        try:
            distributions[param.name] = distribution(param.spec)
        except ValueError as error:
            raise UserError(f"search space parameter {param.name!r}: {error}") from None
    return distributions
