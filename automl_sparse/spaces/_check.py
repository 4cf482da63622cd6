"""Load-time checks of an expanded space: one clear line for a space that contradicts itself."""

from __future__ import annotations

from collections.abc import Sequence

from automl_sparse._errors import UserError
from automl_sparse.config import Fixed, FloatRange, IntRange
from automl_sparse.spaces._distributions import search_space_distributions
from automl_sparse.spaces._space import GENE_PREFIX, Param


def _check_names(params: Sequence[Param]) -> None:
    seen: set[str] = set()
    for param in params:
        if param.name in seen:
            raise UserError(f"search space: parameter name {param.name!r} is defined twice")
        seen.add(param.name)
        pinned_gene = isinstance(param.spec, Fixed)
        if param.name.startswith(GENE_PREFIX) and param.name == param.source and not pinned_gene:
            raise UserError(
                f"search space: {param.name!r} starts with {GENE_PREFIX!r}, which is reserved "
                "for per-slot genes (a fixed value pins that slot's activation)"
            )


def _check_conditions(params: Sequence[Param]) -> None:
    per_slot = {p.source for p in params if p.name != p.source}
    for param in params:
        for parent in getattr(param.spec, "when", None) or {}:
            if parent in per_slot:
                raise UserError(
                    f"search space parameter {param.name!r}: a condition cannot name the "
                    f"per-slot parameter {parent!r}"
                )


def _check_ranges(params: Sequence[Param]) -> None:
    for param in params:
        spec = param.spec
        if not isinstance(spec, FloatRange | IntRange):
            continue
        stepped = spec.step is not None and not (isinstance(spec, IntRange) and spec.step == 1)
        if spec.log and stepped:
            raise UserError(
                f"search space parameter {param.name!r}: a log range cannot have a step"
            )
        if spec.step is not None and spec.step > spec.high - spec.low:
            raise UserError(
                f"search space parameter {param.name!r}: step {spec.step} is wider than "
                f"the range [{spec.low}, {spec.high}]"
            )


def check_space(params: Sequence[Param], *, configspace: bool = False) -> None:
    """Raise UserError (one line) for an expanded space no sampler can use.

    Checks names (unique; ``act.`` only for genes), conditions (never on a per-slot parameter),
    ranges (no step on a log range), the Optuna distributions, and with ``configspace`` the
    ConfigSpace compilation too (for SMAC).
    """
    _check_names(params)
    _check_conditions(params)
    _check_ranges(params)
    search_space_distributions(params)
    if configspace:
        from automl_sparse.spaces._configspace import to_configspace

        to_configspace(params)
