"""The training loop: masks kept through every step, a report per epoch, checkpoints.

It knows a :class:`Reporter`, not Optuna or Ray; the caller decides what a report means.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn
from torch.optim.lr_scheduler import ReduceLROnPlateau
from torch.utils.data import TensorDataset

from automl_sparse.pruning import keep_masks, load_state_with_masks
from automl_sparse.training._optim import Params, create_optimizer, create_schedule


@dataclass(frozen=True)
class TrainSettings:
    """How to train: optimizer, learning rate, schedule and batch size, all by name."""

    epochs: int
    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    momentum: float = 0.9
    schedule: str = "constant"
    batch_size: int = 256
    label_smoothing: float = 0.0


@dataclass(frozen=True)
class EpochResult:
    """What one epoch gave; ``epoch`` counts from 1."""

    epoch: int
    train_loss: float
    val_loss: float
    val_accuracy: float
    seconds: float
    restored: bool = False
    """True when the epoch was read back from a checkpoint rather than trained now."""


class Reporter(Protocol):
    """Receives every epoch's result; may raise :class:`StopTraining` to end training early."""

    def report(self, result: EpochResult) -> None: ...


class StopTraining(Exception):
    """Raised by a reporter when training should end now (a stopper judged the trial poor)."""


class TrainingDiverged(RuntimeError):
    """The training loss is not finite."""


def batches(
    data: TensorDataset, batch_size: int, generator: torch.Generator | None = None
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Mini-batches of an in-memory dataset, shuffled when a generator is given."""
    x, y = data.tensors
    order = (
        torch.randperm(len(y), generator=generator)
        if generator is not None
        else torch.arange(len(y))
    )
    return [(x[idx], y[idx]) for idx in order.split(batch_size)]


@torch.no_grad()
def evaluate(model: nn.Module, data: TensorDataset, batch_size: int = 1024) -> tuple[float, float]:
    """Mean cross-entropy loss and top-1 accuracy of ``model`` on ``data``."""
    was_training = model.training
    model.eval()
    loss_sum, correct = torch.zeros(()), torch.zeros((), dtype=torch.long)
    for x, y in batches(data, batch_size):
        logits = model(x)
        loss_sum += nn.functional.cross_entropy(logits, y, reduction="sum")
        correct += (logits.argmax(dim=1) == y).sum()
    model.train(was_training)
    n = len(data)
    return loss_sum.item() / n, correct.item() / n


def _save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)  # atomic: a reader never sees half a checkpoint


class _Run:
    """The mutable parts of one training run, so that a checkpoint can restore all of them."""

    def __init__(self, model: nn.Module, settings: TrainSettings, params: Params | None) -> None:
        self.model = model
        self.settings = settings
        self.optimizer = create_optimizer(
            settings.optimizer,
            params if params is not None else [p for p in model.parameters() if p.requires_grad],
            lr=settings.lr,
            weight_decay=settings.weight_decay,
            momentum=settings.momentum,
        )
        self.schedule = create_schedule(settings.schedule, self.optimizer, settings.epochs)
        self.history: list[EpochResult] = []
        keep_masks(self.optimizer, model)

    def state(self) -> dict[str, Any]:
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "schedule": self.schedule.state_dict(),
            "history": [asdict(r) for r in self.history],
        }

    def restore(self, path: Path) -> None:
        state = torch.load(path, weights_only=True)
        load_state_with_masks(self.model, state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        self.history = [EpochResult(**{**r, "restored": True}) for r in state["history"]]

    def epoch(
        self, data_train: TensorDataset, seed: int, on_step: Callable[[int], None] | None
    ) -> float:
        epoch = len(self.history) + 1
        generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
        loss_fn = nn.CrossEntropyLoss(label_smoothing=self.settings.label_smoothing)
        self.model.train()
        loss_sum = torch.zeros(())
        epoch_batches = batches(data_train, self.settings.batch_size, generator)
        first_step = (epoch - 1) * len(epoch_batches)
        for index, (x, y) in enumerate(epoch_batches):
            self.optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(self.model(x), y)
            loss.backward()
            self.optimizer.step()
            if on_step is not None:
                on_step(first_step + index)
            loss_sum += loss.detach() * len(y)
        train_loss = loss_sum.item() / len(data_train)
        if not math.isfinite(train_loss):
            raise TrainingDiverged(f"training loss is {train_loss} at epoch {epoch}")
        return train_loss

    def step_schedule(self, val_accuracy: float) -> None:
        if isinstance(self.schedule, ReduceLROnPlateau):
            self.schedule.step(val_accuracy)
        else:
            self.schedule.step()


def train(
    model: nn.Module,
    train_data: TensorDataset,
    val_data: TensorDataset,
    settings: TrainSettings,
    *,
    seed: int = 0,
    reporter: Reporter | None = None,
    checkpoint: Path | None = None,
    params: Params | None = None,
    on_step: Callable[[int], None] | None = None,
) -> list[EpochResult]:
    """Train ``model`` for ``settings.epochs`` epochs and return the per-epoch history.

    Masks attached to the model hold through every step. With ``checkpoint``, training resumes
    from that file when it exists and writes it after every epoch. ``params`` overrides which
    parameters (or parameter groups) the optimizer trains; by default, all that require grad.
    ``on_step(step)`` runs after every optimizer step (global step from 0), e.g. to prune
    gradually.
    """
    run = _Run(model, settings, params)
    if checkpoint is not None and checkpoint.exists():
        run.restore(checkpoint)
        for result in run.history if reporter is not None else []:
            reporter.report(result)  # a resumed trial reports its whole curve
    while len(run.history) < settings.epochs:
        started = time.perf_counter()
        train_loss = run.epoch(train_data, seed, on_step)
        val_loss, val_accuracy = evaluate(model, val_data)
        run.step_schedule(val_accuracy)
        result = EpochResult(
            len(run.history) + 1, train_loss, val_loss, val_accuracy, time.perf_counter() - started
        )
        run.history.append(result)
        if checkpoint is not None:
            _save_checkpoint(checkpoint, run.state())
        if reporter is not None:
            reporter.report(result)
    return run.history
