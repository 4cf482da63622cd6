"""The ``sparse_finetune`` pipeline: dense -> activations from the genome -> prune -> fine-tune.

This is the SAFS trial (Loni et al., AutoML-Conf 2023, https://arxiv.org/abs/2305.10964)
with the activation genome, pruning and fine-tuning searched jointly.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn

from automl_sparse.activations import (
    activation_slots,
    load_base_weights,
    materialize_activations,
    plot_activation_shapes,
    set_safs_stage,
    snapshot_activations,
)
from automl_sparse.config import StudyConfig
from automl_sparse.data import DataSplits
from automl_sparse.pipeline._common import genome_factory, study_data, study_model
from automl_sparse.pipeline._plots import plot_layer_sparsity
from automl_sparse.pruning import (
    GradualMagnitudePruning,
    count_flops,
    count_params,
    cpu_latency_ms,
    gradinit,
    layer_sparsity,
    prune,
    sparsity,
)
from automl_sparse.spaces import GENE_PREFIX
from automl_sparse.storage import keys
from automl_sparse.training import (
    EpochResult,
    Reporter,
    TrainSettings,
    batches,
    evaluate,
    train,
)


@dataclass(frozen=True)
class FinetuneParams:
    """Everything a ``sparse_finetune`` trial can vary, with the defaults of unsearched ones."""

    sparsity: float = 0.9
    method: str = "magnitude"
    scope: str = "layer"
    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 5e-4
    momentum: float = 0.9
    schedule: str = "constant"
    epochs: int = 3
    batch_size: int = 256
    label_smoothing: float = 0.0
    pruning_schedule: str = "one_shot"
    """``one_shot`` (prune, then fine-tune) or ``gmp`` (Zhu and Gupta's cubic schedule from
    dense to ``sparsity`` over the first three quarters of fine-tuning)."""
    gradinit: bool = False
    """Rescale the pruned network's weight tensors by GradInit (ToST's LRsI) before training."""
    safs_stage: int = 1
    """SAFS ``alpha*op(beta*x)`` activations: 1 freezes alpha and beta, 2 trains them."""

    def train_settings(self) -> TrainSettings:
        names = {f.name for f in fields(TrainSettings)}
        return TrainSettings(**{k: v for k, v in vars(self).items() if k in names})


PARAM_NAMES = frozenset(
    {"activation", "init_as", "sharing", *(f.name for f in fields(FinetuneParams))}
)
"""Search-space names this pipeline understands (``activation`` may be per slot; ``init_as``
and ``sharing`` apply to every learnable activation of the genome)."""


def genome(params: Mapping[str, Any], slots: Sequence[str], default: str) -> dict[str, str]:
    """Slot path -> activation name from a trial's parameters."""
    shared = params.get("activation", default)
    return {slot: str(params.get(GENE_PREFIX + slot, shared)) for slot in slots}


def finetune_params(params: Mapping[str, Any]) -> FinetuneParams:
    """The fine-tuning parameters among a trial's parameters."""
    names = {f.name for f in fields(FinetuneParams)}
    return FinetuneParams(**{k: v for k, v in params.items() if k in names})


_SCORING_BATCHES = 4
"""Mini-batches of training data that data-dependent pruning scores (SNIP, Taylor, GraSP) see."""


class TrialReporter(Reporter, Protocol):
    """A reporter that can also record metrics known before training ends (after pruning)."""

    def record(self, metrics: dict[str, Any]) -> None: ...


def record(reporter: Reporter | None, metrics: dict[str, Any]) -> None:
    """Record ``metrics`` now when the reporter can (stoppers of several objectives read them)."""
    if reporter is not None and hasattr(reporter, "record"):
        reporter.record(metrics)


_GMP_SHARE = 0.75
"""GMP reaches the final sparsity after this share of fine-tuning; the rest recovers."""
_GMP_PRUNINGS = 50
"""How many times GMP prunes over its schedule."""


def _scoring_batches(data: DataSplits, hp: FinetuneParams, seed: int) -> list[Any]:
    generator = torch.Generator().manual_seed(seed)
    return batches(data.train, hp.batch_size, generator)[:_SCORING_BATCHES]


