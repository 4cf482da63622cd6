"""SAFS local search: the move, the acceptance rules, and replay from the study database."""

from __future__ import annotations

import math
import random
from pathlib import Path

import optuna
from optuna.trial import TrialState

from automl_sparse.samplers import GenomeSampler, create_sampler
from automl_sparse.samplers._safs import (
    Annealing,
    Genetic,
    GenomeSpace,
    LateAcceptance,
    RandomMoves,
)
from automl_sparse.spaces import sample
from automl_sparse.storage import keys
from tests.samplers._objective import CHOICES, full_space, genome_score, genome_space, run

SPACE = GenomeSpace(tuple(f"act.l{i}" for i in range(4)), (tuple("abcdef"),) * 4)


def test_neighbour_changes_one_gene_then_swaps_two() -> None:
    rng = random.Random(0)
    genome = ("a", "a", "b", "c")
    for _ in range(200):
        new = SPACE.neighbour(genome, rng)
        assert new != genome
        assert sum(x != y for x, y in zip(new, genome, strict=True)) <= 3


def test_lahc_accepts_late_and_restarts_from_the_best_when_idle() -> None:
    def walk(min_steps: int) -> LateAcceptance:
        lahc = LateAcceptance(SPACE, SPACE.first(), history=3, min_steps=min_steps)
        rng = random.Random(0)
        lahc.observe(("a",) * 4, 0.5, rng)
        lahc.observe(("b",) * 4, 0.4, rng)  # worse than current and history: rejected
        assert lahc.current == ("a",) * 4
        lahc.observe(("c",) * 4, 0.9, rng)  # better: accepted, idle reset
        assert (lahc.current, lahc.idle) == (("c",) * 4, 0)
        lahc.observe(("d",) * 4, 0.6, rng)  # worse than 0.9, but history[2] is 0.5: accepted
        return lahc

    assert walk(min_steps=20).current == ("d",) * 4
    ended = walk(min_steps=3)  # 3 steps, idle 1 > 2% of 3: the run ends, back to the best
    assert (ended.restarts, ended.current, ended.steps) == (1, ("c",) * 4, 0)


def test_rs_undoes_rejected_moves() -> None:
    rs = RandomMoves(SPACE, SPACE.first())
    rng = random.Random(0)
    rs.observe(("a",) * 4, 0.5, rng)
    rs.observe(("b",) * 4, 0.2, rng)
    assert rs.current == ("a",) * 4  # the original code kept ("b",)*4 here
    rs.observe(("c",) * 4, 0.7, rng)
    assert rs.current == ("c",) * 4


def test_sa_cools_from_t_start_to_t_end_then_reheats() -> None:
    sa = Annealing(SPACE, SPACE.first(), steps=20)
    rng = random.Random(0)
    sa.observe(("a",) * 4, 0.5, rng)
    assert sa.temperature() == 1e4
    for i in range(19):
        sa.observe(SPACE.uniform(rng), 0.5 - 0.1 * (i % 2), rng)
    assert math.isclose(sa.temperature(), 10.0)
    sa.observe(("b",) * 4, 0.0, rng)  # a loss of 0.5 at T = 10: never accepted
    assert sa.current != ("b",) * 4
    assert (sa.restarts, sa.temperature()) == (1, 1e4)


def test_ga_generations_elitism_and_restart() -> None:
    ga = Genetic(SPACE, SPACE.first())
    rng = random.Random(0)
    for i in range(5):
        ga.observe(SPACE.uniform(rng), i / 10, rng)
    best = ga.best
    children = [ga.propose(rng, set()) for _ in range(4)]
    for child in children:
        ga.observe(child, 0.0, rng)
    assert ga.generation == 1
    assert ga.population[0] == (best, 0.4)  # the elite survives
    for _ in range(4):
        ga.observe(ga.propose(rng, set()), 0.0, rng)
    assert (ga.restarts, ga.generation, len(ga.population)) == (1, 0, 1)


def test_first_trial_is_the_start_genome_then_unseen_neighbours() -> None:
    params = genome_space()
    sampler = create_sampler("lahc", seed=0, space=params, start="relu")
    study = run(sampler, params, genome_score, 12)
    assert all(v == "relu" for k, v in study.trials[0].params.items())
    genomes = [tuple(sorted(t.params.items())) for t in study.trials]
    assert len(set(genomes)) == len(genomes)


def test_replay_is_the_same_after_resume_and_with_other_workers(tmp_path: Path) -> None:
    params = genome_space()
    url = f"sqlite:///{tmp_path / 'study.db'}"
    study = optuna.create_study(study_name="s", storage=url, direction="maximize")
    study.sampler = create_sampler("lahc", seed=0, space=params)
    for _ in range(6):
        trial = study.ask()
        study.tell(trial, genome_score(sample(trial, params)))
    study.sampler = optuna.samplers.RandomSampler(seed=1)  # another worker's trials
    for _ in range(3):
        trial = study.ask()
        study.tell(trial, genome_score(sample(trial, params)))
    before = create_sampler("lahc", seed=0, space=params)
    resumed = optuna.load_study(study_name="s", storage=url)
    after = create_sampler("lahc", seed=0, space=params)
    assert isinstance(before, GenomeSampler) and isinstance(after, GenomeSampler)
    state_before, state_after = before.replay(study), after.replay(resumed)
    assert vars(state_before) == vars(state_after)
    assert state_after.best_fitness == study.best_value  # the other workers' trials count


def test_failed_and_stopped_trials_score_worst_interrupted_are_skipped() -> None:
    params = genome_space()
    sampler = create_sampler("rs", seed=0, space=params)
    assert isinstance(sampler, GenomeSampler)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    outcomes = [("ok", 0.5), (keys.FAIL_ERROR, None), ("pruned", None), (keys.FAIL_LOST, None)]
    for kind, value in outcomes:
        trial = study.ask()
        sample(trial, params)
        if value is not None:
            study.tell(trial, value)
        elif kind == "pruned":
            study.tell(trial, state=TrialState.PRUNED)
        else:
            trial.set_user_attr(keys.FAIL_KIND, kind)
            study.tell(trial, state=TrialState.FAIL)
    state = sampler.replay(study)
    assert state.best_fitness == -0.5  # minimised: fitness is the negated value
    assert state.count == 2  # the error and the stopped trial were moves; the lost one not


def test_others_first_keeps_fine_tuning_fixed_and_tpe_samples_it() -> None:
    params = full_space(3)
    fixed = run(create_sampler("sa", seed=0, space=params, others="first"), params, len, 5)
    assert {t.params["optimizer"] for t in fixed.trials} == {"adam"}
    assert {t.params["lr"] for t in fixed.trials} == {1e-4}
    free = run(create_sampler("sa", seed=0, space=params), params, len, 12)
    assert len({t.params["lr"] for t in free.trials}) == 12
    assert set(free.trials[0].params) >= {"act.layer0", "optimizer", "lr"}
    assert all(t.params["act.layer0"] in CHOICES for t in free.trials)
