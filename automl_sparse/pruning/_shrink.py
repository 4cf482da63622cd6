"""Physically remove dead channels: a smaller network that computes the same function.

A channel is dead when the per-channel ``slope`` of its activation is 0 (see
:mod:`automl_sparse.pruning._channels`). For every activation slot with dead channels,
:func:`shrink` follows the traced graph (``torch.fx``) and removes the channel when the chain
is ``Conv2d | Linear -> [BatchNorm] -> slot -> [pool | dropout | flatten] -> Conv2d | Linear``
with nothing else reading the tensors in between: the producer's filters (and bias), the
BatchNorm entries, the slot's slopes and the consumer's input channels (input features after a
flatten). Anything else is left alone, so residual networks shrink only inside a block (the
first convolution of a basic block), never at an addition; grouped and depthwise convolutions,
HYDRA scored layers and modules called twice are not shrunk. Masks attached to the layers are
sliced alongside.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import fx, nn
from torch.fx.passes.shape_prop import ShapeProp

from automl_sparse._errors import UserError
from automl_sparse.activations import ActivationSlot
from automl_sparse.pruning._channels import channel_masks, kill_channels
from automl_sparse.pruning._masks import MASK, attach_mask

_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d)
_PASS_CHANNELS = (
    nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d,
    nn.Dropout, nn.Dropout2d, nn.Identity,
)  # fmt: skip


class _Tracer(fx.Tracer):
    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return isinstance(m, ActivationSlot) or super().is_leaf_module(m, qualname)


@dataclass
class _Plan:
    """Kept indices: output channels of producers, input channels of consumers, and so on."""

    outputs: dict[str, torch.Tensor] = field(default_factory=dict)
    inputs: dict[str, tuple[torch.Tensor, int]] = field(default_factory=dict)
    norms: dict[str, torch.Tensor] = field(default_factory=dict)
    slots: dict[str, torch.Tensor] = field(default_factory=dict)


def _trace(model: nn.Module, input_shape: Sequence[int]) -> fx.GraphModule:
    try:
        graph = _Tracer().trace(model)
    except Exception as e:  # torch.fx raises many kinds of errors for untraceable code
        raise UserError(f"shrink cannot trace {type(model).__name__}: {e}") from e
    gm = fx.GraphModule(model, graph)
    device = next(model.parameters()).device
    ShapeProp(gm).propagate(torch.zeros(1, *input_shape, device=device))
    return gm


def _module(gm: fx.GraphModule, node: fx.Node) -> nn.Module | None:
    return gm.get_submodule(str(node.target)) if node.op == "call_module" else None


def _dense_layer(module: nn.Module | None) -> bool:
    """A plain Linear or ungrouped Conv2d (not a subclass such as a HYDRA scored layer)."""
    return type(module) is nn.Linear or (type(module) is nn.Conv2d and module.groups == 1)


def _only_user(node: fx.Node) -> bool:
    return len(node.users) == 1


def _producer(gm: fx.GraphModule, slot: fx.Node) -> tuple[str, list[str]] | None:
    """The conv or linear feeding ``slot`` (through BatchNorm only) and the norms between."""
    norms: list[str] = []
    node = slot.args[0]
    while isinstance(node, fx.Node) and isinstance(_module(gm, node), _NORMS):
        if not _only_user(node):
            return None
        norms.append(str(node.target))
        node = node.args[0]
    if not isinstance(node, fx.Node) or not _only_user(node):
        return None
    if _dense_layer(_module(gm, node)):
        return str(node.target), norms
    return None


def _is_flatten(gm: fx.GraphModule, node: fx.Node) -> bool:
    if isinstance(_module(gm, node), nn.Flatten):
        return _module(gm, node).start_dim == 1  # type: ignore[union-attr]
    return node.op == "call_function" and node.target is torch.flatten and node.args[1:] == (1,)


def _consumers(gm: fx.GraphModule, slot: fx.Node) -> list[tuple[str, int]] | None:
    """The convs and linears reading the slot's channels, with features per channel."""
    found: list[tuple[str, int]] = []
    frontier = [(slot, 1)]
    while frontier:
        node, per_channel = frontier.pop()
        for user in node.users:
            step = _follow(gm, node, user, per_channel)
            if step is None:
                return None
            if isinstance(step, str):
                found.append((step, per_channel))
            else:
                frontier.append((user, step))
    return found


def _follow(gm: fx.GraphModule, node: fx.Node, user: fx.Node, per_channel: int) -> str | int | None:
    """A consumer's name, features per channel to follow further, or None to give up."""
    module = _module(gm, user)
    if user.args[:1] != (node,) or (module is not None and len(user.args) > 1):
        return None
    if _dense_layer(module):
        return str(user.target)
    if isinstance(module, _PASS_CHANNELS):
        return per_channel
    if per_channel == 1 and _is_flatten(gm, user):
        shape = node.meta["tensor_meta"].shape
        return int(torch.Size(shape[2:]).numel())
    return None