def prune_for_trial(
    model: nn.Module, hp: FinetuneParams, data: DataSplits, seed: int
) -> Callable[[int], None] | None:
    """Prune by the trial's method and schedule; for GMP, the per-step pruning callback.

    One shot prunes now (data-dependent scores see a few training batches). GMP prunes
    by magnitude from dense to the target along the cubic schedule while fine-tuning.
    """
    if hp.pruning_schedule == "one_shot":
        prune(
            model,
            hp.method,
            hp.sparsity,
            scope=hp.scope,  # type: ignore[arg-type]
            data=_scoring_batches(data, hp, seed),
            input_shape=data.input_shape,
        )
        return None
    steps = hp.epochs * math.ceil(len(data.train) / hp.batch_size)
    end = max(1, int(_GMP_SHARE * steps))
    gmp = GradualMagnitudePruning(
        model,
        hp.sparsity,
        start_step=0,
        end_step=end,
        every=max(1, end // _GMP_PRUNINGS),
        scope=hp.scope,  # type: ignore[arg-type]
    )
    gmp.step(0)

    def on_step(step: int) -> None:
        gmp.step(step)

    return on_step


def static_metrics(model: nn.Module, data: DataSplits) -> dict[str, Any]:
    """Metrics fixed once the network is pruned."""
    return {
        keys.SPARSITY: sparsity(model),
        keys.NONZERO_PARAMS: count_params(model),
        keys.FLOPS: count_flops(model, data.input_shape),
    }


@dataclass(frozen=True)
class TrialContext:
    """What a pipeline needs for one trial; picklable, so that it can travel to a worker."""

    config: StudyConfig
    params: dict[str, Any]
    seed: int
    dense_path: Path | None
    """The dense network the trial starts from (None for pipelines that need none)."""
    checkpoint: Path | None = None
    work_dir: Path | None = None
    """Where the pipeline writes files (plots) that the worker attaches to the trial."""


MODEL_FILE = "model.pt"
"""The trained, pruned network's state dict (masks included), attached to the trial."""


def write_plots(ctx: TrialContext, model: nn.Module, before: dict[str, nn.Module]) -> None:
    """The trained network's state dict, per-layer sparsity, and learned activation shapes."""
    if ctx.work_dir is None:
        return
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), ctx.work_dir / MODEL_FILE)
    plot_layer_sparsity(layer_sparsity(model), ctx.work_dir / "layer_sparsity.png")
    learned = {p: m for p, m in before.items() if any(True for _ in m.parameters())}
    if learned:
        after = {p: m for p, m in snapshot_activations(model).items() if p in learned}
        plot_activation_shapes(learned, after, ctx.work_dir / "activation_shapes.png")


def final_metrics(
    model: nn.Module,
    data: DataSplits,
    genes: dict[str, str],
    history: Sequence[EpochResult],
    started: float,
) -> dict[str, Any]:
    """Everything measured on the trained, pruned network (``automl_sparse.storage.keys``)."""
    val_loss, val_accuracy = evaluate(model, data.val)
    _, test_accuracy = evaluate(model, data.test)
    return {
        keys.VAL_ACCURACY: val_accuracy,
        keys.VAL_LOSS: val_loss,
        keys.TEST_ACCURACY: test_accuracy,
        **static_metrics(model, data),
        keys.LATENCY_MS: cpu_latency_ms(model.eval(), data.input_shape),
        keys.PER_LAYER_SPARSITY: layer_sparsity(model),
        keys.ACTIVATIONS: genes,
        keys.EPOCHS_RUN: len(history),
        keys.RESUMED_EPOCHS: sum(r.restored for r in history),
        keys.TRAIN_SECONDS: time.perf_counter() - started,
    }


def run_sparse_finetune(ctx: TrialContext, reporter: Reporter | None = None) -> dict[str, Any]:
    """Run one trial and return its metrics under the keys of ``automl_sparse.storage.keys``."""
    config, hp = ctx.config, finetune_params(ctx.params)
    data = study_data(config)
    torch.manual_seed(ctx.seed)
    probe = study_model(config, data, config.pretrain.activation)
    genes = genome(ctx.params, list(activation_slots(probe)), config.pretrain.activation)
    factory = genome_factory(genes, ctx.params.get("init_as"), ctx.params.get("sharing"))
    model = study_model(config, data, factory)
    materialize_activations(model, data.train.tensors[0][:2])  # shape lazy per-channel params
    assert ctx.dense_path is not None, "sparse_finetune needs the dense network"
    load_base_weights(model, torch.load(ctx.dense_path, weights_only=True))
    before = snapshot_activations(model)
    set_safs_stage(model, hp.safs_stage)
    on_step = prune_for_trial(model, hp, data, ctx.seed)
    if hp.gradinit:
        gradinit(model, _scoring_batches(data, hp, ctx.seed))
    if on_step is None:
        record(reporter, static_metrics(model, data))
    started = time.perf_counter()
    history = train(
        model,
        data.train,
        data.val,
        hp.train_settings(),
        seed=ctx.seed,
        reporter=reporter,
        checkpoint=ctx.checkpoint,
        on_step=on_step,
    )
    write_plots(ctx, model, before)
    return final_metrics(model, data, genes, history, started)
