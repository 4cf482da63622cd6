"""Check a study's names and values against the registries, before anything is written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from automl_sparse._errors import UserError
from automl_sparse.activations import (
    AHAF_INITS,
    FNEURON_INITS,
    LEAF_INITS,
    SHARING_MODES,
    list_activations,
)
from automl_sparse.config import (
    EPOCH_METRICS,
    GENE_PREFIX,
    Categorical,
    Fixed,
    FloatRange,
    IntRange,
    ParamSpec,
    StudyConfig,
)
from automl_sparse.data import check_dataset_name
from automl_sparse.execution import check_executor
from automl_sparse.models import list_models
from automl_sparse.pipeline import SLOT_GROUPS, TRAIN_MODES, get_pipeline, study_data, study_slots
from automl_sparse.pruning import list_pruning_methods
from automl_sparse.samplers._registry import check_sampler
from automl_sparse.spaces import check_space, expand
from automl_sparse.stopping import check_stopper
from automl_sparse.training import OPTIMIZERS, SCHEDULES


def _one_of(kind: str, known: Callable[[], list[str]]) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        names = known()
        return None if value in names else f"unknown {kind} {value!r}; known: {', '.join(names)}"

    return check


def _between(low: float, high: float, *, high_open: bool = False) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        inside = low <= value < high if high_open else low <= value <= high
        closing = ")" if high_open else "]"
        return None if inside else f"{value} is outside [{low}, {high}{closing}"

    return check


_INF = float("inf")
VALUE_CHECKS: dict[str, Callable[[Any], str | None]] = {
    "activation": _one_of("activation", list_activations),
    "aaf": _one_of("activation", list_activations),
    "init_as": _one_of("init_as", lambda: sorted({*LEAF_INITS, *AHAF_INITS, *FNEURON_INITS})),
    "sharing": _one_of("sharing", lambda: list(SHARING_MODES)),
    "slots": _one_of("slot group", lambda: list(SLOT_GROUPS)),
    "train": _one_of("training mode", lambda: list(TRAIN_MODES)),
    "slow_lr": _between(1e-12, _INF),
    "pruning_schedule": _one_of("pruning schedule", lambda: ["gmp", "one_shot"]),
    "gradinit": _one_of("gradinit", lambda: [False, True]),
    "safs_stage": _one_of("SAFS stage", lambda: [1, 2]),
    "method": _one_of("pruning method", list_pruning_methods),
    "scope": _one_of("pruning scope", lambda: ["global", "layer"]),
    "optimizer": _one_of("optimizer", lambda: sorted(OPTIMIZERS)),
    "schedule": _one_of("schedule", lambda: sorted(SCHEDULES)),
    "sparsity": _between(0.0, 1.0, high_open=True),
    "lr": _between(1e-12, _INF),
    "weight_decay": _between(0.0, _INF),
    "momentum": _between(0.0, 1.0, high_open=True),
    "epochs": _between(1, _INF),
    "batch_size": _between(1, _INF),
    "label_smoothing": _between(0.0, 1.0, high_open=True),
    # dass: the supernet's and the evaluation network's size, epochs of each phase
    "channels": _between(2, _INF),
    "cells": _between(1, _INF),
    "eval_channels": _between(2, _INF),
    "eval_cells": _between(1, _INF),
    **dict.fromkeys(
        (
            "search_epochs",
            "prune_epochs",
            "finetune_epochs",
            "eval_pretrain_epochs",
            "eval_prune_epochs",
            "eval_finetune_epochs",
        ),
        _between(0, _INF),
    ),
    "arch_lr": _between(0.0, _INF),
    "eval_lr": _between(1e-12, _INF),
    "arch_order": _one_of("arch_order", lambda: [1, 2]),
}


def _values(spec: ParamSpec) -> list[Any]:
    if isinstance(spec, Categorical):
        return list(spec.choices)
    if isinstance(spec, IntRange | FloatRange):
        return [spec.low, spec.high]
    assert isinstance(spec, Fixed)
    return [spec.value]


def _check_space(config: StudyConfig) -> None:
    known = get_pipeline(config.pipeline).param_names
    assert not isinstance(config.space, str), "the loader inlines space files"
    for name, spec in config.space.params.items():
        if name.startswith(GENE_PREFIX):
            _check_pinned_gene(name, spec)
            continue
        if name not in known:
            raise UserError(
                f"field 'space.{name}': unknown parameter; known: {', '.join(sorted(known))}"
            )
        if isinstance(spec, Categorical) and spec.per_slot and name != "activation":
            raise UserError(f"field 'space.{name}': only 'activation' can be per_slot")
        check = VALUE_CHECKS.get(name)
        for value in _values(spec) if check else []:
            try:
                problem = check(value)  # type: ignore[misc]
            except TypeError:
                problem = f"{value!r} has the wrong type"
            if problem:
                raise UserError(f"field 'space.{name}': {problem}")


def _check_pinned_gene(name: str, spec: ParamSpec) -> None:
    """``act.<slot>: NAME`` pins one slot's activation (a phase carries genes this way)."""
    if not isinstance(spec, Fixed):
        raise UserError(f"field 'space.{name}': a per-slot gene can only be given a fixed value")
    problem = VALUE_CHECKS["activation"](spec.value)
    if problem:
        raise UserError(f"field 'space.{name}': {problem}")


