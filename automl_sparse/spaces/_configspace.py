"""The expanded space as a ConfigSpace ``ConfigurationSpace`` (for SMAC), conditions included.

ConfigSpace is an optional dependency (``pip install 'automl-sparse[smac]'``); it is imported
only when a function here is called.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from automl_sparse._errors import UserError
from automl_sparse.config import Categorical, Fixed, FloatRange, IntRange, ParamSpec
from automl_sparse.spaces._space import Param

if TYPE_CHECKING:
    from ConfigSpace import Configuration, ConfigurationSpace

_INSTALL = "pip install 'automl-sparse[smac]'"


def _configspace() -> Any:
    try:
        import ConfigSpace
    except ImportError:
        raise UserError(f"ConfigSpace is not installed; run: {_INSTALL}") from None
    return ConfigSpace


def _grid(spec: FloatRange | IntRange) -> list[int | float]:
    """The values of a stepped range (a ConfigSpace ordinal: ConfigSpace ranges have no step)."""
    assert spec.step is not None
    count = int((spec.high - spec.low) // spec.step + 1e-9) + 1
    values = [round(spec.low + i * spec.step, 12) for i in range(count)]
    return [int(v) for v in values] if isinstance(spec, IntRange) else values


def _hyperparameter(name: str, spec: ParamSpec) -> Any:
    cs = _configspace()
    if isinstance(spec, Fixed):
        return cs.Constant(name, spec.value)
    if isinstance(spec, Categorical):
        return cs.Categorical(name, list(spec.choices))
    stepped = spec.step is not None and (isinstance(spec, FloatRange) or spec.step > 1)
    if stepped:
        if spec.log:
            raise ValueError("a log range cannot have a step")
        return cs.OrdinalHyperparameter(name, _grid(spec))
    if isinstance(spec, IntRange):
        return cs.Integer(name, (spec.low, spec.high), log=spec.log)
    return cs.Float(name, (spec.low, spec.high), log=spec.log)


def _condition(child: Any, parents: Mapping[str, Any], when: Mapping[str, Any]) -> Any | None:
    cs = _configspace()
    conditions = []
    for parent_name, wanted in when.items():
        parent = parents[parent_name]
        allowed = wanted if isinstance(wanted, list) else [wanted]
        if isinstance(parent, cs.Constant):  # a fixed parent: the condition always holds
            continue
        if len(allowed) == 1:
            conditions.append(cs.EqualsCondition(child, parent, allowed[0]))
        else:
            conditions.append(cs.InCondition(child, parent, allowed))
    if len(conditions) > 1:
        return cs.AndConjunction(*conditions)
    return conditions[0] if conditions else None


def to_configspace(params: Sequence[Param], seed: int | None = None) -> ConfigurationSpace:
    """Compile the expanded space to ConfigSpace: ranges (log, int), categoricals, constants.

    A stepped range becomes an ordinal of its values. ``when`` becomes an ``EqualsCondition``
    (one value) or ``InCondition`` (several), several parents an ``AndConjunction``.
    Raises UserError, in one line, for a space ConfigSpace rejects.
    """
    cs = _configspace()
    space = cs.ConfigurationSpace(seed=seed)
    by_source: dict[str, Any] = {}
    try:
        for param in params:
            hyperparameter = _hyperparameter(param.name, param.spec)
            space.add(hyperparameter)
            by_source.setdefault(param.source, hyperparameter)
            when = getattr(param.spec, "when", None) or {}
            missing = [parent for parent in when if parent not in by_source]
            if missing:
                raise ValueError(f"condition on {missing[0]!r}, which is not defined before it")
            condition = _condition(hyperparameter, by_source, when)
            if condition is not None:
                space.add(condition)
    except (ValueError, TypeError, KeyError) as error:
        message = " ".join(str(error).split())
        raise UserError(f"search space parameter {param.name!r}: {message}") from None
    return space


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value Optuna and JSON expect."""
    return value.item() if isinstance(value, np.generic) else value


def from_configuration(config: Configuration | Mapping[str, Any]) -> dict[str, Any]:
    """A ConfigSpace configuration as a plain-Python params dict (active values only)."""
    return {name: _plain(value) for name, value in dict(config).items()}


def to_configuration(space: ConfigurationSpace, values: Mapping[str, Any]) -> Configuration:
    """The configuration of ``space`` for a params dict; unknown and inactive names are dropped.

    Constants missing from ``values`` are filled in. Raises ValueError when the values do not
    fit the space (a value out of range, an active parameter missing).
    """
    cs = _configspace()
    known = {name: space[name] for name in space}
    chosen = {n: v for n, v in values.items() if n in known}
    for name, hyperparameter in known.items():
        if isinstance(hyperparameter, cs.Constant):
            chosen[name] = hyperparameter.value
    return _active_configuration(space, chosen)


def _active_configuration(space: ConfigurationSpace, chosen: dict[str, Any]) -> Configuration:
    cs = _configspace()
    # Drop values whose conditions do not hold (a trial may carry a stale inactive value).
    active: dict[str, Any] = {}
    for name in space:  # ConfigSpace iterates parents before children
        parents = space.parent_conditions_of[name]
        if all(_holds(condition, active) for condition in parents) and name in chosen:
            active[name] = chosen[name]
    return cs.Configuration(space, values=active)


def _holds(condition: Any, values: Mapping[str, Any]) -> bool:
    try:
        return bool(condition.satisfied_by_value(values))
    except (KeyError, TypeError):
        return False
