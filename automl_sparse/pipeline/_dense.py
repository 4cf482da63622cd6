"""Dense pretraining as a content-addressed artifact: trained once per key, reused by all.

The key hashes everything that determines the dense network (model, data and its split,
pretraining recipe, seed), so a second study with the same prerequisites reuses the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from automl_sparse.config import StudyConfig
from automl_sparse.pipeline._common import study_data, study_model
from automl_sparse.storage import file_lock
from automl_sparse.training import TrainSettings, evaluate, train

_FORMAT = 1
"""Bump when the dense artifact's meaning changes, so that old files are not reused."""


@dataclass(frozen=True)
class DenseNetwork:
    """Where the dense weights lie and how good they are."""

    key: str
    path: Path
    val_accuracy: float
    test_accuracy: float
    seconds: float
    trained_now: bool


def dense_key(config: StudyConfig) -> str:
    """The content key of the dense network that ``config`` prunes."""
    data = config.data.model_dump(exclude={"root", "download"})
    spec = {
        "format": _FORMAT,
        "model": config.model.model_dump(),
        "data": data,
        "pretrain": config.pretrain.model_dump(),
        "seed": config.seed,
    }
    blob = json.dumps(spec, sort_keys=True).encode()
    return f"{config.model.name}-{config.data.name}-{hashlib.sha256(blob).hexdigest()[:16]}"


def dense_path(config: StudyConfig) -> Path:
    """The file of the dense network's state dict in the study's artifact directory."""
    return Path(config.artifacts or "artifacts") / "dense" / f"{dense_key(config)}.pt"


def _pretrain(config: StudyConfig, path: Path) -> DenseNetwork:
    started = time.perf_counter()
    data = study_data(config)
    torch.manual_seed(config.seed)
    model = study_model(config, data, config.pretrain.activation)
    recipe = config.pretrain.model_dump(exclude={"activation"})
    train(model, data.train, data.val, TrainSettings(**recipe), seed=config.seed)
    _, val_accuracy = evaluate(model, data.val)
    _, test_accuracy = evaluate(model, data.test)
    tmp = path.with_suffix(".tmp")
    torch.save(model.state_dict(), tmp)
    os.replace(tmp, path)
    dense = DenseNetwork(
        dense_key(config), path, val_accuracy, test_accuracy, time.perf_counter() - started, True
    )
    meta = {**asdict(dense), "path": str(path), "trained_now": False}
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2))
    return dense


def ensure_dense(config: StudyConfig, log: Callable[[str], None] = print) -> DenseNetwork:
    """The dense network of ``config``: read from the artifact directory, or trained once now.

    A file lock makes concurrent callers (workers, studies) wait for one training run.
    """
    path = dense_path(config)
    with file_lock(path.with_suffix(".lock")):
        if path.exists() and path.with_suffix(".json").exists():
            meta = json.loads(path.with_suffix(".json").read_text())
            return DenseNetwork(**{**meta, "path": path})
        log(f"training the dense {config.model.name} on {config.data.name} once ({path.name})")
        return _pretrain(config, path)
