"""KerasNet, the CIFAR-10 network of the adaptive-activation papers (METHODS.md section 3).

conv3x3 32 (pad 1) - act - conv3x3 32 - act - maxpool - dropout2d 0.25 - conv3x3 64 (pad 1) - act -
conv3x3 64 - act - maxpool - dropout2d 0.25 - fc 2304->512 - act - dropout 0.2 - fc 512->10.
Five activation slots. 2304 = 64 * 6 * 6 on 32x32 inputs; other sizes are computed.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from torch import nn

from automl_sparse._errors import UserError
from automl_sparse.activations import ActivationFactory, ActivationSlot
from automl_sparse.models._registry import register_model

_CONV_DROPOUT = 0.25
_FC_DROPOUT = 0.2
_HIDDEN = 512


def _block_side(side: int) -> int:
    return (side - 2) // 2  # padded conv keeps the side, unpadded conv takes 2, pool halves


@register_model("kerasnet")
def kerasnet(
    act: ActivationFactory,
    *,
    num_classes: int = 10,
    in_channels: int = 3,
    input_size: int = 32,
    **kwargs: Any,
) -> nn.Module:
    """KerasNet (Kostiuk and Bodyanskiy, adaptive activations in pre-trained models)."""
    if kwargs:
        raise UserError(f"kerasnet takes no options, but got {sorted(kwargs)}")
    side = _block_side(_block_side(input_size))
    if side < 1:
        raise UserError(f"kerasnet needs inputs of at least 10x10 pixels, but got {input_size=}")
    features = nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(in_channels, 32, 3, padding=1),
            act1=ActivationSlot(act("features.act1")),
            conv2=nn.Conv2d(32, 32, 3),
            act2=ActivationSlot(act("features.act2")),
            pool1=nn.MaxPool2d(2),
            drop1=nn.Dropout2d(_CONV_DROPOUT),
            conv3=nn.Conv2d(32, 64, 3, padding=1),
            act3=ActivationSlot(act("features.act3")),
            conv4=nn.Conv2d(64, 64, 3),
            act4=ActivationSlot(act("features.act4")),
            pool2=nn.MaxPool2d(2),
            drop2=nn.Dropout2d(_CONV_DROPOUT),
        )
    )
    classifier = nn.Sequential(
        OrderedDict(
            fc1=nn.Linear(64 * side * side, _HIDDEN),
            act5=ActivationSlot(act("classifier.act5")),
            drop=nn.Dropout(_FC_DROPOUT),
            fc2=nn.Linear(_HIDDEN, num_classes),
        )
    )
    return nn.Sequential(
        OrderedDict(features=features, flatten=nn.Flatten(), classifier=classifier)
    )
