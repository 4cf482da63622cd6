"""An Optuna sampler that runs a SAFS local search over the activation genome."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

from automl_sparse._errors import UserError
from automl_sparse.config import Categorical, FloatRange, IntRange
from automl_sparse.samplers._safs._genome import Genome, GenomeSpace
from automl_sparse.samplers._safs._strategies import Strategy
from automl_sparse.spaces import Param
from automl_sparse.storage import keys

StrategyFactory = Callable[[GenomeSpace, Genome], Strategy]
_FINISHED = (TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED)


class GenomeSampler(optuna.samplers.BaseSampler):
    """A SAFS local search (``strategy``) over the ``act.*`` genes; ``others`` for the rest.

    Before every ask the search is replayed from the study's finished trials in trial-number
    order, whoever ran them, so its state is the same after ``resume`` and with several workers
    (a genome proposed while others run is drawn with a random generator seeded by the seed and
    the trial number). Fitness is the objective (negated when minimised); stopped trials and
    failed ones whose ``fail_kind`` is ``error`` score ``-inf``; interrupted or lost trials are
    skipped (their retry is the evaluation). A genome no trial has had is preferred.

    ``start``: the first genome: ``"first"`` (every gene at its first choice), ``"random"``,
    or one choice for every gene (e.g. ``"relu"``). ``others`` samples the parameters that
    are not genes: a registered sampler name (default ``"tpe"``, independent sampling) or
    ``"first"`` (first choice, low end of a range: the paper's fixed fine-tuning).
    """

    def __init__(
        self,
        space: Sequence[Param],
        strategy: StrategyFactory,
        *,
        seed: int | None = None,
        start: Any = "first",
        others: str = "tpe",
    ) -> None:
        self.genes = GenomeSpace.of(space)
        if not len(self.genes):
            raise UserError("a SAFS sampler needs per-slot activation genes in the space")
        self._strategy = strategy
        self._seed = 0 if seed is None else seed
        self._start = self._start_genome(start)
        self._others = _inner_sampler(others, seed, space)

    def _start_genome(self, start: Any) -> Genome:
        if start == "first":
            return self.genes.first()
        if start == "random":
            return self.genes.uniform(random.Random(f"{self._seed}:start"))
        if not all(start in choices for choices in self.genes.choices):
            raise UserError(f"SAFS sampler: start {start!r} is not a choice of every gene")
        return tuple(start for _ in self.genes.names)

    # --- the search ------------------------------------------------------------------------

    def replay(self, study: Study) -> Strategy:
        """The search state after every finished trial of ``study``."""
        if len(study.directions) != 1:
            raise UserError("SAFS samplers optimise one objective")
        strategy = self._strategy(self.genes, self._start)
        for trial in sorted(study.get_trials(deepcopy=False, states=_FINISHED), key=_number):
            genome = self.genes.read(trial.params)
            fitness = _fitness(trial, study.direction)
            if genome is not None and fitness is not None:
                strategy.observe(genome, fitness, self._rng(trial.number, "accept"))
        return strategy

    def _rng(self, number: int, purpose: str) -> random.Random:
        return random.Random(f"{self._seed}:{number}:{purpose}")

    # --- Optuna's sampler interface --------------------------------------------------------

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return {
            name: CategoricalDistribution(choices)
            for name, choices in zip(self.genes.names, self.genes.choices, strict=True)
        }

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space or trial.system_attrs.get("fixed_params"):
            return {}
        strategy = self.replay(study)
        seen = {
            genome
            for other in study.get_trials(deepcopy=False)
            if other.number != trial.number and (genome := self.genes.read(other.params))
        }
        genome = strategy.propose(self._rng(trial.number, "propose"), seen)
        return self.genes.as_params(genome)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        return self._others.sample_independent(study, trial, param_name, param_distribution)

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self._others.before_trial(study, trial)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self._others.after_trial(study, trial, state, values)


def _number(trial: FrozenTrial) -> int:
    return trial.number


def _fitness(trial: FrozenTrial, direction: StudyDirection) -> float | None:
    """Higher is better; None for a trial that says nothing about its genome."""
    if trial.state == TrialState.COMPLETE:
        assert trial.value is not None
        return trial.value if direction == StudyDirection.MAXIMIZE else -trial.value
    if trial.state == TrialState.FAIL:
        kind = trial.user_attrs.get(keys.FAIL_KIND, keys.FAIL_LOST)
        return -math.inf if kind == keys.FAIL_ERROR else None
    return -math.inf  # stopped early: judged poor by the stopper


class FirstValueSampler(optuna.samplers.BaseSampler):
    """Every parameter at its first choice or the low end of its range (fixed fine-tuning)."""

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return {}

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        if isinstance(param_distribution, CategoricalDistribution):
            return param_distribution.choices[0]
        return param_distribution.low  # type: ignore[attr-defined]


def _inner_sampler(
    name: str, seed: int | None, space: Sequence[Param]
) -> optuna.samplers.BaseSampler:
    if name == "first":
        return FirstValueSampler()
    from automl_sparse.samplers._registry import create_sampler

    others = [p for p in space if isinstance(p.spec, Categorical | FloatRange | IntRange)]
    if name == "tpe":  # independent: the genome is the local search's
        return optuna.samplers.TPESampler(seed=seed)
    return create_sampler(name, seed=seed, space=others)
