"""Masks as explicit state.

Each pruned layer carries a ``weight_mask`` buffer (saved in its state dict, restored by
:func:`load_state_with_masks`); masks are never inferred from zeros. :func:`keep_masks` makes an
optimizer zero the masked gradients before every step and re-apply every mask after it, so that
momentum and weight decay cannot revive a pruned weight.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

MASK = "weight_mask"
PRUNABLE_TYPES: tuple[type[nn.Module], ...] = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
"""Layers whose weights are pruned. Biases and normalisation layers are never pruned."""
EXEMPT = "prune_exempt"
"""A layer with this attribute set to True stays dense (ToST's extra 1x1 skip connections)."""


def exempt_from_pruning(module: nn.Module) -> nn.Module:
    """Mark ``module`` as never pruned (it still counts in parameters and FLOPs); returns it."""
    setattr(module, EXEMPT, True)
    return module


def weight_layers(model: nn.Module) -> dict[str, nn.Module]:
    """Every convolution and linear layer of ``model``, pruning-exempt ones included."""
    return {name: m for name, m in model.named_modules() if isinstance(m, PRUNABLE_TYPES)}


def prunable_layers(model: nn.Module) -> dict[str, nn.Module]:
    """The layers of ``model`` whose ``weight`` can be pruned, by module path."""
    return {name: m for name, m in weight_layers(model).items() if not getattr(m, EXEMPT, False)}


def masked_layers(model: nn.Module) -> Iterator[tuple[str, nn.Module]]:
    """The layers of ``model`` that carry a mask."""
    for name, module in model.named_modules():
        if module._buffers.get(MASK) is not None:
            yield name, module


def get_mask(module: nn.Module) -> torch.Tensor | None:
    """The mask of a layer (1 keeps a weight, 0 prunes it), or None when it is dense.

    Layers with learned scores (:class:`~automl_sparse.pruning.SparseConv2d`) give the mask
    their scores select now (``module.score_mask()``).
    """
    mask = module._buffers.get(MASK)
    if mask is not None:
        return mask
    score_mask = getattr(module, "score_mask", None)
    return score_mask().detach() if callable(score_mask) else None


def _mask_gradient(module: nn.Module) -> None:
    """Zero the gradient of masked weights, so optimiser state never sees them.

    The hook lives on the weight tensor (a copied or replaced weight gets a new one) and reads
    the module's current mask, so replacing or removing the mask needs no new hook.
    """
    weight = module.weight
    if getattr(weight, "_mask_hooked", False):
        return

    def hook(grad: torch.Tensor) -> torch.Tensor:
        mask = module._buffers.get(MASK)
        return grad if mask is None or module.weight is not weight else grad * mask

    weight.register_hook(hook)
    weight._mask_hooked = True  # type: ignore[attr-defined]


def attach_mask(module: nn.Module, mask: torch.Tensor) -> None:
    """Give ``module`` the mask (replacing any earlier one) and zero its pruned weights."""
    if mask.shape != module.weight.shape:
        raise ValueError(f"mask shape {tuple(mask.shape)} != weight {tuple(module.weight.shape)}")
    mask = mask.to(device=module.weight.device, dtype=module.weight.dtype)
    if module._buffers.get(MASK) is None:
        module.register_buffer(MASK, mask)
    else:
        module.weight_mask = mask
    _mask_gradient(module)
    with torch.no_grad():
        module.weight.mul_(module.weight_mask)


def apply_masks(model: nn.Module) -> None:
    """Zero every masked weight of ``model`` (after an optimizer step, a load, a rewind)."""
    with torch.no_grad():
        for _, module in masked_layers(model):
            module.weight.mul_(module.weight_mask)


def keep_masks(optimizer: torch.optim.Optimizer, model: nn.Module) -> RemovableHandle:
    """Mask the gradients of ``model`` and re-apply its masks after every step of ``optimizer``."""
    for _, module in masked_layers(model):
        _mask_gradient(module)
    return optimizer.register_step_post_hook(lambda *_: apply_masks(model))


def load_state_with_masks(
    model: nn.Module, state: Mapping[str, torch.Tensor], *, strict: bool = True
) -> None:
    """Load a state dict, first attaching the masks it holds to the matching layers."""
    modules = dict(model.named_modules())
    for key, value in state.items():
        if key.endswith("." + MASK):
            attach_mask(modules[key[: -len(MASK) - 1]], value)
    model.load_state_dict(state, strict=strict)
    apply_masks(model)


def remove_masks(model: nn.Module) -> None:
    """Bake masks into the weights and drop the mask buffers (for export)."""
    apply_masks(model)
    for _, module in list(masked_layers(model)):
        del module._buffers[MASK]
