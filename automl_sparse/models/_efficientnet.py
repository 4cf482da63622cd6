"""EfficientNet-B0: torchvision's architecture (no pretrained weights, no download).

Tan and Le, ICML 2019, https://arxiv.org/abs/1905.11946. Every SiLU module (the stem, each
MBConv block and the squeeze-and-excitation reductions) is replaced by an activation slot whose
path is the module path it replaces (e.g. ``features.0.2``); the squeeze-and-excitation gates
stay sigmoids. Any input size works (global average pooling).
"""

from __future__ import annotations

from typing import Any

from torch import nn
from torchvision.models import efficientnet_b0 as tv_efficientnet_b0

from automl_sparse._errors import UserError
from automl_sparse.activations import ActivationFactory, ActivationSlot
from automl_sparse.models._registry import register_model

STEM_CHANNELS = 32


def _slot_silus(model: nn.Module, act: ActivationFactory) -> None:
    """Replace every ``nn.SiLU`` of ``model`` by a slot holding ``act(its path)``."""
    for path, module in list(model.named_modules()):
        if isinstance(module, nn.SiLU):
            parent, _, name = path.rpartition(".")
            setattr(model.get_submodule(parent), name, ActivationSlot(act(path)))


@register_model("efficientnet_b0")
def efficientnet_b0(
    act: ActivationFactory,
    *,
    num_classes: int = 10,
    in_channels: int = 3,
    input_size: int = 224,
    **kwargs: Any,
) -> nn.Module:
    """EfficientNet-B0 (torchvision layout, random init; stochastic depth 0.2, dropout 0.2)."""
    if kwargs:
        raise UserError(f"efficientnet_b0 takes no options, but got {sorted(kwargs)}")
    if input_size < 1:
        raise UserError(f"efficientnet_b0 needs a positive input size, but got {input_size=}")
    model = tv_efficientnet_b0(weights=None, num_classes=num_classes)
    if in_channels != 3:
        stem = nn.Conv2d(in_channels, STEM_CHANNELS, 3, stride=2, padding=1, bias=False)
        nn.init.kaiming_normal_(stem.weight, mode="fan_out")
        model.features[0][0] = stem
    _slot_silus(model, act)
    return model
