"""Activation slots: the places in a network where an activation function goes."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from automl_sparse._errors import UserError
from automl_sparse.activations._registry import ActivationFactory, create_activation


class ActivationSlot(nn.Module):
    """Holds one activation module; the genome of a network has one gene per slot."""

    def __init__(self, fn: nn.Module) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)


def slot_factory(spec: str | Mapping[str, str] | ActivationFactory = "relu") -> ActivationFactory:
    """An activation factory from a name (every slot), a slot -> name mapping, or a factory."""
    if callable(spec):
        return spec
    if isinstance(spec, str):
        return lambda _slot: create_activation(spec)
    genes = dict(spec)

    def build(slot: str) -> nn.Module:
        if slot not in genes:
            raise UserError(f"no activation given for slot {slot!r}; genome has {sorted(genes)}")
        return create_activation(genes[slot])

    return build


def activation_slots(model: nn.Module) -> dict[str, ActivationSlot]:
    """The activation slots of ``model`` by module path, in forward-definition order."""
    return {name: m for name, m in model.named_modules() if isinstance(m, ActivationSlot)}


def set_activations(
    model: nn.Module, genome: Mapping[str, str | nn.Module] | str | nn.Module
) -> nn.Module:
    """Put activations into the slots of ``model`` in place; weights are untouched.

    ``genome`` is one activation for every slot, or a mapping from slot path to activation.
    """
    slots = activation_slots(model)
    if isinstance(genome, Mapping):
        unknown = set(genome) - set(slots)
        if unknown:
            raise UserError(f"unknown activation slots {sorted(unknown)}; model has {list(slots)}")
        chosen = dict(genome)
    else:
        chosen = dict.fromkeys(slots, genome)
    for path, spec in chosen.items():
        # A shared module instance must not be placed in two slots; names build fresh modules.
        slots[path].fn = create_activation(spec) if isinstance(spec, str) else spec
    return model
