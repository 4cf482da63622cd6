"""Activation slots: the places in a network where an activation function goes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import torch
from torch import nn
from torch.nn.parameter import is_lazy

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
    model: nn.Module,
    genome: Mapping[str, str | nn.Module] | str | nn.Module,
    *,
    example_input: torch.Tensor | None = None,
) -> nn.Module:
    """Put activations into the slots of ``model`` in place; weights are untouched.

    ``genome`` is one activation for every slot, or a mapping from slot path to activation.
    New modules move to the device and dtype of the model's parameters. Adaptive activations
    shared per channel or element have lazy parameters; pass ``example_input`` (one batch, any
    size) to give them their shapes now, before an optimizer is built.
    """
    slots = activation_slots(model)
    if isinstance(genome, Mapping):
        check_slots(slots, genome)
        chosen = dict(genome)
    else:
        chosen = dict.fromkeys(slots, genome)
    for path, spec in chosen.items():
        # A shared module instance must not be placed in two slots; names build fresh modules.
        module = create_activation(spec) if isinstance(spec, str) else spec
        slots[path].fn = _like(module, model)
    if example_input is not None:
        materialize_activations(model, example_input)
    return model


def check_slots(slots: Mapping[str, ActivationSlot], chosen: Iterable[str]) -> None:
    """A :class:`UserError` for every chosen path that is not a slot, listing the slots."""
    unknown = set(chosen) - set(slots)
    if unknown:
        raise UserError(f"unknown activation slots {sorted(unknown)}; model has {list(slots)}")


def has_lazy_activations(model: nn.Module) -> bool:
    """Whether some activation of ``model`` still waits for an input to shape its parameters."""
    return any(is_lazy(p) for slot in activation_slots(model).values() for p in slot.parameters())


@torch.no_grad()
def materialize_activations(model: nn.Module, example_input: torch.Tensor) -> nn.Module:
    """Shape lazy activation parameters by one forward pass in eval mode (no statistics move)."""
    if not has_lazy_activations(model):
        return model
    modes = {m: m.training for m in model.modules()}
    model.eval()
    try:
        model(example_input)
    finally:
        for module, training in modes.items():
            module.train(training)
    return model


def _like(module: nn.Module, model: nn.Module) -> nn.Module:
    """``module`` moved to the device and floating dtype of ``model``'s first parameter."""
    for p in model.parameters():
        if not is_lazy(p):
            return module.to(device=p.device, dtype=p.dtype)
    return module
