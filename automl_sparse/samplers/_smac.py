"""SMAC3 as an Optuna sampler, rebuilt from the study database before every ask.

SMAC3: Lindauer et al., "SMAC3: A Versatile Bayesian Optimization Package for Hyperparameter
Optimization", JMLR 23 (2022), https://jmlr.org/papers/v23/21-0888.html.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import warnings
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

from automl_sparse._errors import UserError
from automl_sparse.samplers._registry import register_sampler
from automl_sparse.spaces import (
    Param,
    from_configuration,
    search_space_distributions,
    to_configspace,
    to_configuration,
)
from automl_sparse.storage import keys

_FINISHED = (TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED)
_FACADES = ("hpo", "blackbox")
N_INITIAL = 10
"""Initial-design configurations (Sobol), less the trials the study already has."""


def _smac() -> Any:
    try:
        import smac
    except ImportError:
        raise UserError("SMAC3 is not installed; run: pip install 'automl-sparse[smac]'") from None
    logging.getLogger("smac").setLevel(logging.ERROR)
    return smac


class SmacSampler(optuna.samplers.BaseSampler):
    """SMAC3 on the ConfigSpace form of the space, driven by ask/tell from the study database.

    Before each ask, every finished trial of the study that SMAC has not been told yet is told,
    whoever ran it (another worker, another sampler, a run before ``resume``): complete trials
    with cost = value (minimised; maximised objectives negated), stopped trials and failed ones
    (``fail_kind`` ``error``) as ``CRASHED`` with the worst cost seen so far (told once a
    complete trial exists). Interrupted or lost trials are skipped: their retry is told. The whole
    configuration is sampled at once (``sample_relative``): every active parameter, so conditions
    are SMAC's. Enqueued trials (retries) keep their parameters and do not ask SMAC.

    ``facade``: ``hpo`` (``HyperparameterOptimizationFacade``: random forest + EI + Sobol
    initial design; SMAC 2.4's forest is scikit-learn's, pyrfr is not needed) or ``blackbox``
    (Gaussian process). SMAC writes its files to a temporary directory removed with the sampler.
    """

    def __init__(
        self,
        space: Sequence[Param],
        *,
        seed: int | None = None,
        n_objectives: int = 1,
        facade: str = "hpo",
        n_initial: int = N_INITIAL,
        retrain_after: int = 1,
        challengers: int = 5000,
        local_search_iterations: int = 10,
    ) -> None:
        if facade not in _FACADES:
            raise UserError(f"sampler 'smac': facade must be one of {_FACADES}, got {facade!r}")
        self._params = list(space)
        self._distributions = search_space_distributions(self._params)
        self._seed = 0 if seed is None else seed
        self._n_objectives = n_objectives
        self._facade_name = facade
        self._n_initial = n_initial
        self._selector = {"retrain_after": retrain_after}
        self._maximizer = {
            "challengers": challengers,
            "local_search_iterations": local_search_iterations,
        }
        self._configspace = to_configspace(self._params, seed=self._seed)
        self._facade: Any = None
        self._told: set[int] = set()
        self._asked: dict[int, Any] = {}
        self._tell_seed = 0
        self._lock = threading.Lock()
        self._independent = optuna.samplers.RandomSampler(seed=seed)
        self._tmp = tempfile.TemporaryDirectory(prefix="automl-sparse-smac-")
        weakref.finalize(self, self._tmp.cleanup)

    # --- Optuna's sampler interface --------------------------------------------------------

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return dict(self._distributions)

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space or trial.system_attrs.get("fixed_params"):
            return {}
        with self._lock:  # the coordinator asks from several threads; SMAC is not reentrant
            self.sync(study)
            with warnings.catch_warnings():  # numpy's "mean of empty slice" in SMAC's forest
                warnings.simplefilter("ignore", RuntimeWarning)
                info = self._facade.ask()
            self._asked[trial.number] = info
            self._tell_seed = info.seed
        values = from_configuration(info.config)
        return {name: value for name, value in values.items() if name in search_space}

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        return self._independent.sample_independent(study, trial, param_name, param_distribution)

    # --- the history -----------------------------------------------------------------------

    @property
    def runhistory(self) -> Any:
        """SMAC's run history (None before the first sync)."""
        return None if self._facade is None else self._facade.runhistory

    def sync(self, study: Study) -> int:
        """Tell SMAC every finished trial it has not seen; return how many were told."""
        trials = [
            t
            for t in study.get_trials(deepcopy=False, states=_FINISHED)
            if t.number not in self._told
        ]
        if self._facade is None:
            self._facade = self._build(study, n_finished=len(trials))
        complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        worst = self._worst_cost(study, complete)
        told = 0
        for trial in sorted(trials, key=lambda t: t.number):
            if _retried(trial):
                self._told.add(trial.number)  # its retry, a new trial, is the evaluation
            elif trial.state == TrialState.COMPLETE or worst is not None:
                told += self._tell(study, trial, worst)
            # else: told once a complete trial gives a finite crash cost
        return told

    @property
    def told(self) -> frozenset[int]:
        """Numbers of the trials SMAC has been told (or skipped as not evidence)."""
        return frozenset(self._told)

    def _tell(self, study: Study, trial: FrozenTrial, worst: list[float] | None) -> int:
        from smac.runhistory import StatusType, TrialInfo, TrialValue

        self._told.add(trial.number)
        try:
            config = to_configuration(self._configspace, trial.params)
        except (ValueError, KeyError):
            return 0  # not a point of this space (another phase of the study): skipped
        info = self._asked.pop(trial.number, None) or TrialInfo(config, seed=self._tell_seed)
        if trial.state == TrialState.COMPLETE:
            value = TrialValue(cost=self._cost(study, trial.values))
        else:
            value = TrialValue(cost=self._scalar(worst), status=StatusType.CRASHED)
        self._facade.tell(info, value, save=False)
        return 1

    def _cost(self, study: Study, values: Sequence[float]) -> float | list[float]:
        costs = [
            -v if d == StudyDirection.MAXIMIZE else v
            for v, d in zip(values, study.directions, strict=True)
        ]
        return self._scalar(costs)

    def _scalar(self, costs: Any) -> Any:
        return costs[0] if self._n_objectives == 1 else list(costs)

    def _worst_cost(self, study: Study, complete: list[FrozenTrial]) -> list[float] | None:
        if not complete:
            return None
        costs = [self._cost(study, t.values) for t in complete]
        columns = zip(*[c if isinstance(c, list) else [c] for c in costs], strict=True)
        return [max(column) for column in columns]

    def _build(self, study: Study, n_finished: int) -> Any:
        smac = _smac()
        facade_type = (
            smac.HyperparameterOptimizationFacade
            if self._facade_name == "hpo"
            else smac.BlackBoxFacade
        )
        objectives = [f"objective_{i}" for i in range(self._n_objectives)]
        scenario = smac.Scenario(
            self._configspace,
            name="smac",
            output_directory=Path(self._tmp.name) / "smac",
            deterministic=True,
            objectives=objectives[0] if self._n_objectives == 1 else objectives,
            n_trials=10**9,
            seed=self._seed,
        )
        n_initial = max(0, self._n_initial - n_finished)
        extra: dict[str, Any] = {}
        if self._facade_name == "hpo":
            extra["acquisition_maximizer"] = facade_type.get_acquisition_maximizer(
                scenario, **self._maximizer
            )
            extra["model"] = _forest(scenario)
        return facade_type(
            scenario,
            target_function=_never_called,
            initial_design=facade_type.get_initial_design(scenario, n_configs=n_initial),
            intensifier=facade_type.get_intensifier(scenario, max_config_calls=1),
            config_selector=facade_type.get_config_selector(scenario, **self._selector),
            logging_level=False,
            overwrite=True,
            **extra,
        )


