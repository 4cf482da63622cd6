"""LeNet-5 in the SAFS layout (../shared/METHODS.md section 1).

conv(1->6, 5) - act - maxpool - conv(6->16, 5) - act - maxpool - fc 256->120 - act - fc 120->84 -
act - fc 84->10: four activation slots. On 28x28 inputs the flattened size is 16 * 4 * 4 = 256.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from torch import nn

from automl_sparse._errors import UserError
from automl_sparse.activations import ActivationFactory, ActivationSlot
from automl_sparse.models._registry import register_model

_KERNEL = 5
_POOL = 2


def _feature_side(input_size: int) -> int:
    side = (input_size - _KERNEL + 1) // _POOL
    side = (side - _KERNEL + 1) // _POOL
    if side < 1:
        raise UserError(f"lenet5 needs inputs of at least 16x16 pixels, but got {input_size=}")
    return side


@register_model("lenet5")
def lenet5(
    act: ActivationFactory,
    *,
    num_classes: int = 10,
    in_channels: int = 1,
    input_size: int = 28,
    **kwargs: Any,
) -> nn.Module:
    """LeNet-5 as used by SAFS (Loni et al., AutoML-Conf 2023, https://arxiv.org/abs/2305.10964)."""
    if kwargs:
        raise UserError(f"lenet5 takes no options, but got {sorted(kwargs)}")
    flat = 16 * _feature_side(input_size) ** 2
    features = nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(in_channels, 6, _KERNEL),
            act1=ActivationSlot(act("features.act1")),
            pool1=nn.MaxPool2d(_POOL),
            conv2=nn.Conv2d(6, 16, _KERNEL),
            act2=ActivationSlot(act("features.act2")),
            pool2=nn.MaxPool2d(_POOL),
        )
    )
    classifier = nn.Sequential(
        OrderedDict(
            fc1=nn.Linear(flat, 120),
            act3=ActivationSlot(act("classifier.act3")),
            fc2=nn.Linear(120, 84),
            act4=ActivationSlot(act("classifier.act4")),
            fc3=nn.Linear(84, num_classes),
        )
    )
    return nn.Sequential(
        OrderedDict(features=features, flatten=nn.Flatten(), classifier=classifier)
    )
