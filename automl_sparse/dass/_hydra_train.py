"""HYDRA's three steps for any network of score layers: dense pretraining, pruning, fine-tuning.

Sehwag et al., HYDRA, NeurIPS 2020, https://arxiv.org/abs/2002.10509, as DASS trains its
evaluation network (METHODS section 4: SGD lr 0.01, momentum 0.9, weight decay 4e-4, cosine).
The layers and the straight-through top-k are :mod:`automl_sparse.pruning`'s; this module only
orders the phases. Epochs of consecutive phases are numbered on, so a stopper sees one curve.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from torch import nn

from automl_sparse.data import DataSplits
from automl_sparse.pruning import SCORED_TYPES, set_scored_phase
from automl_sparse.training import EpochResult, Reporter, TrainSettings, train

MOMENTUM = 0.9
WEIGHT_DECAY = 4e-4


class EpochCounter:
    """A reporter that numbers the epochs of several phases 1, 2, 3, ... and keeps them."""

    def __init__(self, reporter: Reporter | None = None) -> None:
        self.reporter = reporter
        self.history: list[EpochResult] = []

    def report(self, result: EpochResult) -> None:
        numbered = replace(result, epoch=len(self.history) + 1)
        self.history.append(numbered)
        if self.reporter is not None:
            self.reporter.report(numbered)


def set_target_sparsity(model: nn.Module, sparsity: float) -> None:
    """Give every score layer ``sparsity`` and restart its scores from its weights now.

    HYDRA's scaled init (``scaled_score_init``) on the pretrained weights makes the first mask
    layer-wise magnitude pruning. Sparsity 0 keeps every weight: dense training.
    """
    for layer in model.modules():
        if isinstance(layer, SCORED_TYPES):
            layer.reset_scores(sparsity)


@dataclass(frozen=True)
class HydraSchedule:
    """Epochs of each HYDRA step and how to train (METHODS: SGD, cosine)."""

    pretrain_epochs: int = 2
    prune_epochs: int = 2
    finetune_epochs: int = 2
    lr: float = 0.01
    batch_size: int = 64

    def settings(self, epochs: int) -> TrainSettings:
        return TrainSettings(
            epochs=epochs,
            optimizer="sgd",
            lr=self.lr,
            weight_decay=WEIGHT_DECAY,
            momentum=MOMENTUM,
            schedule="cosine",
            batch_size=self.batch_size,
        )


def hydra_train(
    model: nn.Module,
    data: DataSplits,
    sparsity: float,
    schedule: HydraSchedule,
    *,
    seed: int = 0,
    reporter: Reporter | None = None,
) -> list[EpochResult]:
    """Pretrain ``model`` dense, learn its masks at ``sparsity``, fine-tune its kept weights."""
    counter = EpochCounter(reporter)
    steps = (
        (0.0, "weights", schedule.pretrain_epochs),
        (sparsity, "scores", schedule.prune_epochs),
        (sparsity, "weights", schedule.finetune_epochs),
    )
    for index, (target, phase, epochs) in enumerate(steps):
        if index < 2:
            set_target_sparsity(model, target)
        trainable = set_scored_phase(model, phase)  # type: ignore[arg-type]
        if epochs > 0:
            settings = schedule.settings(epochs)
            train(model, data.train, data.val, settings, seed=seed + index, reporter=counter,
                  params=trainable)  # fmt: skip
    return counter.history
