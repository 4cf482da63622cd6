"""Activation replacement in built or pre-trained networks, and slots for any network.

Kostiuk and Bodyanskiy replace the activations of a trained network by adaptive ones whose
"init as" shape matches, keep every weight and fine-tune (../shared/METHODS.md section 3).
:func:`wrap_activations` gives networks built elsewhere (torchvision, timm) activation slots.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import torch
from torch import nn

from automl_sparse._errors import UserError
from automl_sparse.activations._adaptive import AdaptiveActivation
from automl_sparse.activations._fixed import LiSHT, PSwish, SymExp, SymLog
from automl_sparse.activations._registry import create_activation
from automl_sparse.activations._safs import SafsActivation
from automl_sparse.activations._slots import (
    ActivationSlot,
    activation_slots,
    check_slots,
    set_activations,
)

NATIVE_ACTIVATIONS: tuple[type[nn.Module], ...] = (
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.PReLU,
    nn.RReLU,
    nn.SiLU,
    nn.GELU,
    nn.Mish,
    nn.Tanh,
    nn.Sigmoid,
    nn.ELU,
    nn.CELU,
    nn.SELU,
    nn.Softplus,
    nn.Softsign,
    nn.Hardswish,
    nn.Hardsigmoid,
    nn.Hardtanh,
    nn.LogSigmoid,
    nn.Tanhshrink,
)
"""torch activation modules that :func:`wrap_activations` puts into slots by default."""

LIBRARY_ACTIVATIONS: tuple[type[nn.Module], ...] = (
    AdaptiveActivation,
    SafsActivation,
    PSwish,
    LiSHT,
    SymLog,
    SymExp,
)
"""This package's activation modules; also wrapped, never looked inside."""


def wrap_activations(
    model: nn.Module, types: tuple[type[nn.Module], ...] = NATIVE_ACTIVATIONS + LIBRARY_ACTIVATIONS
) -> list[str]:
    """Put every activation module of ``types`` in ``model`` into an :class:`ActivationSlot`.

    In place; returns the new slot paths. Existing slots are left alone and not searched. A
    module object used twice (torchvision's BasicBlock calls one ``relu`` twice) becomes one
    slot used twice. Functional calls (``F.relu`` in ``forward``) cannot be wrapped.
    """
    wrapped: list[str] = []
    _wrap_children(model, "", types, wrapped)
    return wrapped


def _wrap_children(
    parent: nn.Module, prefix: str, types: tuple[type[nn.Module], ...], wrapped: list[str]
) -> None:
    for name, child in list(parent.named_children()):
        path = f"{prefix}{name}"
        if isinstance(child, ActivationSlot):
            continue
        if isinstance(child, types):
            setattr(parent, name, ActivationSlot(child))
            wrapped.append(path)
        else:
            _wrap_children(child, f"{path}.", types, wrapped)


ActivationSpec = str | nn.Module | Callable[[str], nn.Module]


def replace_activations(
    model: nn.Module,
    activation: ActivationSpec,
    *,
    slots: Iterable[str] | None = None,
    example_input: torch.Tensor | None = None,
    **kwargs: Any,
) -> nn.Module:
    """Put a fresh ``activation`` into every slot (or the chosen ``slots``), keeping weights.

    ``activation`` is a registered name built with ``kwargs`` (``init_as="relu"``,
    ``sharing="channel"``, ...), a module (deep-copied per slot) or a factory slot path ->
    module. ``example_input`` shapes lazy parameters at once (see :func:`set_activations`).
    """
    chosen = list(activation_slots(model)) if slots is None else list(slots)
    check_slots(activation_slots(model), chosen)
    genome = {path: _build(activation, path, kwargs) for path in chosen}
    return set_activations(model, genome, example_input=example_input)


def _build(activation: ActivationSpec, path: str, kwargs: dict[str, Any]) -> nn.Module:
    if isinstance(activation, nn.Module):
        return copy.deepcopy(activation)
    if isinstance(activation, str):
        return create_activation(activation, **kwargs)
    return activation(path)


def load_base_weights(model: nn.Module, state_dict: Mapping[str, torch.Tensor]) -> nn.Module:
    """Load a base network's weights into ``model`` whose activations may differ.

    Activation parameters missing from ``state_dict`` keep their initial ("init as") values and
    activation parameters of the base are ignored; any other missing or unexpected key is a
    :class:`UserError` (shape mismatches raise torch's ``RuntimeError``).
    """
    result = model.load_state_dict(dict(state_dict), strict=False)
    prefixes = tuple(f"{path}." for path in activation_slots(model))
    missing = sorted(k for k in result.missing_keys if not k.startswith(prefixes))
    unexpected = sorted(k for k in result.unexpected_keys if not k.startswith(prefixes))
    if missing or unexpected:
        raise UserError(f"base weights do not fit the model: {missing=} {unexpected=}")
    return model
