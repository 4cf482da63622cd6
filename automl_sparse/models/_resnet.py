"""CIFAR ResNets: ResNet-18 (64..512, 3x3 stem, no max-pool) and ResNet-20/56 (16/32/64).

He et al., CVPR 2016, https://arxiv.org/abs/1512.03385. Every block applies its second
activation after the addition, never on the shortcut alone (SAFS's ResNet-18 bug,
../shared/METHODS.md section 1). ResNet-18 uses 1x1 convolution + BatchNorm shortcuts where
the shape changes; ResNet-20/56 use the paper's parameter-free option A (subsample, zero-pad).

``extra_skips=True`` adds ToST's two dense 1x1 conv + BatchNorm jumps per block (Jaiswal et
al., ICML 2022, ../shared/METHODS.md section 2), weights initialised to 1e-4, never pruned,
scaled by a ``skip_scale`` buffer that :func:`set_skip_scale` decays during training::

    out1 = BN(conv3x3(x)) + alpha * BN(conv1x1(x))
    out = act(BN(conv3x3(act(out1))) + shortcut(x) + alpha * BN(conv1x1(act(out1))))
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from automl_sparse._errors import UserError
from automl_sparse.activations import ActivationFactory, ActivationSlot
from automl_sparse.models._registry import register_model
from automl_sparse.pruning import exempt_from_pruning

EXTRA_SKIP_INIT = 1e-4
"""Initial value of every weight of ToST's extra 1x1 skip convolutions."""


def _conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


def _dense_skip(cin: int, cout: int, stride: int) -> nn.Sequential:
    conv = exempt_from_pruning(nn.Conv2d(cin, cout, 1, stride=stride, bias=False))
    nn.init.constant_(conv.weight, EXTRA_SKIP_INIT)
    return nn.Sequential(conv, nn.BatchNorm2d(cout))


class PadShortcut(nn.Module):
    """Option A shortcut: subsample by ``stride`` and zero-pad the new channels."""

    def __init__(self, stride: int, extra_channels: int) -> None:
        super().__init__()
        self.stride, self.extra = stride, extra_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, :: self.stride, :: self.stride]
        half = self.extra // 2
        return F.pad(x, (0, 0, 0, 0, half, self.extra - half))


def _shortcut(cin: int, cout: int, stride: int, kind: str) -> nn.Module:
    if stride == 1 and cin == cout:
        return nn.Identity()
    if kind == "pad":
        return PadShortcut(stride, cout - cin)
    return nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))