def _plan(gm: fx.GraphModule, alive: dict[str, torch.Tensor]) -> _Plan:
    plan = _Plan()
    calls: dict[str, int] = {}
    for node in gm.graph.nodes:
        if node.op == "call_module":
            calls[str(node.target)] = calls.get(str(node.target), 0) + 1
    for node in gm.graph.nodes:
        keep = alive.get(str(node.target)) if node.op == "call_module" else None
        if keep is None or bool(keep.all()):
            continue
        producer, consumers = _producer(gm, node), _consumers(gm, node)
        if producer is None or not consumers:
            continue
        names = [producer[0], *producer[1], str(node.target), *(c for c, _ in consumers)]
        if any(calls[n] != 1 for n in names):
            continue
        index = keep.nonzero().flatten() if keep.any() else torch.zeros(1, dtype=torch.long)
        plan.outputs[producer[0]] = index
        plan.norms.update(dict.fromkeys(producer[1], index))
        plan.slots[str(node.target)] = index
        plan.inputs.update({c: (index, per) for c, per in consumers})
    return plan


def _features(index: torch.Tensor, per_channel: int) -> torch.Tensor:
    offsets = torch.arange(per_channel, device=index.device)
    return (index[:, None] * per_channel + offsets).flatten()


def _param(old: nn.Parameter, value: torch.Tensor) -> nn.Parameter:
    return nn.Parameter(value.clone(), requires_grad=old.requires_grad)


@torch.no_grad()
def _resize_layer(layer: nn.Module, out: torch.Tensor | None, inp: torch.Tensor | None) -> None:
    mask = layer._buffers.pop(MASK, None)
    weight = layer.weight.detach()
    if out is not None:
        weight, mask = weight[out], None if mask is None else mask[out]
        if layer.bias is not None:
            layer.bias = _param(layer.bias, layer.bias[out])
    if inp is not None:
        weight, mask = weight[:, inp], None if mask is None else mask[:, inp]
    layer.weight = _param(layer.weight, weight)
    size_names = ("out_channels", "in_channels")
    if isinstance(layer, nn.Linear):
        size_names = ("out_features", "in_features")
    setattr(layer, size_names[0], weight.shape[0])
    setattr(layer, size_names[1], weight.shape[1])
    if mask is not None:
        attach_mask(layer, mask)


@torch.no_grad()
def _resize_channels(module: nn.Module, index: torch.Tensor, channels: int) -> None:
    """Slice every parameter and buffer of ``module`` whose first dim has ``channels`` entries."""
    for name, p in list(module.named_parameters(recurse=False)):
        if p.dim() >= 1 and p.shape[0] == channels:
            setattr(module, name, _param(p, p[index]))
    for name, b in list(module.named_buffers(recurse=False)):
        if b is not None and b.dim() >= 1 and b.shape[0] == channels:
            module._buffers[name] = b[index].clone()
    if isinstance(module, _NORMS):
        module.num_features = len(index)


def _apply(model: nn.Module, plan: _Plan, alive: dict[str, torch.Tensor]) -> None:
    for name in plan.outputs.keys() | plan.inputs.keys():
        inp = plan.inputs.get(name)
        features = None if inp is None else _features(*inp)
        _resize_layer(model.get_submodule(name), plan.outputs.get(name), features)
    for name, index in plan.norms.items():
        norm = model.get_submodule(name)
        _resize_channels(norm, index, norm.num_features)
    for name, index in plan.slots.items():
        _resize_channels(model.get_submodule(name).fn, index, len(alive[name]))


def shrink(
    model: nn.Module, input_shape: Sequence[int], *, zeta: float = 0.0, check: bool = True
) -> nn.Module:
    """A copy of ``model`` without its dead channels (slope ``|a| <= zeta``).

    ``input_shape`` is one input's (C, H, W), for tracing. Channels with ``0 < |a| <= zeta``
    are killed first, so with ``zeta > 0`` the copy equals the original after
    :func:`~automl_sparse.pruning.kill_channels`. With ``check`` the copy's outputs are compared
    with the unshrunk network's on a random input (in eval mode). See the module docstring for
    which channels can go; the others stay (dead, but present).
    """
    small = copy.deepcopy(model)
    kill_channels(small, zeta)
    alive = channel_masks(small, zeta)
    reference = copy.deepcopy(small) if check else None
    was_training = small.training
    small.eval()
    _apply(small, _plan(_trace(small, input_shape), alive), alive)
    if reference is not None:
        _check_same(reference, small, input_shape)
    return small.train(was_training)


@torch.no_grad()
def _check_same(reference: nn.Module, small: nn.Module, input_shape: Sequence[int]) -> None:
    device = next(small.parameters()).device
    x = torch.randn(2, *input_shape, device=device)
    want, got = reference.eval()(x), small.eval()(x)
    tolerance = 1e-5 * max(1.0, float(want.abs().max()))
    if want.shape != got.shape or not torch.allclose(want, got, rtol=1e-4, atol=tolerance):
        raise RuntimeError("shrink changed the network's outputs; please report this model")
