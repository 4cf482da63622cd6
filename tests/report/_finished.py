"""One finished tiny study shared by the report, export and browser tests (run once a session)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import optuna
import yaml

from automl_sparse.study import launch
from tests._studies import tiny_study

NAME = "finished"


@dataclass(frozen=True)
class Finished:
    """A finished study: its name, database URL and folder (study file, artifacts)."""

    name: str
    url: str
    folder: Path

    def load(self) -> optuna.Study:
        return optuna.load_study(study_name=self.name, storage=self.url)


_CACHE: dict[str, Finished] = {}


def finished_study(folder: Path) -> Finished:
    """Run (once per session) a 4-trial study whose trials all have a learnable activation.

    Two objectives (validation accuracy, sparsity), 1 epoch per trial, activations from
    relu, silu, leaf, rotated_relu in each of LeNet-5's 4 slots.
    """
    if NAME in _CACHE:
        return _CACHE[NAME]
    folder.mkdir(parents=True, exist_ok=True)
    study = tiny_study(
        NAME,
        objectives=[{"metric": "val_accuracy"}, {"metric": "sparsity"}],
        space={
            "activation": {"choices": ["relu", "silu", "leaf", "rotated_relu"], "per_slot": True},
            "sparsity": {"low": 0.5, "high": 0.8},
            "lr": {"low": 1e-3, "high": 1e-2, "log": True},
            "epochs": 1,
            "batch_size": 64,
        },
        budget={"n_trials": 4},
    )
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(study, sort_keys=False))
    url = f"sqlite:///{folder / 'studies.db'}"
    launch(path, storage=url, log=lambda _: None)
    _CACHE[NAME] = Finished(NAME, url, folder)
    return _CACHE[NAME]