class BasicBlock(nn.Module):
    """conv3x3-BN-act-conv3x3-BN, plus the shortcut, then the activation (two slots)."""

    def __init__(
        self,
        act: ActivationFactory,
        path: str,
        cin: int,
        cout: int,
        stride: int = 1,
        *,
        shortcut: str = "conv",
        extra_skips: bool = False,
    ) -> None:
        super().__init__()
        self.conv1, self.bn1 = _conv3x3(cin, cout, stride), nn.BatchNorm2d(cout)
        self.act1 = ActivationSlot(act(f"{path}.act1"))
        self.conv2, self.bn2 = _conv3x3(cout, cout), nn.BatchNorm2d(cout)
        self.shortcut = _shortcut(cin, cout, stride, shortcut)
        self.act2 = ActivationSlot(act(f"{path}.act2"))
        self.extra_skips = extra_skips
        if extra_skips:
            self.skip1, self.skip2 = _dense_skip(cin, cout, stride), _dense_skip(cout, cout, 1)
            self.register_buffer("skip_scale", torch.ones(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn1(self.conv1(x))
        if self.extra_skips:
            out = out + self.skip_scale * self.skip1(x)
        out = self.act1(out)
        y = self.bn2(self.conv2(out)) + self.shortcut(x)
        if self.extra_skips:
            y = y + self.skip_scale * self.skip2(out)
        return self.act2(y)


class CifarResNet(nn.Module):
    """3x3 stem (conv-BN-act, no max-pool), stages of basic blocks, global pool, linear."""

    def __init__(
        self,
        act: ActivationFactory,
        widths: tuple[int, ...],
        blocks: tuple[int, ...],
        *,
        num_classes: int,
        in_channels: int,
        shortcut: str,
        extra_skips: bool,
    ) -> None:
        super().__init__()
        self.conv1 = _conv3x3(in_channels, widths[0])
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.act1 = ActivationSlot(act("act1"))
        cin = widths[0]
        for i, (width, count) in enumerate(zip(widths, blocks, strict=True), start=1):
            stage = []
            for j in range(count):
                stride = 2 if i > 1 and j == 0 else 1
                path = f"layer{i}.{j}"
                stage.append(
                    BasicBlock(
                        act, path, cin, width, stride, shortcut=shortcut, extra_skips=extra_skips
                    )
                )
                cin = width
            self.add_module(f"layer{i}", nn.Sequential(*stage))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)
        self.stages = len(widths)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act1(self.bn1(self.conv1(x)))
        for i in range(1, self.stages + 1):
            x = getattr(self, f"layer{i}")(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


def set_skip_scale(model: nn.Module, alpha: float) -> None:
    """Set the scale of ToST's extra skip connections in every block (e.g. decaying to 0)."""
    for module in model.modules():
        if isinstance(module, BasicBlock) and module.extra_skips:
            module.skip_scale.fill_(alpha)


def _resnet(
    act: ActivationFactory,
    name: str,
    widths: tuple[int, ...],
    blocks: tuple[int, ...],
    shortcut: str,
    *,
    num_classes: int,
    in_channels: int,
    input_size: int,
    extra_skips: bool = False,
    **kwargs: Any,
) -> nn.Module:
    if kwargs:
        raise UserError(f"{name} takes only extra_skips, but got {sorted(kwargs)}")
    if input_size < 1:
        raise UserError(f"{name} needs a positive input size, but got {input_size=}")
    return CifarResNet(
        act,
        widths,
        blocks,
        num_classes=num_classes,
        in_channels=in_channels,
        shortcut=shortcut,
        extra_skips=extra_skips,
    )


@register_model("resnet18")
def resnet18(
    act: ActivationFactory,
    *,
    num_classes: int = 10,
    in_channels: int = 3,
    input_size: int = 32,
    **kwargs: Any,
) -> nn.Module:
    """ResNet-18 for CIFAR: 3x3 stem, no max-pool, [2, 2, 2, 2] blocks of 64..512."""
    return _resnet(
        act,
        "resnet18",
        (64, 128, 256, 512),
        (2, 2, 2, 2),
        "conv",
        num_classes=num_classes,
        in_channels=in_channels,
        input_size=input_size,
        **kwargs,
    )


@register_model("resnet20")
def resnet20(
    act: ActivationFactory,
    *,
    num_classes: int = 10,
    in_channels: int = 3,
    input_size: int = 32,
    **kwargs: Any,
) -> nn.Module:
    """ResNet-20 for CIFAR: 3 stages of 3 blocks, 16/32/64 channels, option A shortcuts."""
    return _resnet(
        act,
        "resnet20",
        (16, 32, 64),
        (3, 3, 3),
        "pad",
        num_classes=num_classes,
        in_channels=in_channels,
        input_size=input_size,
        **kwargs,
    )


@register_model("resnet56")
def resnet56(
    act: ActivationFactory,
    *,
    num_classes: int = 10,
    in_channels: int = 3,
    input_size: int = 32,
    **kwargs: Any,
) -> nn.Module:
    """ResNet-56 for CIFAR: 3 stages of 9 blocks, 16/32/64 channels, option A shortcuts."""
    return _resnet(
        act,
        "resnet56",
        (16, 32, 64),
        (9, 9, 9),
        "pad",
        num_classes=num_classes,
        in_channels=in_channels,
        input_size=input_size,
        **kwargs,
    )
