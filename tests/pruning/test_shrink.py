"""Structured pruning from activation slopes: channel masks, L1, two-step recipe, shrink."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from automl_sparse._errors import UserError
from automl_sparse.activations import activation_slots, set_activations
from automl_sparse.models import create_model
from automl_sparse.pruning import (
    add_slope_l1,
    channel_masks,
    count_flops,
    count_params,
    get_mask,
    kill_channels,
    prunable_layers,
    prune,
    shrink,
    slope_parameters,
    two_step_rotated,
)

SHAPES = {"lenet5": (1, 16, 16), "kerasnet": (3, 16, 16), "vgg11": (3, 32, 32),
          "resnet20": (3, 16, 16)}  # fmt: skip


class SlopedReLU(nn.Module):
    """A minimal module with the slope protocol: one slope per channel (dim 1)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.slope = nn.Parameter(torch.linspace(0.5, 1.5, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = [1, -1] + [1] * (x.dim() - 2)
        return self.slope.view(shape) * torch.relu(x)


def rotated(name: str, seed: int = 0) -> tuple[nn.Module, torch.Tensor]:
    torch.manual_seed(seed)
    shape = SHAPES[name]
    model = create_model(name, in_channels=shape[0], input_size=shape[1])
    x = torch.randn(2, *shape)
    set_activations(model, "rotated_relu", example_input=x)
    return model.eval(), x


@torch.no_grad()
def kill_half(model: nn.Module, seed: int = 1) -> None:
    gen = torch.Generator().manual_seed(seed)
    for slope in slope_parameters(model):
        slope[torch.rand(slope.shape, generator=gen) < 0.5] = 0.0


@pytest.mark.parametrize("name", ["lenet5", "kerasnet", "vgg11"])
def test_shrink_keeps_outputs_and_removes_every_dead_channel(name: str) -> None:
    model, x = rotated(name)
    kill_half(model)
    small = shrink(model, x.shape[1:])
    torch.testing.assert_close(small.eval()(x), model(x), rtol=1e-5, atol=1e-5)
    assert count_params(small) < count_params(model)
    assert count_flops(small, x.shape[1:]) < count_flops(model, x.shape[1:])
    alive = channel_masks(model)
    for path, slot in activation_slots(small).items():
        assert slot.fn.slope.numel() == int(alive[path].sum()), path
        assert bool((slot.fn.slope != 0).all())


def test_shrink_with_the_bare_slope_protocol() -> None:
    torch.manual_seed(0)
    model = create_model("lenet5", input_size=16)
    widths = {"features.act1": 6, "features.act2": 16, "classifier.act3": 120,
              "classifier.act4": 84}  # fmt: skip
    set_activations(model, {p: SlopedReLU(c) for p, c in widths.items()})
    kill_half(model)
    x = torch.randn(2, 1, 16, 16)
    small = shrink(model, (1, 16, 16))
    torch.testing.assert_close(small(x), model(x), rtol=1e-5, atol=1e-5)
    assert small.features.conv1.out_channels == int(channel_masks(model)["features.act1"].sum())


def test_shrink_slices_weight_masks_and_zeta_kills_small_slopes() -> None:
    model, x = rotated("kerasnet")
    prune(model, "magnitude", 0.8)
    small = shrink(model, x.shape[1:], zeta=1.0)  # |a| in [0.7, 1.43]: about half die
    assert sum(s.numel() for s in slope_parameters(small)) < sum(
        s.numel() for s in slope_parameters(model)
    )
    for layer in prunable_layers(small).values():
        mask = get_mask(layer)
        assert mask is not None and mask.shape == layer.weight.shape
        assert (layer.weight[mask == 0] == 0).all()
    kill_channels(model, 1.0)
    torch.testing.assert_close(small.eval()(x), model(x), rtol=1e-5, atol=1e-5)


def test_resnet_shrinks_only_inside_blocks() -> None:
    model, x = rotated("resnet20")
    kill_half(model)
    small = shrink(model, x.shape[1:])
    torch.testing.assert_close(small.eval()(x), model(x), rtol=1e-5, atol=1e-5)
    assert small.conv1.out_channels == 16  # the stem feeds a residual stream
    for name, block in small.named_modules():
        if hasattr(block, "conv1") and name.startswith("layer"):
            alive = int(channel_masks(model)[f"{name}.act1"].sum())
            assert block.conv1.out_channels == block.conv2.in_channels == alive
            assert block.conv2.out_channels == model.get_submodule(name).conv2.out_channels


def test_all_dead_keeps_one_channel() -> None:
    model, x = rotated("lenet5")
    with torch.no_grad():
        model.features.act1.fn.slope.zero_()
    small = shrink(model, x.shape[1:])
    assert small.features.conv1.out_channels == 1
    torch.testing.assert_close(small.eval()(x), model(x))


def test_slope_l1_adds_sign_times_strength() -> None:
    model, x = rotated("lenet5")
    model(x).sum().backward()
    grads = [s.grad.clone() for s in slope_parameters(model)]
    add_slope_l1(model)
    for s, g in zip(slope_parameters(model), grads, strict=True):
        torch.testing.assert_close(s.grad, g + 1e-4 * torch.sign(s))


def test_two_step_recipe() -> None:
    model, x = rotated("lenet5")
    y = torch.randint(10, (2,))
    seen: list[set[str]] = []

    def train(net: nn.Module, params: list[nn.Parameter]) -> None:
        names = {n for n, p in net.named_parameters() if p.requires_grad}
        seen.append(names)
        optimizer = torch.optim.SGD(params, lr=0.1)
        for _ in range(2):
            optimizer.zero_grad()
            nn.functional.cross_entropy(net(x), y).backward()
            optimizer.step()

    masks = two_step_rotated(model, train, zeta=1.0)
    assert all(n.endswith(".slope") for n in seen[0])
    assert not any(n.endswith(".slope") for n in seen[1]) and seen[1]
    for path, slot in activation_slots(model).items():
        assert bool((slot.fn.slope[~masks[path]] == 0).all())


def test_lazy_slopes_and_bad_zeta_are_errors() -> None:
    model = create_model("lenet5", input_size=16)
    set_activations(model, "rotated_relu")
    with pytest.raises(UserError, match="forward pass"):
        channel_masks(model)
    with pytest.raises(UserError, match="zeta=-1"):
        channel_masks(model, -1.0)
