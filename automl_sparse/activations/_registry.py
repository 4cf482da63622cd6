"""The activation registry: names to module builders (timm's ``create_act`` pattern)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from automl_sparse._errors import unknown_name

ActivationBuilder = Callable[..., nn.Module]
ActivationFactory = Callable[[str], nn.Module]
"""Builds the activation module for one slot, given the slot's name."""

_REGISTRY: dict[str, ActivationBuilder] = {}


def register_activation(*names: str) -> Callable[[ActivationBuilder], ActivationBuilder]:
    """Register a builder (a module class or a function returning a module) under names."""

    def decorate(builder: ActivationBuilder) -> ActivationBuilder:
        for name in names:
            if name in _REGISTRY:
                raise ValueError(f"activation {name!r} is already registered")
            _REGISTRY[name] = builder
        return builder

    return decorate


def create_activation(name: str | nn.Module, **kwargs: Any) -> nn.Module:
    """Build the activation registered as ``name``; a module passes through unchanged."""
    if isinstance(name, nn.Module):
        return name
    if name not in _REGISTRY:
        raise unknown_name("activation", name, list_activations())
    return _REGISTRY[name](**kwargs)


def list_activations() -> list[str]:
    """Every registered activation name, sorted."""
    return sorted(_REGISTRY)


def is_activation(name: str) -> bool:
    """Whether ``name`` is a registered activation."""
    return name in _REGISTRY
