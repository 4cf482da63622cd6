"""What every pipeline shares: the data of a study and its model, built by name."""

from __future__ import annotations

from collections.abc import Mapping

from torch import nn

from automl_sparse.config import StudyConfig
from automl_sparse.data import DataSplits, load_data
from automl_sparse.models import create_model


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
    config: StudyConfig, data: DataSplits, activation: str | Mapping[str, str]
) -> nn.Module:
    """The study's model for ``data``'s shapes, with the given activations."""
    channels, side, _ = data.input_shape
    return create_model(
        config.model.name,
        activation=activation,
        num_classes=data.num_classes,
        in_channels=channels,
        input_size=side,
        **config.model.options,
    )
