"""Masks: exact sparsity, kept through optimizers, saved and restored, never inferred."""

from __future__ import annotations

import copy
import io
from collections.abc import Callable

import pytest
import torch
from torch import nn

from automl_sparse._errors import UserError
from automl_sparse.models import create_model
from automl_sparse.pruning import (
    count_params,
    exempt_from_pruning,
    get_mask,
    keep_masks,
    list_pruning_methods,
    load_state_with_masks,
    prunable_layers,
    prune,
    pruning_method_needs_data,
    remove_masks,
    sparsity,
)

METHOD_KWARGS = {"synflow": {"input_shape": (1, 16, 16), "rounds": 5}, "random": {"seed": 3}}


@pytest.mark.parametrize("method", list_pruning_methods())
@pytest.mark.parametrize("target", [0.5, 0.9, 0.99])
def test_layer_scope_is_exact_per_layer(lenet: nn.Module, batches: list, method: str,
                                        target: float) -> None:  # fmt: skip
    prune(lenet, method, target, scope="layer", data=batches, **METHOD_KWARGS.get(method, {}))
    for layer in prunable_layers(lenet).values():
        pruned = int((get_mask(layer) == 0).sum())
        assert abs(pruned - target * layer.weight.numel()) <= 1


@pytest.mark.parametrize("method", list_pruning_methods())
def test_global_scope_is_exact_overall(lenet: nn.Module, batches: list, method: str) -> None:
    prune(lenet, method, 0.95, scope="global", data=batches, **METHOD_KWARGS.get(method, {}))
    total = sum(m.weight.numel() for m in prunable_layers(lenet).values())
    assert abs(sparsity(lenet) * total - 0.95 * total) <= 1


def test_data_methods_say_they_need_data(lenet: nn.Module) -> None:
    needing = [m for m in list_pruning_methods() if pruning_method_needs_data(m)]
    assert needing == ["grasp", "snip", "taylor"]
    for method in needing:
        with pytest.raises(UserError, match="pass data="):
            prune(lenet, method, 0.5)
    with pytest.raises(UserError, match="input_shape"):
        prune(lenet, "synflow", 0.5)


def test_pruning_is_cumulative(lenet: nn.Module) -> None:
    prune(lenet, "random", 0.5, seed=1)
    first = {n: get_mask(m).clone() for n, m in prunable_layers(lenet).items()}
    prune(lenet, "random", 0.8, seed=2)
    for name, layer in prunable_layers(lenet).items():
        assert (get_mask(layer)[first[name] == 0] == 0).all()
    assert sparsity(lenet) == pytest.approx(0.8, abs=1e-3)


def _train(model: nn.Module, optimizer: torch.optim.Optimizer, steps: int) -> None:
    keep_masks(optimizer, model)
    gen = torch.Generator().manual_seed(0)
    for _ in range(steps):
        x, y = torch.randn(16, 1, 16, 16, generator=gen), torch.randint(10, (16,), generator=gen)
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()


OPTIMIZERS: dict[str, Callable[[nn.Module], torch.optim.Optimizer]] = {
    "sgd-momentum-wd": lambda m: torch.optim.SGD(
        m.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4
    ),
    "adamw": lambda m: torch.optim.AdamW(m.parameters(), lr=1e-2, weight_decay=1e-2),
}


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_masked_weights_stay_zero_for_100_steps(lenet: nn.Module, optimizer: str) -> None:
    prune(lenet, "magnitude", 0.9)
    before = {n: m.weight.detach().clone() for n, m in prunable_layers(lenet).items()}
    _train(lenet, OPTIMIZERS[optimizer](lenet), 100)
    for name, layer in prunable_layers(lenet).items():
        mask = get_mask(layer)
        assert (layer.weight[mask == 0] == 0).all()
        assert not torch.equal(layer.weight[mask == 1], before[name][mask == 1])
    assert sparsity(lenet) == pytest.approx(0.9, abs=1e-3)


def test_masks_survive_a_copy(lenet: nn.Module) -> None:
    prune(lenet, "magnitude", 0.9)
    copied = copy.deepcopy(lenet)
    optimizer = torch.optim.SGD(copied.parameters(), lr=0.1, momentum=0.9)
    _train(copied, optimizer, 3)
    for layer in prunable_layers(copied).values():
        assert (layer.weight.grad[get_mask(layer) == 0] == 0).all()
        assert (layer.weight[get_mask(layer) == 0] == 0).all()


def test_checkpoint_round_trip_keeps_masks(lenet: nn.Module) -> None:
    prune(lenet, "magnitude", 0.9, scope="global")
    _train(lenet, torch.optim.SGD(lenet.parameters(), lr=0.05, momentum=0.9), 5)
    buffer = io.BytesIO()
    torch.save(lenet.state_dict(), buffer)
    buffer.seek(0)
    fresh = create_model("lenet5", input_size=16)
    load_state_with_masks(fresh, torch.load(buffer, weights_only=True))
    for (name, old), new in zip(prunable_layers(lenet).items(), prunable_layers(fresh).values(),
                                strict=True):  # fmt: skip
        assert torch.equal(get_mask(old), get_mask(new)), name
        assert torch.equal(old.weight, new.weight)
    _train(fresh, torch.optim.AdamW(fresh.parameters(), lr=1e-2), 5)
    for layer in prunable_layers(fresh).values():
        assert (layer.weight[get_mask(layer) == 0] == 0).all()


def test_masks_are_never_inferred_from_zeros() -> None:
    model = create_model("lenet5", input_size=16)
    with torch.no_grad():
        model.classifier.fc3.weight[:, :5] = 0
    fresh = create_model("lenet5", input_size=16)
    load_state_with_masks(fresh, model.state_dict())
    assert all(get_mask(m) is None for m in prunable_layers(fresh).values())
    assert sparsity(fresh) == 0.0


def test_bias_and_norms_are_not_pruned() -> None:
    torch.manual_seed(0)
    model = create_model("resnet20", in_channels=3, input_size=32)
    dense = count_params(model)
    prune(model, "magnitude", 0.9)
    layers = prunable_layers(model).values()
    assert count_params(model) == dense - sum(round(0.9 * m.weight.numel()) for m in layers)
    assert all(get_mask(m) is None for m in model.modules() if isinstance(m, nn.BatchNorm2d))
    assert all(m.weight.ne(0).all() for m in model.modules() if isinstance(m, nn.BatchNorm2d))


def test_exempt_layers_stay_dense(lenet: nn.Module) -> None:
    exempt_from_pruning(lenet.classifier.fc3)
    prune(lenet, "magnitude", 0.9)
    assert get_mask(lenet.classifier.fc3) is None
    assert "classifier.fc3" not in prunable_layers(lenet)


def test_remove_masks_bakes_and_trains(lenet: nn.Module) -> None:
    prune(lenet, "magnitude", 0.5)
    remove_masks(lenet)
    assert all(get_mask(m) is None for m in prunable_layers(lenet).values())
    _train(lenet, torch.optim.SGD(lenet.parameters(), lr=0.1), 2)  # grad hooks tolerate it


def test_bad_arguments_name_the_value(lenet: nn.Module) -> None:
    with pytest.raises(UserError, match=r"sparsity_target=1\.0"):
        prune(lenet, "magnitude", 1.0)
    with pytest.raises(UserError, match="unknown pruning method 'obd'"):
        prune(lenet, "obd", 0.5)
    with pytest.raises(UserError, match="unknown pruning scope"):
        prune(lenet, "magnitude", 0.5, scope="block")  # type: ignore[arg-type]