def _check_model(config: StudyConfig) -> None:
    if config.model is not None:
        _check_named("model.name", config.model.name, list_models())
    elif get_pipeline(config.pipeline).needs_model:
        raise UserError(f"field 'model': the {config.pipeline} pipeline needs a model")


def _check_named(field: str, name: str, known: list[str]) -> None:
    if name not in known:
        raise UserError(
            f"field '{field}': unknown name {name!r}; known: {', '.join(sorted(known))}"
        )


def check_config(config: StudyConfig) -> None:
    """Raise a UserError naming the field of the first unknown name or impossible value."""
    n_objectives = len(config.objectives)
    checks: list[tuple[str, Callable[[], None]]] = [
        ("pipeline", lambda: get_pipeline(config.pipeline) and None),
        ("model", lambda: _check_model(config)),
        ("data.name", lambda: check_dataset_name(config.data.name)),
        (
            "pretrain.activation",
            lambda: _check_named(
                "pretrain.activation", config.pretrain.activation, list_activations()
            ),
        ),
        (
            "pretrain.optimizer",
            lambda: _check_named("pretrain.optimizer", config.pretrain.optimizer, list(OPTIMIZERS)),
        ),
        (
            "pretrain.schedule",
            lambda: _check_named("pretrain.schedule", config.pretrain.schedule, list(SCHEDULES)),
        ),
        ("sampler.name", lambda: check_sampler(config.sampler.name, n_objectives)),
        ("stopping.name", lambda: check_stopper(config.stopping.name, n_objectives)),
        ("executor.name", lambda: check_executor(config.executor.name)),
        ("space", lambda: _check_space(config)),
    ]
    for field, check in checks:
        try:
            check()
        except UserError as error:
            message = str(error)
            raise UserError(
                message if message.startswith("field") else f"field '{field}': {message}"
            ) from None
    if config.stopping.name != "none" and config.objectives[0].metric not in EPOCH_METRICS:
        raise UserError(
            f"field 'stopping.name': stopping needs the first objective to be one of "
            f"{sorted(EPOCH_METRICS)}, but it is {config.objectives[0].metric!r}"
        )


def check_expanded_space(config: StudyConfig) -> None:
    """Expand the space for the study's model and check what its sampler needs of it."""
    slots = study_slots(config, study_data(config))
    assert not isinstance(config.space, str), "the loader inlines space files"
    model_name = config.model.name if config.model else "the model"
    for name in config.space.params:
        if name.startswith(GENE_PREFIX) and name.removeprefix(GENE_PREFIX) not in slots:
            raise UserError(
                f"field 'space.{name}': {model_name} has no activation slot "
                f"{name.removeprefix(GENE_PREFIX)!r}; its slots: {', '.join(slots)}"
            )
    params = expand(config.space, slots)
    try:
        check_space(params, configspace=config.sampler.name == "smac")
    except UserError as error:
        raise UserError(f"field 'space': {error}") from None
