"""What every pipeline shares: the study's data and model, activations built from genes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from automl_sparse._errors import UserError
from automl_sparse.activations import (
    ActivationFactory,
    AdaptiveActivation,
    activation_slots,
    create_activation,
)
from automl_sparse.config import StudyConfig
from automl_sparse.data import DataSplits, load_data
from automl_sparse.models import create_model


def build_activation(
    name: str, init_as: str | None = None, sharing: str | None = None
) -> nn.Module:
    """The activation ``name`` with ``init_as`` and ``sharing`` where it defines them.

    A study's ``init_as`` and ``sharing`` apply to every learnable activation of its genome;
    an ``init_as`` that an activation does not define leaves that activation at its default.
    """
    module = create_activation(name)
    if not isinstance(module, AdaptiveActivation):
        return module
    kwargs: dict[str, Any] = {}
    if init_as is not None and init_as in getattr(type(module), "inits", {}):
        kwargs["init_as"] = init_as
    if sharing is not None:
        kwargs["sharing"] = sharing
    return create_activation(name, **kwargs) if kwargs else module


def genome_factory(
    genes: Mapping[str, str], init_as: str | None = None, sharing: str | None = None
) -> ActivationFactory:
    """An activation factory that builds each slot's gene with the study's options."""
    return lambda slot: build_activation(genes[slot], init_as, sharing)


def study_data(config: StudyConfig) -> DataSplits:
    """The study's data, split by the study's seed (the same split in every worker)."""
    spec = config.data
    return load_data(
        spec.name,
        root=spec.root,
        download=spec.download,
        val_fraction=spec.val_fraction,
        test_fraction=spec.test_fraction,
        seed=config.seed,
        image_size=spec.image_size,
    )


def study_model(
    config: StudyConfig,
    data: DataSplits,
    activation: str | Mapping[str, str] | ActivationFactory,
) -> nn.Module:
    """The study's model for ``data``'s shapes, with the given activations."""
    if config.model is None:
        raise UserError(f"field 'model': the {config.pipeline} pipeline needs a model")
    channels, side, _ = data.input_shape
    return create_model(
        config.model.name,
        activation=activation,
        num_classes=data.num_classes,
        in_channels=channels,
        input_size=side,
        **config.model.options,
    )


def study_slots(config: StudyConfig, data: DataSplits) -> list[str]:
    """The activation slots of the study's model (none when the pipeline brings its own)."""
    if config.model is None:
        return []
    return list(activation_slots(study_model(config, data, config.pretrain.activation)))
