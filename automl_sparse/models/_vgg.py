"""VGG-11 and VGG-16 in the CIFAR layout with BatchNorm (Simonyan and Zisserman 2015,
https://arxiv.org/abs/1409.1556).

Each 3x3 convolution (padding 1, no bias) is followed by BatchNorm and an activation slot; five
2x2 max-pools (ceil mode, so inputs smaller than 32x32 still work) then one linear classifier
512 -> classes. SAFS's "VGG-16" is in fact VGG-11 (../shared/METHODS.md section 1): both exist
here under their true names.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

from torch import nn

from automl_sparse._errors import UserError
from automl_sparse.activations import ActivationFactory, ActivationSlot
from automl_sparse.models._registry import register_model

POOL = "M"
VGG_LAYOUTS: dict[str, list[int | str]] = {
    "vgg11": [64, POOL, 128, POOL, 256, 256, POOL, 512, 512, POOL, 512, 512, POOL],
    "vgg16": [
        *(64, 64, POOL, 128, 128, POOL, 256, 256, 256, POOL),
        *(512, 512, 512, POOL, 512, 512, 512, POOL),
    ],
}


def _features(act: ActivationFactory, layout: list[int | str], in_channels: int) -> nn.Sequential:
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    conv = pool = 0
    for item in layout:
        if item == POOL:
            pool += 1
            layers[f"pool{pool}"] = nn.MaxPool2d(2, ceil_mode=True)
            continue
        conv += 1
        layers[f"conv{conv}"] = nn.Conv2d(in_channels, int(item), 3, padding=1, bias=False)
        layers[f"bn{conv}"] = nn.BatchNorm2d(int(item))
        layers[f"act{conv}"] = ActivationSlot(act(f"features.act{conv}"))
        in_channels = int(item)
    return nn.Sequential(layers)


def _vgg(
    name: str, act: ActivationFactory, num_classes: int, in_channels: int, size: int
) -> nn.Module:
    layout = VGG_LAYOUTS[name]
    side = size
    for _ in range(layout.count(POOL)):
        side = math.ceil(side / 2)
    width = int([c for c in layout if c != POOL][-1])
    return nn.Sequential(
        OrderedDict(
            features=_features(act, layout, in_channels),
            flatten=nn.Flatten(),
            classifier=nn.Sequential(OrderedDict(fc=nn.Linear(width * side * side, num_classes))),
        )
    )


def _check(name: str, input_size: int, kwargs: dict[str, Any]) -> None:
    if kwargs:
        raise UserError(f"{name} takes no options, but got {sorted(kwargs)}")
    if input_size < 1:
        raise UserError(f"{name} needs a positive input size, but got {input_size=}")


@register_model("vgg11")
def vgg11(
    act: ActivationFactory,
    *,
    num_classes: int = 10,
    in_channels: int = 3,
    input_size: int = 32,
    **kwargs: Any,
) -> nn.Module:
    """VGG-11 with BatchNorm, CIFAR layout (8 convolutions, 8 activation slots)."""
    _check("vgg11", input_size, kwargs)
    return _vgg("vgg11", act, num_classes, in_channels, input_size)


@register_model("vgg16")
def vgg16(
    act: ActivationFactory,
    *,
    num_classes: int = 10,
    in_channels: int = 3,
    input_size: int = 32,
    **kwargs: Any,
) -> nn.Module:
    """VGG-16 with BatchNorm, CIFAR layout (13 convolutions, 13 activation slots)."""
    _check("vgg16", input_size, kwargs)
    return _vgg("vgg16", act, num_classes, in_channels, input_size)
