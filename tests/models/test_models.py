"""Every registered model: shapes, gradients, slots, activation swap, pruning, counting."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from automl_sparse._errors import UserError
from automl_sparse.activations import ActivationSlot, activation_slots, set_activations
from automl_sparse.models import create_model, list_models, set_skip_scale
from automl_sparse.models._registry import _REGISTRY
from automl_sparse.pruning import (
    count_flops,
    count_params,
    get_mask,
    keep_masks,
    load_state_with_masks,
    prunable_layers,
    prune,
    sparsity,
)

SMALL = {"lenet5": (1, 28), "efficientnet_b0": (3, 32)}
"""(in_channels, input size) of the tiny inputs; default (3, 32)."""


def build(name: str, **kwargs: object) -> tuple[nn.Module, torch.Tensor]:
    channels, size = SMALL.get(name, (3, 32))
    torch.manual_seed(0)
    model = create_model(name, in_channels=channels, input_size=size, **kwargs)
    return model, torch.randn(2, channels, size, size)


@pytest.mark.parametrize("name", list_models())
def test_forward_backward(name: str) -> None:
    model, x = build(name, num_classes=7)
    out = model(x)
    assert out.shape == (2, 7)
    out.logsumexp(1).sum().backward()
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("name", list_models())
def test_slot_paths_are_module_paths(name: str) -> None:
    asked: list[str] = []

    def factory(path: str) -> nn.Module:
        asked.append(path)
        return nn.ReLU()

    channels, size = SMALL.get(name, (3, 32))
    model = _REGISTRY[name](factory, num_classes=10, in_channels=channels, input_size=size)
    slots = activation_slots(model)
    assert asked == list(slots)
    assert all(isinstance(s.fn, nn.ReLU) for s in slots.values())


@pytest.mark.parametrize("name", list_models())
def test_activation_swap(name: str) -> None:
    model, x = build(name)
    model.eval()
    before = model(x)
    set_activations(model, "silu")
    assert all(isinstance(s.fn, nn.SiLU) for s in activation_slots(model).values())
    after = model(x)
    assert after.shape == before.shape and torch.isfinite(after).all()


@pytest.mark.parametrize("name", list_models())
def test_pruned_mask_holds_through_steps(name: str) -> None:
    model, x = build(name)
    report = prune(model, "magnitude", 0.9)
    assert report.achieved == pytest.approx(0.9, abs=1e-3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    keep_masks(optimizer, model)
    y = torch.tensor([0, 1])
    for _ in range(3):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    for layer in prunable_layers(model).values():
        assert (layer.weight[get_mask(layer) == 0] == 0).all()
    assert sparsity(model) == pytest.approx(report.achieved)


def _thop_counts(model: nn.Module, x: torch.Tensor) -> tuple[float, float]:
    """thop's MACs of conv and linear layers only (every other leaf counts 0) and params."""
    thop = pytest.importorskip("thop")

    def nothing(module: nn.Module, inputs: object, output: object) -> None:
        module.total_ops += torch.zeros(1, dtype=torch.float64)  # type: ignore[operator]

    leaves = {type(m) for m in model.modules() if not list(m.children())}
    custom = {t: nothing for t in leaves if not issubclass(t, nn.Conv2d | nn.Linear)}
    macs, params = thop.profile(model, inputs=(x,), custom_ops=custom, verbose=False)
    return float(macs), float(params)


@pytest.mark.parametrize("name", list_models())
def test_counts_agree_with_thop(name: str) -> None:
    model, x = build(name)
    macs, params = _thop_counts(model, x[:1])
    assert count_flops(model, x.shape[1:]) == pytest.approx(2 * macs, rel=0.01)
    assert count_params(model) == pytest.approx(params, rel=0.01)


def test_lenet5_dense_parameters() -> None:
    assert count_params(create_model("lenet5")) == 44_426


@pytest.mark.parametrize(
    ("name", "params"),
    [("resnet20", 269_722), ("resnet56", 853_018), ("resnet18", 11_173_962)],
)
def test_resnet_parameters(name: str, params: int) -> None:
    assert count_params(create_model(name, in_channels=3, input_size=32)) == params


@pytest.mark.parametrize("name", ["resnet18", "resnet20"])
def test_resnet_activation_after_addition(name: str) -> None:
    model, _ = build(name)
    block = model.layer2[0]
    assert not any(isinstance(m, ActivationSlot) for m in block.shortcut.modules())
    x = torch.randn(2, block.conv1.in_channels, 8, 8)
    seen: list[torch.Tensor] = []
    block.act2.register_forward_hook(lambda _m, inputs, _o: seen.append(inputs[0]))
    block.eval()
    block(x)
    want = block.bn2(block.conv2(block.act1(block.bn1(block.conv1(x))))) + block.shortcut(x)
    torch.testing.assert_close(seen[0], want)


def test_extra_skips_are_dense_and_decay() -> None:
    model, x = build("resnet20", extra_skips=True)
    block = model.layer1[0]
    assert (block.skip1[0].weight == 1e-4).all()
    prune(model, "magnitude", 0.9)
    assert get_mask(block.skip1[0]) is None and get_mask(block.conv1) is not None
    model.eval()
    with_skips = model(x)
    set_skip_scale(model, 0.0)
    without = model(x)
    plain = create_model("resnet20", in_channels=3, input_size=32)
    load_state_with_masks(plain, {k: v for k, v in model.state_dict().items() if "skip" not in k})
    torch.testing.assert_close(without, plain.eval()(x))
    assert not torch.allclose(with_skips, without)


def test_efficientnet_silus_become_slots() -> None:
    model = create_model("efficientnet_b0", in_channels=1, input_size=32)
    assert model(torch.randn(2, 1, 32, 32)).shape == (2, 10)
    assert not any(isinstance(m, nn.SiLU) for m in model.modules())  # all slots hold ReLUs now
    assert len(activation_slots(model)) == 49  # stem, 16 blocks (SE included), head


def test_unknown_options_are_rejected() -> None:
    with pytest.raises(UserError, match="extra_skips"):
        create_model("resnet20", in_channels=3, input_size=32, bottleneck=True)
    with pytest.raises(UserError, match="vgg11 takes no options"):
        create_model("vgg11", in_channels=3, input_size=32, depth=3)
