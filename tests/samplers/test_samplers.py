"""Every sampler: registered, seeded and reproducible on one worker, better than random search."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

import optuna
import pytest

from automl_sparse._errors import UserError
from automl_sparse.samplers import create_sampler, list_samplers
from automl_sparse.samplers._optuna import grid_values
from automl_sparse.spaces import Param, sample
from tests.samplers._objective import full_score, full_space, genome_score, genome_space, run

FAST_SMAC = {"challengers": 200, "local_search_iterations": 2, "n_initial": 6}
OPTIONS: dict[str, dict[str, Any]] = {
    "smac": FAST_SMAC,
    "gp": {"n_startup_trials": 5},
    "nsga2": {"population_size": 8},
    "nsga3": {"population_size": 8},
}
GENOME_SAMPLERS = ["lahc", "sa", "rs", "ga"]


def _best(
    name: str, params: list[Param], score: Callable[..., float], n: int, seeds: range
) -> float:
    options = OPTIONS.get(name, {})
    values = [
        run(create_sampler(name, seed=seed, space=params, **options), params, score, n).best_value
        for seed in seeds
    ]
    return statistics.mean(values)


def test_every_sampler_of_the_design_is_registered() -> None:
    expected = {"tpe", "random", "cmaes", "gp", "nsga2", "grid", "smac", *GENOME_SAMPLERS}
    assert expected <= set(list_samplers())


@pytest.mark.parametrize("name", sorted(set(list_samplers())))
def test_same_seed_same_sequence(name: str) -> None:
    params = genome_space() if name in GENOME_SAMPLERS else full_space(2)
    score = genome_score if name in GENOME_SAMPLERS else full_score
    n = 8 if name in ("gp", "smac") else 14
    options = OPTIONS.get(name, {})

    def sequence(seed: int) -> list[dict[str, Any]]:
        sampler = create_sampler(name, seed=seed, space=params, **options)
        return [t.params for t in run(sampler, params, score, n).trials]

    first = sequence(3)
    assert first == sequence(3)
    if name != "grid":  # grid order is seeded, but its points are the same
        assert first != sequence(4)


@pytest.mark.parametrize("name", ["tpe", "cmaes", "nsga2"])
def test_optuna_samplers_beat_random_search(name: str) -> None:
    params = full_space()
    seeds = range(5)
    assert _best(name, params, full_score, 40, seeds) > _best(
        "random", params, full_score, 40, seeds
    )


@pytest.mark.parametrize("name", GENOME_SAMPLERS)
def test_safs_searches_beat_random_search_on_the_genome(name: str) -> None:
    params = genome_space()
    seeds = range(5)
    ours = _best(name, params, genome_score, 40, seeds)
    assert ours > _best("random", params, genome_score, 40, seeds) + 0.03


def test_smac_beats_random_search() -> None:
    params = full_space()
    seeds = range(3)
    assert _best("smac", params, full_score, 20, seeds) > _best(
        "random", params, full_score, 20, seeds
    )


def test_gp_beats_random_search() -> None:
    # Optuna's GP costs about 0.5 s an ask here: a small genome, 16 trials, 3 seeds.
    params = full_space(2)
    seeds = range(3)
    assert _best("gp", params, full_score, 16, seeds) > _best(
        "random", params, full_score, 16, seeds
    )


def test_grid_covers_categoricals_and_grid_points() -> None:
    params = full_space(1)
    sampler = create_sampler("grid", seed=0, space=params, grid_points=3)
    study = run(sampler, params, full_score, 6 * 2 * 3 * 3)
    points = {(t.params["act.layer0"], t.params["optimizer"], t.params["lr"]) for t in study.trials}
    assert len(points) == 6 * 2 * 3  # every choice x every optimizer x 3 learning rates
    lrs = sorted({t.params["lr"] for t in study.trials})
    assert lrs == pytest.approx([1e-4, 10**-2.5, 1e-1])


def test_grid_values_keep_steps_ints_and_logs() -> None:
    from automl_sparse.config import FloatRange, IntRange

    assert grid_values(IntRange(low=1, high=3), 5) == [1, 2, 3]
    assert grid_values(IntRange(low=0, high=100, step=10), 3) == [0, 50, 100]
    assert grid_values(FloatRange(low=0.0, high=0.2, step=0.05), 2) == [0.0, 0.2]
    assert grid_values(FloatRange(low=1e-3, high=1e-1, log=True), 3) == pytest.approx(
        [1e-3, 1e-2, 1e-1]
    )


def test_unknown_sampler_and_bad_options_are_user_errors() -> None:
    with pytest.raises(UserError, match="unknown sampler"):
        create_sampler("nope")
    with pytest.raises(UserError, match="bad option"):
        create_sampler("lahc", space=genome_space(), history_len=3)
    with pytest.raises(UserError, match="one objective"):
        create_sampler("lahc", n_objectives=2, space=genome_space())
    with pytest.raises(UserError, match="genes"):
        create_sampler("sa", space=full_space(0))


def test_multi_objective_samplers_run_two_objectives() -> None:
    params = full_space(2)
    for name in ("tpe", "nsga2", "smac"):
        sampler = create_sampler(
            name, seed=0, n_objectives=2, space=params, **OPTIONS.get(name, {})
        )
        study = optuna.create_study(directions=["maximize", "minimize"], sampler=sampler)
        for _ in range(8):
            trial = study.ask()
            values = sample(trial, params)
            study.tell(trial, [full_score(values), values["lr"]])
        assert len(study.best_trials) >= 1