def _retried(trial: FrozenTrial) -> bool:
    """A failed trial that was interrupted or lost, not one whose configuration failed."""
    kind = trial.user_attrs.get(keys.FAIL_KIND, keys.FAIL_LOST)
    return trial.state == TrialState.FAIL and kind != keys.FAIL_ERROR


def _forest(scenario: Any) -> Any:
    """The HPO facade's random forest, in this thread: joblib's pool costs more than it saves
    for ten small trees, and one thread keeps the forest reproducible."""
    from smac.model.random_forest import RandomForest

    return RandomForest(
        configspace=scenario.configspace,
        log_y=True,
        n_trees=10,
        ratio_features=1.0,
        min_samples_split=2,
        min_samples_leaf=1,
        max_depth=2**20,
        max_leaf_nodes=None,  # unlimited, as 2**20; sklearn's best-first builder is slow
        bootstrapping=True,
        seed=scenario.seed,
        n_jobs=1,
    )


def _never_called(config: Any, seed: int = 0) -> float:
    raise RuntimeError("the SMAC sampler is driven by ask/tell; trials run elsewhere")


@register_sampler("smac", multi_objective=True)
def _smac_sampler(
    seed: int | None, n_objectives: int, *, space: Sequence[Param] = (), **options: Any
) -> optuna.samplers.BaseSampler:
    return SmacSampler(space, seed=seed, n_objectives=n_objectives, **options)
