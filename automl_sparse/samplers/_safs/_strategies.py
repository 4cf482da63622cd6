"""The SAFS local searches, as folds over finished evaluations plus a proposal rule.

Each strategy is rebuilt before every ask: ``observe`` is called once per finished trial in
trial-number order (whoever proposed it), then ``propose`` draws the next candidate. Fitness
is higher-is-better (the sampler negates minimised objectives; failed and stopped trials are
``-inf``). As a sampler cannot end the study, a strategy's own stopping rule ends a *run*: the
next run starts from the best genome found so far (``restarts`` counts them); the study's
budget ends the search.

SAFS: Loni et al., "Learning Activation Functions for Sparse Neural Networks", AutoML-Conf
2023, https://arxiv.org/abs/2305.10964.
"""

from __future__ import annotations

import math
import random
from abc import ABC, abstractmethod
from collections.abc import Set

from automl_sparse.samplers._safs._genome import Genome, GenomeSpace

_TRIES = 32
"""Moves drawn to find a genome no trial has had yet, before one is repeated."""


class Strategy(ABC):
    """A local search over genomes; see the module docstring for the call order."""

    def __init__(self, space: GenomeSpace, start: Genome) -> None:
        self.space = space
        self.start = start
        self.best: Genome | None = None
        self.best_fitness = -math.inf
        self.restarts = 0

    @abstractmethod
    def observe(self, genome: Genome, fitness: float, rng: random.Random) -> None:
        """Fold one finished evaluation into the state (``rng`` for random acceptance)."""

    @abstractmethod
    def propose(self, rng: random.Random, seen: Set[Genome]) -> Genome:
        """The next genome to evaluate; ``seen`` holds every genome a trial already has."""

    def _record(self, genome: Genome, fitness: float) -> None:
        if self.best is None or fitness > self.best_fitness:
            self.best, self.best_fitness = genome, fitness

    def _move(self, origin: Genome | None, rng: random.Random, seen: Set[Genome]) -> Genome:
        """``start`` first, then unseen neighbours of ``origin`` (unseen random ones if none)."""
        if origin is None:
            if self.start not in seen:
                return self.start
            origin = self.start
        candidate = origin
        for _ in range(_TRIES):
            candidate = self.space.neighbour(origin, rng)
            if candidate not in seen:
                return candidate
        for _ in range(_TRIES):
            other = self.space.uniform(rng)
            if other not in seen:
                return other
        return candidate


class _Trajectory(Strategy):
    """A single current genome that moves by the SAFS neighbour move."""

    def __init__(self, space: GenomeSpace, start: Genome) -> None:
        super().__init__(space, start)
        self.current: Genome | None = None
        self.current_fitness = -math.inf

    def observe(self, genome: Genome, fitness: float, rng: random.Random) -> None:
        self._record(genome, fitness)
        if self.current is None:
            self.current, self.current_fitness = genome, fitness
            self._begin()
        else:
            self._step(genome, fitness, rng)

    def propose(self, rng: random.Random, seen: Set[Genome]) -> Genome:
        return self._move(self.current, rng, seen)

    def _restart(self) -> None:
        assert self.best is not None
        self.current, self.current_fitness = self.best, self.best_fitness
        self.restarts += 1
        self._begin()

    def _begin(self) -> None:
        """Reset the run's counters (at the first evaluation and at every restart)."""

    @abstractmethod
    def _step(self, genome: Genome, fitness: float, rng: random.Random) -> None: ...


class LateAcceptance(_Trajectory):
    """Late acceptance hill climbing: accept if no worse than the current genome or than the
    fitness ``history`` steps ago. A run ends after ``min_steps`` steps once the idle steps
    (since the current fitness last improved) exceed ``idle_fraction`` of all steps.

    Burke and Bykov, "The late acceptance hill-climbing heuristic", EJOR 258 (2017),
    https://doi.org/10.1016/j.ejor.2016.07.012. SAFS settings: history 3, 20 steps, 2%.
    """

    def __init__(
        self,
        space: GenomeSpace,
        start: Genome,
        *,
        history: int = 3,
        min_steps: int = 20,
        idle_fraction: float = 0.02,
    ) -> None:
        super().__init__(space, start)
        self.history_length = history
        self.min_steps = min_steps
        self.idle_fraction = idle_fraction
        self.memory: list[float] = []
        self.steps = 0
        self.idle = 0

    def _begin(self) -> None:
        self.memory = [self.current_fitness] * self.history_length
        self.steps = 0
        self.idle = 0

    def _step(self, genome: Genome, fitness: float, rng: random.Random) -> None:
        slot = self.steps % self.history_length
        if fitness >= self.memory[slot] or fitness >= self.current_fitness:
            self.idle = 0 if fitness > self.current_fitness else self.idle + 1
            self.current, self.current_fitness = genome, fitness
        else:
            self.idle += 1
        self.memory[slot] = self.current_fitness
        self.steps += 1
        if self.steps >= self.min_steps and self.idle > self.idle_fraction * self.steps:
            self._restart()


