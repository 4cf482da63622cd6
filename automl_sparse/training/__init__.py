"""Training: optimizers and schedules by name, a loop that keeps masks, reporters, checkpoints."""

from automl_sparse.training._loop import (
    EpochResult,
    Reporter,
    StopTraining,
    TrainingDiverged,
    TrainSettings,
    batches,
    evaluate,
    train,
)
from automl_sparse.training._optim import OPTIMIZERS, SCHEDULES, create_optimizer, create_schedule

__all__ = [
    "OPTIMIZERS",
    "SCHEDULES",
    "EpochResult",
    "Reporter",
    "StopTraining",
    "TrainSettings",
    "TrainingDiverged",
    "batches",
    "create_optimizer",
    "create_schedule",
    "evaluate",
    "train",
]
