"""The model registry (timm's ``register_model`` / ``create_model`` pattern)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from torch import nn

from automl_sparse._errors import unknown_name
from automl_sparse.activations import ActivationFactory, slot_factory


class ModelBuilder(Protocol):
    """Builds a network whose activations come from ``act(slot_path)``."""

    def __call__(
        self,
        act: ActivationFactory,
        *,
        num_classes: int,
        in_channels: int,
        input_size: int,
        **kwargs: Any,
    ) -> nn.Module: ...


_REGISTRY: dict[str, ModelBuilder] = {}


def register_model(name: str) -> Callable[[ModelBuilder], ModelBuilder]:
    """Register a model builder under ``name``."""

    def decorate(builder: ModelBuilder) -> ModelBuilder:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is already registered")
        _REGISTRY[name] = builder
        return builder

    return decorate


def create_model(
    name: str,
    *,
    activation: str | Mapping[str, str] | ActivationFactory = "relu",
    num_classes: int = 10,
    in_channels: int = 1,
    input_size: int = 28,
    **kwargs: Any,
) -> nn.Module:
    """Build the model registered as ``name`` with activations from ``activation``.

    ``activation`` is one name for every slot, a mapping slot path -> name, or a factory.
    """
    if name not in _REGISTRY:
        raise unknown_name("model", name, list_models())
    return _REGISTRY[name](
        slot_factory(activation),
        num_classes=num_classes,
        in_channels=in_channels,
        input_size=input_size,
        **kwargs,
    )


def list_models() -> list[str]:
    """Every registered model name, sorted."""
    return sorted(_REGISTRY)
