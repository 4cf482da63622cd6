"""Library side of the activation training modes: which parameters train, at which rate.

The AAF recipe (Kostiuk and Bodyanskiy, ../shared/METHODS.md section 3) fine-tunes only the
activation parameters of a pre-trained network with Adam at lr 1e-3, LEAF p2 and p4 at 1e-6.
"""

from __future__ import annotations

from typing import Any

from torch import nn
from torch.nn.parameter import is_lazy

from automl_sparse._errors import UserError
from automl_sparse.activations._leaf import LEAF
from automl_sparse.activations._slots import activation_slots

LEAF_SLOW_PARAMS: tuple[str, ...] = ("p2", "p4")
"""LEAF parameters that the AAF recipe trains at the slow learning rate."""


def named_activation_parameters(model: nn.Module) -> dict[str, nn.Parameter]:
    """Parameters of the activations in the slots of ``model``, by full parameter name."""
    found: dict[str, nn.Parameter] = {}
    seen: set[int] = set()
    for path, slot in activation_slots(model).items():
        for name, p in slot.named_parameters(prefix=path):
            if id(p) not in seen:
                seen.add(id(p))
                found[name] = p
    return found


def activation_parameters(model: nn.Module) -> list[nn.Parameter]:
    """Parameters of the activations in the slots of ``model`` (each once)."""
    return list(named_activation_parameters(model).values())


def freeze_all_but_activations(model: nn.Module) -> list[str]:
    """Freeze every parameter outside activation slots; returns the frozen names.

    Activation parameters keep their ``requires_grad`` (a SAFS stage may have frozen some).
    """
    keep = {id(p) for p in activation_parameters(model)}
    frozen = []
    for name, p in model.named_parameters():
        if id(p) not in keep:
            p.requires_grad_(False)
            frozen.append(name)
    return frozen


def aaf_param_groups(
    model: nn.Module, lr: float = 1e-3, leaf_slow_lr: float = 1e-6
) -> list[dict[str, Any]]:
    """Optimizer parameter groups: every trainable parameter at ``lr``, LEAF p2/p4 at
    ``leaf_slow_lr``. Empty groups are left out.

    With :func:`freeze_all_but_activations` first this is the AAF fine-tuning recipe.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    if any(is_lazy(p) for p in params):
        raise UserError(
            "the model has lazy activation parameters; run one batch through it or call "
            "set_activations(..., example_input=x) before building the optimizer"
        )
    slow_ids = {
        id(getattr(m, n)) for m in model.modules() if isinstance(m, LEAF) for n in LEAF_SLOW_PARAMS
    }
    groups = [
        {"params": [p for p in params if id(p) not in slow_ids], "lr": lr},
        {"params": [p for p in params if id(p) in slow_ids], "lr": leaf_slow_lr},
    ]
    return [g for g in groups if g["params"]]
