"""The training loop: optimizers and schedules by name, masks held, checkpoints, divergence."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch.utils.data import TensorDataset

from automl_sparse import UserError
from automl_sparse.models import create_model
from automl_sparse.pruning import get_mask, prune
from automl_sparse.training import (
    OPTIMIZERS,
    SCHEDULES,
    EpochResult,
    TrainingDiverged,
    TrainSettings,
    train,
)


def _data(n: int = 128) -> TensorDataset:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(n, 1, 16, 16, generator=generator)
    return TensorDataset(x, (x.mean(dim=(1, 2, 3)) > 0).long())


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
def test_every_optimizer_and_schedule_trains_with_masks_held(optimizer: str, schedule: str) -> None:
    torch.manual_seed(0)
    model = create_model("lenet5", input_size=16, num_classes=2)
    prune(model, "magnitude", 0.8)
    settings = TrainSettings(
        epochs=2, optimizer=optimizer, lr=1e-2, weight_decay=1e-3, schedule=schedule, batch_size=32
    )
    history = train(model, _data(), _data(64), settings)
    assert [r.epoch for r in history] == [1, 2]
    for module in model.modules():
        mask = get_mask(module)
        if mask is not None:
            assert torch.all(module.weight[mask == 0] == 0)


def test_unknown_optimizer_lists_the_known_ones() -> None:
    model = create_model("lenet5", input_size=16)
    with pytest.raises(UserError, match="known: adam, adamw, sgd"):
        train(model, _data(), _data(), TrainSettings(epochs=1, optimizer="lion"))


def test_nan_loss_is_an_error() -> None:
    model = create_model("lenet5", input_size=16, num_classes=2)
    poisoned = _data()
    poisoned.tensors[0][0, 0, 0, 0] = float("nan")
    with pytest.raises(TrainingDiverged, match="nan at epoch 1"):
        train(model, poisoned, _data(), TrainSettings(epochs=1))


def test_checkpoint_resume_gives_the_same_result_as_one_run(tmp_path: Path) -> None:
    settings = TrainSettings(epochs=3, optimizer="sgd", lr=0.05, schedule="cosine", batch_size=32)

    def fresh() -> torch.nn.Module:
        torch.manual_seed(0)
        model = create_model("lenet5", input_size=16, num_classes=2)
        prune(model, "magnitude", 0.5)
        return model

    straight = fresh()
    expected = train(straight, _data(), _data(64), settings, seed=1)

    class StopAfterTwo:
        def report(self, result: EpochResult) -> None:
            if result.epoch == 2:
                raise KeyboardInterrupt

    checkpoint = tmp_path / "run.pt"
    with pytest.raises(KeyboardInterrupt):
        train(
            fresh(),
            _data(),
            _data(64),
            settings,
            seed=1,
            reporter=StopAfterTwo(),
            checkpoint=checkpoint,
        )
    resumed_model = fresh()
    resumed = train(resumed_model, _data(), _data(64), settings, seed=1, checkpoint=checkpoint)
    assert [r.val_accuracy for r in resumed] == [r.val_accuracy for r in expected]
    for a, b in zip(straight.parameters(), resumed_model.parameters(), strict=True):
        assert torch.allclose(a, b)
