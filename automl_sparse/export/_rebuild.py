"""Rebuild a trial's trained network from the study database and the trial's artifacts."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
import torch
from optuna.artifacts import download_artifact, get_all_artifact_meta
from optuna.trial import FrozenTrial, TrialState
from torch import nn

from automl_sparse._errors import UserError
from automl_sparse.activations import activation_slots, materialize_activations
from automl_sparse.config import StudyConfig
from automl_sparse.data import DataSplits
from automl_sparse.pipeline import AafParams, build_activation, genome, study_data, study_model
from automl_sparse.pruning import channel_masks, load_state_with_masks, remove_masks, shrink
from automl_sparse.storage import artifact_store, keys
from automl_sparse.study import best_trials, stored_config

MODEL_ARTIFACT = "model.pt"
"""The trained network's state dict that ``sparse_finetune`` and ``aaf`` attach to a trial."""


@dataclass(frozen=True)
class Rebuilt:
    """A trial's network with masks baked in and dead channels removed, and where it came from."""

    model: nn.Module
    config: StudyConfig
    data: DataSplits
    trial: FrozenTrial
    genes: dict[str, str]
    shrunk: bool


def _primary_key(study: optuna.Study) -> Any:
    sign = 1.0 if study.directions[0] == optuna.study.StudyDirection.MAXIMIZE else -1.0
    return lambda t: sign * t.values[0]


def best_network_trial(study: optuna.Study) -> FrozenTrial:
    """The best trial; with several objectives, the Pareto trial best in the first objective."""
    best = best_trials(study)
    if not best:
        raise UserError(f"study {study.study_name!r} has no complete trial yet")
    return max(best, key=_primary_key(study))


def choose_trial(study: optuna.Study, which: str) -> FrozenTrial:
    """The trial ``which`` names: ``best`` or a trial number; it must be complete."""
    if which == "best":
        return best_network_trial(study)
    if not which.isdigit():
        raise UserError(f"--trial must be 'best' or a trial number, but got {which!r}")
    trials = {t.number: t for t in study.get_trials(deepcopy=False)}
    trial = trials.get(int(which))
    if trial is None:
        raise UserError(f"study {study.study_name!r} has no trial {which} (0..{len(trials) - 1})")
    if trial.state != TrialState.COMPLETE:
        raise UserError(f"trial {which} is {trial.state.name}, not COMPLETE: nothing to export")
    return trial


def _artifact_id(study: optuna.Study, trial: FrozenTrial, filename: str) -> str | None:
    metas = get_all_artifact_meta(trial, storage=study._storage)
    found = [m.artifact_id for m in metas if m.filename == filename]
    return found[-1] if found else None


def trial_state_dict(study: optuna.Study, trial: FrozenTrial, root: str) -> dict[str, Any]:
    """The trial's ``model.pt`` artifact, loaded with ``weights_only=True``."""
    artifact_id = _artifact_id(study, trial, MODEL_ARTIFACT)
    if artifact_id is None:
        raise UserError(
            f"trial {trial.number} has no {MODEL_ARTIFACT} artifact (pipeline "
            "'sparse_finetune' or 'aaf' attaches it to every complete trial)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / MODEL_ARTIFACT
        try:
            download_artifact(
                artifact_store=artifact_store(root), artifact_id=artifact_id, file_path=str(path)
            )
        except Exception as e:  # the store raises its own not-found errors
            msg = f"cannot read trial {trial.number}'s {MODEL_ARTIFACT} in {root}: {e}"
            raise UserError(msg) from None
        return torch.load(path, weights_only=True, map_location="cpu")


def _init_options(config: StudyConfig, params: dict[str, Any]) -> tuple[str | None, str | None]:
    """``init_as`` and ``sharing`` as the trial's pipeline used them."""
    if config.pipeline == "aaf":
        hp = AafParams(**{k: v for k, v in params.items() if k in {"init_as", "sharing"}})
        return hp.init_as, hp.sharing
    return params.get("init_as"), params.get("sharing")


def trial_genes(config: StudyConfig, trial: FrozenTrial, slots: list[str]) -> dict[str, str]:
    """Slot path -> activation of the trial (recorded, else derived from its parameters)."""
    recorded = trial.user_attrs.get(keys.ACTIVATIONS)
    if recorded:
        return dict(recorded)
    params = trial.user_attrs.get(keys.PARAMS, trial.params)
    return genome(params, slots, config.pretrain.activation)


def has_dead_channels(model: nn.Module) -> bool:
    """Whether a rotated (sloped) activation of ``model`` has a channel with slope 0."""
    return any(not bool(alive.all()) for alive in channel_masks(model).values())


def bake(model: nn.Module, input_shape: tuple[int, ...]) -> tuple[nn.Module, bool]:
    """Masks baked into the weights, dead channels removed; and whether any were removed."""
    remove_masks(model)
    if not has_dead_channels(model):
        return model.eval(), False
    return shrink(model, input_shape).eval(), True


def rebuild(study: optuna.Study, trial: FrozenTrial) -> Rebuilt:
    """The trial's trained network: masks baked in, dead channels removed, in eval mode."""
    config = stored_config(study)
    if config.pipeline not in ("sparse_finetune", "aaf"):
        raise UserError(f"pipeline {config.pipeline!r} trains no network: nothing to export")
    data = study_data(config)
    params = dict(trial.user_attrs.get(keys.PARAMS, trial.params))
    probe = study_model(config, data, config.pretrain.activation)
    genes = trial_genes(config, trial, list(activation_slots(probe)))
    init_as, sharing = _init_options(config, params)
    model = study_model(config, data, lambda slot: build_activation(genes[slot], init_as, sharing))
    materialize_activations(model, data.train.tensors[0][:2])
    load_state_with_masks(model, trial_state_dict(study, trial, config.artifacts or "artifacts"))
    model, shrunk = bake(model, data.input_shape)
    return Rebuilt(model, config, data, trial, genes, shrunk)
