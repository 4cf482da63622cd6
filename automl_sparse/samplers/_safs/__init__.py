"""SAFS local search over the activation genome: lahc, sa, rs, ga (see ``_strategies``)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import optuna

from automl_sparse._errors import UserError
from automl_sparse.samplers._registry import register_sampler
from automl_sparse.samplers._safs._genome import GenomeSpace
from automl_sparse.samplers._safs._sampler import FirstValueSampler, GenomeSampler
from automl_sparse.samplers._safs._strategies import (
    Annealing,
    Genetic,
    LateAcceptance,
    RandomMoves,
    Strategy,
)
from automl_sparse.spaces import Param

STRATEGIES: dict[str, type[Strategy]] = {
    "lahc": LateAcceptance,
    "sa": Annealing,
    "rs": RandomMoves,
    "ga": Genetic,
}
_SAMPLER_OPTIONS = ("start", "others")


def _builder(name: str) -> Any:
    def build(
        seed: int | None, n_objectives: int, *, space: Sequence[Param] = (), **options: Any
    ) -> optuna.samplers.BaseSampler:
        sampler_options = {k: options.pop(k) for k in _SAMPLER_OPTIONS if k in options}
        strategy = partial(STRATEGIES[name], **options)
        try:
            strategy(GenomeSpace(("g",), (("a", "b"),)), ("a",))  # options checked now
        except ValueError as error:
            raise UserError(f"sampler {name!r}: {error}") from None
        return GenomeSampler(space, strategy, seed=seed, **sampler_options)

    build.__doc__ = f"The SAFS {name} search: {STRATEGIES[name].__doc__}"
    return build


for _name in STRATEGIES:
    register_sampler(_name)(_builder(_name))

__all__ = [
    "STRATEGIES",
    "Annealing",
    "FirstValueSampler",
    "Genetic",
    "GenomeSampler",
    "GenomeSpace",
    "LateAcceptance",
    "RandomMoves",
    "Strategy",
]
