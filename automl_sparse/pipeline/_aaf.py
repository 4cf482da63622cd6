"""The ``aaf`` pipeline: adaptive activations replaced into a trained network, then tuned.

Kostiuk and Bodyanskiy (adaptive activation functions in pre-trained models; LEAF, AHAF,
F-Neuron): build the network with adaptive activations whose ``init_as`` matches the base
activation, load the base weights, and fine-tune only the activation parameters (Adam lr 1e-3,
LEAF p2/p4 at 1e-6). Optionally the network is pruned first, which is this project's question:
do adaptive activations win back what pruning lost?
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from typing import Any

import torch

from automl_sparse.activations import (
    aaf_param_groups,
    activation_slots,
    freeze_all_but_activations,
    load_base_weights,
    materialize_activations,
    snapshot_activations,
)
from automl_sparse.pipeline._common import build_activation, study_data, study_model
from automl_sparse.pipeline._finetune import (
    TrialContext,
    final_metrics,
    record,
    static_metrics,
    write_plots,
)
from automl_sparse.pruning import prune
from automl_sparse.storage import keys
from automl_sparse.training import Reporter, TrainSettings, evaluate, train

SLOT_GROUPS = ("all", "features", "classifier")
TRAIN_MODES = ("activations", "all")


@dataclass(frozen=True)
class AafParams:
    """What an ``aaf`` trial can vary; defaults are the paper's recipe."""

    aaf: str = "leaf"
    init_as: str = "relu"
    sharing: str = "layer"
    slots: str = "all"
    train: str = "activations"
    lr: float = 1e-3
    slow_lr: float = 1e-6
    epochs: int = 5
    batch_size: int = 128
    sparsity: float = 0.0
    method: str = "magnitude"
    scope: str = "layer"


AAF_PARAM_NAMES = frozenset(f.name for f in fields(AafParams))


def _chosen_slots(model: torch.nn.Module, group: str) -> list[str]:
    slots = list(activation_slots(model))
    return slots if group == "all" else [s for s in slots if s.split(".")[0] == group]


def run_aaf(ctx: TrialContext, reporter: Reporter | None = None) -> dict[str, Any]:
    """Run one AAF trial and return its metrics (``automl_sparse.storage.keys``)."""
    config = ctx.config
    hp = AafParams(**{k: v for k, v in ctx.params.items() if k in AAF_PARAM_NAMES})
    data = study_data(config)
    torch.manual_seed(ctx.seed)
    base = study_model(config, data, config.pretrain.activation)
    assert ctx.dense_path is not None, "aaf needs the dense network"
    dense_state = torch.load(ctx.dense_path, weights_only=True)
    load_base_weights(base, dense_state)
    _, base_accuracy = evaluate(base, data.val)
    chosen = set(_chosen_slots(base, hp.slots))

    def factory(slot: str) -> torch.nn.Module:
        name = hp.aaf if slot in chosen else config.pretrain.activation
        return build_activation(name, hp.init_as, hp.sharing)

    model = study_model(config, data, factory)
    materialize_activations(model, data.train.tensors[0][:2])
    load_base_weights(model, dense_state)
    _, replaced_accuracy = evaluate(model, data.val)
    before = snapshot_activations(model)
    if hp.sparsity > 0:
        prune(model, hp.method, hp.sparsity, scope=hp.scope)  # type: ignore[arg-type]
    record(reporter, static_metrics(model, data))
    if hp.train == "activations":
        freeze_all_but_activations(model)
    settings = TrainSettings(epochs=hp.epochs, optimizer="adam", lr=hp.lr, batch_size=hp.batch_size)
    started = time.perf_counter()
    history = train(
        model,
        data.train,
        data.val,
        settings,
        seed=ctx.seed,
        reporter=reporter,
        checkpoint=ctx.checkpoint,
        params=aaf_param_groups(model, hp.lr, hp.slow_lr),
    )
    write_plots(ctx, model, before)
    genes = {
        slot: (hp.aaf if slot in chosen else config.pretrain.activation)
        for slot in activation_slots(model)
    }
    return {
        **final_metrics(model, data, genes, history, started),
        keys.BASE_VAL_ACCURACY: base_accuracy,
        keys.REPLACED_VAL_ACCURACY: replaced_accuracy,
    }
