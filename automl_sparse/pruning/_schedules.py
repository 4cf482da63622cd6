"""Pruning schedules: gradual magnitude pruning (GMP) and iterative magnitude pruning (IMP).

One shot is :func:`~automl_sparse.pruning.prune` itself. ../shared/METHODS.md section 2.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from automl_sparse._errors import UserError
from automl_sparse.pruning._masks import MASK, apply_masks
from automl_sparse.pruning._prune import PruneReport, Scope, prune


def gmp_sparsity(step: int, final: float, start: int, end: int, initial: float = 0.0) -> float:
    """Zhu and Gupta's cubic schedule s_t = s_f + (s_i - s_f)(1 - (t - t0)/(n dt))^3, with
    n dt = end - start, clamped to [start, end] (https://arxiv.org/abs/1710.01878)."""
    if step >= end:
        return final
    progress = min(max((step - start) / (end - start), 0.0), 1.0)
    return final + (initial - final) * (1.0 - progress) ** 3


def imp_sparsity(round_index: int, rate: float = 0.1) -> float:
    """Sparsity after IMP round ``round_index`` (from 0) pruning ``rate`` of what remains."""
    return 1.0 - (1.0 - rate) ** (round_index + 1)


class GradualMagnitudePruning:
    """GMP: prune to :func:`gmp_sparsity` every ``every`` steps from ``start_step`` to ``end_step``.

    A training loop calls :meth:`step` with the global step after each optimizer step; the
    model is pruned when ``step`` is a pruning step (``start_step + k * every`` up to
    ``end_step``, and ``end_step`` itself), otherwise left alone. Keep masks applied with
    :func:`~automl_sparse.pruning.keep_masks` in between.
    """

    def __init__(
        self,
        model: nn.Module,
        final_sparsity: float,
        start_step: int,
        end_step: int,
        every: int = 1,
        *,
        initial_sparsity: float = 0.0,
        scope: Scope = "layer",
        method: str = "magnitude",
    ) -> None:
        if not (0 <= start_step <= end_step and every >= 1):
            raise UserError(
                f"GMP needs 0 <= start <= end and every >= 1, got {start_step=}, "
                f"{end_step=}, {every=}"
            )
        self.model = model
        self.final_sparsity = final_sparsity
        self.initial_sparsity = initial_sparsity
        self.start_step, self.end_step, self.every = start_step, end_step, every
        self.scope: Scope = scope
        self.method = method

    def sparsity_at(self, step: int) -> float:
        """The schedule's sparsity at ``step`` (before the first pruning step: none)."""
        if step < self.start_step:
            return 0.0
        last = min(step, self.end_step)
        last = last if last == self.end_step else last - (last - self.start_step) % self.every
        return gmp_sparsity(
            last, self.final_sparsity, self.start_step, self.end_step, self.initial_sparsity
        )

    def is_pruning_step(self, step: int) -> bool:
        """Whether :meth:`step` prunes at ``step``."""
        inside = self.start_step <= step <= self.end_step
        return inside and ((step - self.start_step) % self.every == 0 or step == self.end_step)

    def step(self, step: int) -> PruneReport | None:
        """Prune to the schedule if ``step`` is a pruning step; the report, else None."""
        if not self.is_pruning_step(step):
            return None
        return prune(self.model, self.method, self.sparsity_at(step), scope=self.scope)


def lottery_ticket(
    model: nn.Module,
    train_fn: Callable[[nn.Module], Any],
    *,
    rounds: int,
    rate: float = 0.1,
    scope: Scope = "layer",
    rewind_state: dict[str, torch.Tensor] | None = None,
) -> list[PruneReport]:
    """Iterative magnitude pruning with rewinding (Frankle and Carbin, ICLR 2019,
    https://arxiv.org/abs/1803.03635).

    Each round trains (``train_fn(model)``, which should keep masks, e.g. with
    :func:`~automl_sparse.pruning.keep_masks`), prunes ``rate`` of the remaining weights of
    every layer by |w| (conv and linear only; BatchNorm is never pruned; signs play no part),
    and rewinds every parameter and buffer to ``rewind_state`` (default: the state at the call,
    i.e. the initial weights) with the mask applied. Returns one report per round; the model
    ends rewound and masked, ready for the final training.
    """
    if rounds < 1 or not 0.0 < rate < 1.0:
        raise UserError(f"IMP needs rounds >= 1 and 0 < rate < 1, but got {rounds=}, {rate=}")
    start = copy.deepcopy(rewind_state if rewind_state is not None else model.state_dict())
    start = {k: v for k, v in start.items() if not k.endswith("." + MASK)}
    reports = []
    for r in range(rounds):
        train_fn(model)
        apply_masks(model)
        reports.append(prune(model, "magnitude", imp_sparsity(r, rate), scope=scope))
        model.load_state_dict(start, strict=False)
        apply_masks(model)
    return reports
