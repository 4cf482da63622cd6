"""DASS's search: dense pretraining, pruning, then fine-tuning with a sparsity-aware alpha.

Mousavi, Loni et al., DASS (METHODS section 4), on DARTS (Liu et al., ICLR 2019,
https://arxiv.org/abs/1806.09055) and HYDRA (Sehwag et al., NeurIPS 2020). The training split
is halved as in DARTS: weights and scores learn on one half, alpha on the other; the study's
validation split only measures. Phases:

1. ``pretrain``: weights (dense, every mask full) and alpha, alternating per batch.
2. ``prune``: scores only at the target sparsity, weights and alpha frozen.
3. ``finetune``: weights under the learned masks, alpha on the masked supernet's loss.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import TensorDataset

from automl_sparse.dass._architect import Architect, Batch, gradient
from automl_sparse.dass._genotype import Genotype
from automl_sparse.dass._hydra_train import MOMENTUM, EpochCounter, set_target_sparsity
from automl_sparse.dass._supernet import Supernet
from automl_sparse.data import DataSplits
from automl_sparse.pruning import set_scored_phase
from automl_sparse.training import EpochResult, Reporter, TrainingDiverged, batches, evaluate

SEARCH_WEIGHT_DECAY = 3e-4
"""Weight decay of the supernet's weights (DARTS)."""
GRAD_CLIP = 5.0
"""Gradient norm clip of the supernet's weights (DARTS)."""


@dataclass(frozen=True)
class SearchSettings:
    """Epochs of the three phases and the two learning rates."""

    sparsity: float = 0.9
    pretrain_epochs: int = 2
    prune_epochs: int = 1
    finetune_epochs: int = 1
    lr: float = 0.025
    arch_lr: float = 3e-4
    arch_order: int = 1
    batch_size: int = 64


@dataclass(frozen=True)
class SearchResult:
    """The derived genotype after each phase, and every epoch of the search."""

    genotype: Genotype
    history: list[EpochResult]
    dense_genotype: Genotype
    """What alpha selected after dense pretraining alone (before any sparsity)."""


def split_halves(data: TensorDataset, seed: int) -> tuple[TensorDataset, TensorDataset]:
    """The training split cut into a weight half and an architecture half (DARTS)."""
    x, y = data.tensors
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    first, second = order[: len(y) // 2], order[len(y) // 2 :]
    return TensorDataset(x[first], y[first]), TensorDataset(x[second], y[second])


class _Phase:
    """One phase's optimisers: SGD on what ``set_scored_phase`` leaves trainable, never alpha."""

    def __init__(
        self, net: Supernet, phase: str, settings: SearchSettings, epochs: int,
        architect: Architect | None,
    ) -> None:  # fmt: skip
        set_scored_phase(net, phase)  # type: ignore[arg-type]
        self.net, self.architect, self.lr = net, architect, settings.lr
        self.params = net.weight_parameters()
        self.optimizer = torch.optim.SGD(
            self.params, lr=settings.lr, momentum=MOMENTUM, weight_decay=SEARCH_WEIGHT_DECAY
        )
        self.schedule = torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, max(epochs, 1))

    def epoch(self, weight_batches: list[Batch], arch_batches: list[Batch]) -> float:
        self.net.train()
        loss_sum, seen = torch.zeros(()), 0
        for train_batch, val_batch in zip(weight_batches, arch_batches, strict=False):
            if self.architect is not None:
                xi = self.optimizer.param_groups[0]["lr"]
                self.architect.step(train_batch, val_batch, self.params, xi, SEARCH_WEIGHT_DECAY)
            loss_sum += self._weight_step(train_batch) * len(train_batch[1])
            seen += len(train_batch[1])
        self.schedule.step()
        return loss_sum.item() / max(seen, 1)

    def _weight_step(self, batch: Batch) -> torch.Tensor:
        x, y = batch
        self.optimizer.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(self.net(x), y)
        grads = gradient(loss, self.params)  # alpha gets no gradient here at all
        for p, g in zip(self.params, grads, strict=True):
            p.grad = g
        nn.utils.clip_grad_norm_(self.params, GRAD_CLIP)
        self.optimizer.step()
        return loss.detach()


def search(
    net: Supernet,
    data: DataSplits,
    settings: SearchSettings,
    *,
    seed: int = 0,
    reporter: Reporter | EpochCounter | None = None,
) -> SearchResult:
    """Run the three phases on ``net`` and derive the genotype; one report per epoch."""
    counter = reporter if isinstance(reporter, EpochCounter) else EpochCounter(reporter)
    weight_half, arch_half = split_halves(data.train, seed)
    architect = Architect(net, settings.arch_lr, settings.arch_order)
    set_target_sparsity(net, 0.0)
    dense_genotype = net.genotype()
    phases = (
        ("weights", settings.pretrain_epochs, architect),
        ("scores", settings.prune_epochs, None),
        ("weights", settings.finetune_epochs, architect),
    )
    for index, (phase, epochs, arch) in enumerate(phases):
        if index == 1:
            dense_genotype = net.genotype()
            set_target_sparsity(net, settings.sparsity)  # masks start from magnitude pruning
        runner = _Phase(net, phase, settings, epochs, arch)
        for _ in range(epochs):
            _run_epoch(runner, net, data, weight_half, arch_half, settings, seed, counter)
    return SearchResult(net.genotype(), counter.history, dense_genotype)


def _run_epoch(
    runner: _Phase, net: Supernet, data: DataSplits, weight_half: TensorDataset,
    arch_half: TensorDataset, settings: SearchSettings, seed: int, counter: EpochCounter,
) -> None:  # fmt: skip
    started = time.perf_counter()
    generator = torch.Generator().manual_seed(seed * 100_003 + len(counter.history) + 1)
    train_loss = runner.epoch(
        batches(weight_half, settings.batch_size, generator),
        batches(arch_half, settings.batch_size, generator),
    )
    if not train_loss == train_loss or train_loss == float("inf"):
        raise TrainingDiverged(f"supernet training loss is {train_loss}")
    val_loss, val_accuracy = evaluate(net, data.val)
    seconds = time.perf_counter() - started
    counter.report(EpochResult(0, train_loss, val_loss, val_accuracy, seconds))
