"""The activation genome: one categorical gene per activation slot, and the SAFS move on it."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from automl_sparse.config import Categorical
from automl_sparse.spaces import GENE_PREFIX, Param

Genome = tuple[Any, ...]
"""One value per gene, in the order of the space's genes (its slots' order)."""


@dataclass(frozen=True)
class GenomeSpace:
    """The genes of an expanded space: searched categorical parameters named ``act.*``."""

    names: tuple[str, ...]
    choices: tuple[tuple[Any, ...], ...]

    @classmethod
    def of(cls, params: Sequence[Param]) -> GenomeSpace:
        genes = [
            p for p in params if p.name.startswith(GENE_PREFIX) and isinstance(p.spec, Categorical)
        ]
        return cls(
            tuple(p.name for p in genes),
            tuple(tuple(p.spec.choices) for p in genes),  # type: ignore[union-attr]
        )

    def __len__(self) -> int:
        return len(self.names)

    def read(self, values: Mapping[str, Any]) -> Genome | None:
        """The genome in a trial's params, or None if a gene is missing or not a choice."""
        genome = tuple(values.get(name) for name in self.names)
        ok = all(v in choices for v, choices in zip(genome, self.choices, strict=True))
        return genome if ok and all(name in values for name in self.names) else None

    def as_params(self, genome: Genome) -> dict[str, Any]:
        return dict(zip(self.names, genome, strict=True))

    def first(self) -> Genome:
        """Every gene at its first choice (the search's start unless ``start`` says otherwise)."""
        return tuple(choices[0] for choices in self.choices)

    def uniform(self, rng: random.Random) -> Genome:
        return tuple(rng.choice(choices) for choices in self.choices)

    def neighbour(self, genome: Genome, rng: random.Random) -> Genome:
        """The SAFS move: change one random gene, then swap two random genes.

        Only genes with two or more choices change; only genes with the same choices swap.
        The result always differs from ``genome`` when some gene can change.
        """
        new = list(genome)
        changeable = [i for i, choices in enumerate(self.choices) if len(choices) > 1]
        if not changeable:
            return genome
        i = rng.choice(changeable)
        new[i] = rng.choice([c for c in self.choices[i] if c != genome[i]])
        partners = [j for j in range(len(new)) if self.choices[j] == self.choices[i]]
        if len(partners) > 1:
            a, b = rng.sample(partners, 2)
            new[a], new[b] = new[b], new[a]
        return tuple(new)

    def crossover(self, mother: Genome, father: Genome, rng: random.Random) -> Genome:
        """One-point crossover: the head of one parent, the tail of the other."""
        if len(mother) < 2:
            return mother
        cut = rng.randrange(1, len(mother))
        return mother[:cut] + father[cut:]
