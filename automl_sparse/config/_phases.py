"""Multi-phase studies: each phase of a plan made into one runnable study config.

A phase merges its ``space`` over the study's, and fixes the ``carry`` parameters to their
values in the best trial of the phase before it. SAFS is the example: phase 1 searches the
activation genome with fine-tuning fixed; phase 2 carries the genome and searches fine-tuning.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from automl_sparse._errors import UserError
from automl_sparse.config._schema import Categorical, Fixed, SearchSpace, StudyConfig

PHASE_SEPARATOR = "."
GENE_PREFIX = "act."
"""Per-slot genes are trial parameters ``act.<slot>`` (``automl_sparse.spaces`` names them)."""


def phase_study_name(plan: StudyConfig, index: int) -> str:
    """The Optuna study that runs phase ``index`` of ``plan``: ``<name>.<phase>``."""
    return f"{plan.name}{PHASE_SEPARATOR}{plan.phases[index].name}"


def merge_space(base: SearchSpace, overrides: Mapping[str, Any], field: str) -> SearchSpace:
    """``base`` with each override replacing its entry in place; new entries are appended."""
    merged: dict[str, Any] = {name: spec for name, spec in base.params.items()}
    merged.update(overrides)
    try:
        return SearchSpace.model_validate({"params": merged})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:2])
        detail = first["msg"].removeprefix("Value error, ")
        raise UserError(f"field '{field}{'.' + where if where else ''}': {detail}") from None


def carried_values(
    space: SearchSpace, carry: list[str], best: Mapping[str, Any], field: str
) -> dict[str, Any]:
    """The values of the ``carry`` parameters in ``best`` (a trial's parameters, fixed included).

    A per-slot parameter carries all its genes; a parameter that was inactive in ``best``
    (its condition did not hold) carries nothing.
    """
    values: dict[str, Any] = {}
    for name in carry:
        spec = space.params.get(name)
        if spec is None:
            raise UserError(f"field '{field}': {name!r} is not a parameter of the phase before")
        if isinstance(spec, Categorical) and spec.per_slot:
            values |= {k: v for k, v in best.items() if k.startswith(GENE_PREFIX)}
        elif name in best:
            values[name] = best[name]
    return values


def _pin(space: SearchSpace, carry: list[str], values: Mapping[str, Any]) -> SearchSpace:
    """``space`` with the carried parameters replaced by fixed values, in place."""
    params: dict[str, Any] = {}
    for name, spec in space.params.items():
        if name not in carry:
            params[name] = spec
        elif isinstance(spec, Categorical) and spec.per_slot:
            genes = {k: v for k, v in values.items() if k.startswith(GENE_PREFIX)}
            params |= {gene: Fixed(value=value) for gene, value in genes.items()}
        elif name in values:
            params[name] = Fixed(value=values[name])
    return SearchSpace(params=params)


def phase_space(plan: StudyConfig, index: int) -> SearchSpace:
    """Phase ``index``'s space before carrying: the study's space with the phases' overrides.

    Overrides accumulate: phase 2 starts from phase 1's space.
    """
    assert isinstance(plan.space, SearchSpace), "the loader inlines space files"
    space = plan.space
    for i, phase in enumerate(plan.phases[: index + 1]):
        space = merge_space(space, phase.space, f"phases[{i}].space")
    return space


def phase_config(
    plan: StudyConfig, index: int, carried: Mapping[str, Any] | None = None
) -> StudyConfig:
    """Phase ``index`` of ``plan`` as one runnable study config, ``carried`` values fixed."""
    phase = plan.phases[index]
    space = phase_space(plan, index)
    if carried is not None:
        space = _pin(space, phase.carry, carried)
    return plan.model_copy(
        update={
            "name": phase_study_name(plan, index),
            "space": space,
            "sampler": phase.sampler or plan.sampler,
            "stopping": phase.stopping or plan.stopping,
            "budget": phase.budget or plan.budget,
            "phases": [],
        }
    )


def check_phases(plan: StudyConfig) -> list[StudyConfig]:
    """Every phase's config (carried parameters still searched), each space merged and checked.

    Raises UserError naming the phase field of the first mistake.
    """
    configs = []
    for index, phase in enumerate(plan.phases):
        if index > 0:
            before = phase_space(plan, index - 1)
            for name in phase.carry:
                if name not in before.params:
                    raise UserError(
                        f"field 'phases[{index}].carry': {name!r} is not a parameter of "
                        f"phase {plan.phases[index - 1].name!r}"
                    )
        configs.append(phase_config(plan, index))
    return configs
