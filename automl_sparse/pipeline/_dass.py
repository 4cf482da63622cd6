"""The ``dass`` pipeline: search sparse DARTS cells, then train the found network with HYDRA.

DASS (Mousavi, Loni et al., METHODS section 4): a DARTS supernet whose convolutions are HYDRA
score layers is searched in three phases (:func:`automl_sparse.dass.search`); the derived
genotype is stacked into an evaluation network that is pretrained dense, pruned by learned
scores and fine-tuned at the trial's sparsity (:func:`automl_sparse.dass.hydra_train`), then
turned into explicit masks so that the library's counters measure it. It trains its own
networks: the study's ``model`` is not used and no dense network is pretrained for it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from typing import Any

import torch

from automl_sparse.dass import (
    EpochCounter,
    EvalNetwork,
    HydraSchedule,
    SearchSettings,
    Supernet,
    hydra_train,
    plot_genotype,
    search,
)
from automl_sparse.pipeline._common import study_data
from automl_sparse.pipeline._finetune import TrialContext, final_metrics, write_plots
from automl_sparse.pruning import from_scored
from automl_sparse.storage import keys
from automl_sparse.training import Reporter

GENOTYPE_PLOT = "genotype.png"


@dataclass(frozen=True)
class DassParams:
    """What a ``dass`` trial can vary; defaults are a CPU-sized version of the paper's recipe."""

    sparsity: float = 0.9
    channels: int = 4
    """Supernet: channels of the first cell (C); reduction cells double it."""
    cells: int = 3
    """Supernet: cells (layers); those at one and two thirds of the depth reduce."""
    search_epochs: int = 2
    """Supernet: dense pretraining of weights and alpha."""
    prune_epochs: int = 1
    """Supernet: score training at ``sparsity`` (weights and alpha frozen)."""
    finetune_epochs: int = 1
    """Supernet: weights under the masks, alpha on the masked validation loss."""
    lr: float = 0.025
    """Supernet weights and scores (SGD, momentum 0.9, cosine; DARTS)."""
    arch_lr: float = 3e-4
    """alpha (Adam, betas 0.5 and 0.999, weight decay 1e-3; DARTS)."""
    arch_order: int = 1
    """1: first-order alpha step; 2: unrolled step with a finite-difference Hessian product."""
    eval_channels: int = 8
    eval_cells: int = 3
    eval_pretrain_epochs: int = 3
    eval_prune_epochs: int = 2
    eval_finetune_epochs: int = 3
    eval_lr: float = 0.01
    """Evaluation network, every HYDRA step (SGD, momentum 0.9, weight decay 4e-4, cosine)."""
    batch_size: int = 64

    def search_settings(self) -> SearchSettings:
        return SearchSettings(
            sparsity=self.sparsity,
            pretrain_epochs=self.search_epochs,
            prune_epochs=self.prune_epochs,
            finetune_epochs=self.finetune_epochs,
            lr=self.lr,
            arch_lr=self.arch_lr,
            arch_order=self.arch_order,
            batch_size=self.batch_size,
        )

    def hydra_schedule(self) -> HydraSchedule:
        return HydraSchedule(
            pretrain_epochs=self.eval_pretrain_epochs,
            prune_epochs=self.eval_prune_epochs,
            finetune_epochs=self.eval_finetune_epochs,
            lr=self.eval_lr,
            batch_size=self.batch_size,
        )


DASS_PARAM_NAMES = frozenset(f.name for f in fields(DassParams))


def dass_params(params: dict[str, Any]) -> DassParams:
    """The DASS parameters among a trial's parameters."""
    return DassParams(**{k: v for k, v in params.items() if k in DASS_PARAM_NAMES})


def run_dass(ctx: TrialContext, reporter: Reporter | None = None) -> dict[str, Any]:
    """Search, train and measure one DASS trial (``automl_sparse.storage.keys``).

    Every epoch of the search and of the evaluation network's training is reported in one
    sequence (supernet epochs first), so stoppers can end a trial during its search.
    """
    hp = dass_params(ctx.params)
    data = study_data(ctx.config)
    torch.manual_seed(ctx.seed)
    in_channels = data.input_shape[0]
    counter = EpochCounter(reporter)
    started = time.perf_counter()
    supernet = Supernet(in_channels, data.num_classes, hp.channels, hp.cells)
    found = search(supernet, data, hp.search_settings(), seed=ctx.seed, reporter=counter)
    search_seconds = time.perf_counter() - started
    model = EvalNetwork(found.genotype, in_channels, data.num_classes, hp.eval_channels,
                        hp.eval_cells)  # fmt: skip
    hydra_train(model, data, hp.sparsity, hp.hydra_schedule(), seed=ctx.seed, reporter=counter)
    from_scored(model)  # explicit masks: the counters read them
    write_plots(ctx, model, {})
    if ctx.work_dir is not None:
        plot_genotype(found.genotype, ctx.work_dir / GENOTYPE_PLOT)
    return {
        **final_metrics(model, data, {}, counter.history, started),
        keys.GENOTYPE: found.genotype.to_dict(),
        keys.DENSE_GENOTYPE: found.dense_genotype.to_dict(),
        keys.SEARCH_SECONDS: search_seconds,
    }
