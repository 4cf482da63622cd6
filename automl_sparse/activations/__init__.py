"""Activation functions by name, and the slots of a network where they go.

``create_activation("silu")`` builds a module; ``list_activations()`` names every registered one.
Models place each activation in an :class:`ActivationSlot`; a per-layer genome has one gene per
slot, and :func:`set_activations` swaps them inside a built or trained network.
"""

from automl_sparse.activations._fixed import LiSHT, PSwish, SymExp, SymLog
from automl_sparse.activations._registry import (
    ActivationFactory,
    create_activation,
    list_activations,
    register_activation,
)
from automl_sparse.activations._slots import (
    ActivationSlot,
    activation_slots,
    set_activations,
    slot_factory,
)

__all__ = [
    "ActivationFactory",
    "ActivationSlot",
    "LiSHT",
    "PSwish",
    "SymExp",
    "SymLog",
    "activation_slots",
    "create_activation",
    "list_activations",
    "register_activation",
    "set_activations",
    "slot_factory",
]