class Annealing(_Trajectory):
    """Simulated annealing: accept a worse genome with probability exp(-dE / T), T falling
    geometrically from ``t_start`` to ``t_end`` over ``steps`` steps; then a new run (reheated)
    starts from the best. dE is the fitness loss times ``energy_scale``: with the default 1e4,
    temperatures are in units of 1e-4 of the objective, so the paper's 10000 -> 10 goes from
    accepting every move to refusing a loss of 0.01 accuracy (exp(-10)).

    Kirkpatrick et al., "Optimization by Simulated Annealing", Science 220 (1983),
    https://doi.org/10.1126/science.220.4598.671. SAFS settings: 10000 -> 10 in 20 steps.
    """

    def __init__(
        self,
        space: GenomeSpace,
        start: Genome,
        *,
        t_start: float = 1e4,
        t_end: float = 10.0,
        steps: int = 20,
        energy_scale: float = 1e4,
    ) -> None:
        super().__init__(space, start)
        self.t_start, self.t_end, self.steps = t_start, t_end, steps
        self.energy_scale = energy_scale
        self.step = 0

    def temperature(self) -> float:
        fraction = self.step / max(1, self.steps - 1)
        return self.t_start * (self.t_end / self.t_start) ** fraction

    def _begin(self) -> None:
        self.step = 0

    def _step(self, genome: Genome, fitness: float, rng: random.Random) -> None:
        gain = (fitness - self.current_fitness) * self.energy_scale
        draw = rng.random()
        if fitness >= self.current_fitness or draw < math.exp(gain / self.temperature()):
            self.current, self.current_fitness = genome, fitness
        self.step += 1
        if self.step >= self.steps:
            self._restart()


class RandomMoves(_Trajectory):
    """SAFS's random search: random neighbour moves, kept only when no worse. A rejected move
    is undone (the current genome stays the accepted one; the original code kept it). A run is
    ``samples`` moves; the next run continues from the best.
    """

    def __init__(self, space: GenomeSpace, start: Genome, *, samples: int = 20) -> None:
        super().__init__(space, start)
        self.samples = samples
        self.count = 0

    def _begin(self) -> None:
        self.count = 0

    def _step(self, genome: Genome, fitness: float, rng: random.Random) -> None:
        if fitness >= self.current_fitness:
            self.current, self.current_fitness = genome, fitness
        self.count += 1
        if self.count >= self.samples:
            self._restart()


class Genetic(Strategy):
    """A generational GA with elitism: tournament selection (2), one-point crossover with
    probability ``crossover``, the SAFS move as mutation with probability ``mutation``.
    Generation 0 is the start genome plus uniform random genomes; each later generation is the
    ``elitism`` best of the last one plus ``population - elitism`` evaluated children. After
    ``generations`` generations a new run starts: the best plus neighbours of it.

    Holland, "Adaptation in Natural and Artificial Systems" (1975). SAFS settings: population
    5, 2 generations, crossover 0.8, mutation 0.3, elitism.
    """

    def __init__(
        self,
        space: GenomeSpace,
        start: Genome,
        *,
        population: int = 5,
        generations: int = 2,
        crossover: float = 0.8,
        mutation: float = 0.3,
        elitism: int = 1,
    ) -> None:
        super().__init__(space, start)
        if not 0 <= elitism < population:
            raise ValueError(f"elitism must be in [0, population), but got {elitism=}")
        self.size, self.generations = population, generations
        self.crossover_rate, self.mutation_rate, self.elitism = crossover, mutation, elitism
        self.population: list[tuple[Genome, float]] = []
        self.offspring: list[tuple[Genome, float]] = []
        self.generation = 0

    def observe(self, genome: Genome, fitness: float, rng: random.Random) -> None:
        self._record(genome, fitness)
        if len(self.population) < self.size:
            self.population.append((genome, fitness))
            return
        self.offspring.append((genome, fitness))
        if len(self.offspring) >= self.size - self.elitism:
            ranked = sorted(self.population, key=lambda member: -member[1])
            self.population = ranked[: self.elitism] + self.offspring
            self.offspring = []
            self.generation += 1
            if self.generation >= self.generations:
                assert self.best is not None
                self.population = [(self.best, self.best_fitness)]
                self.generation = 0
                self.restarts += 1

    def propose(self, rng: random.Random, seen: Set[Genome]) -> Genome:
        if len(self.population) < self.size:
            return self._founder(rng, seen)
        child = self.start
        for _ in range(_TRIES):
            child = self._child(rng)
            if child not in seen:
                return child
        return self._move(child, rng, seen)

    def _founder(self, rng: random.Random, seen: Set[Genome]) -> Genome:
        if self.restarts:
            return self._move(self.best, rng, seen)
        if self.start not in seen:
            return self.start
        for _ in range(_TRIES):
            genome = self.space.uniform(rng)
            if genome not in seen:
                return genome
        return self._move(self.start, rng, seen)

    def _child(self, rng: random.Random) -> Genome:
        mother, father = self._tournament(rng), self._tournament(rng)
        child = mother
        if rng.random() < self.crossover_rate:
            child = self.space.crossover(mother, father, rng)
        if rng.random() < self.mutation_rate:
            child = self.space.neighbour(child, rng)
        return child

    def _tournament(self, rng: random.Random) -> Genome:
        a, b = rng.sample(self.population, 2) if len(self.population) > 1 else self.population * 2
        return a[0] if a[1] >= b[1] else b[0]
