"""Pruning scores (importance criteria): small callables, the lowest score is pruned.

ToST (Jaiswal et al., ICML 2022, https://arxiv.org/abs/2206.12755) trains sparse networks
from the masks of these criteria; ../shared/METHODS.md section 2 gives the formulas.
Data-dependent scores read ``data``, an iterable of ``(x, y)`` batches (``max_batches`` caps
how many), with ``loss_fn`` (cross-entropy by default). Scoring leaves the model's weights,
gradients and buffers (BatchNorm statistics) as they were.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from automl_sparse._errors import UserError
from automl_sparse.pruning._prune import register_scorer

Layers = dict[str, nn.Module]
Scores = dict[str, torch.Tensor]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
GRASP_TEMPERATURE = 200.0
"""GraSP divides the logits by this temperature before the loss."""


def batches_of(data: Any, method: str, max_batches: int | None = None) -> list[Any]:
    """The ``(x, y)`` batches of ``data`` (at most ``max_batches``), or a clear error."""
    if data is None:
        raise UserError(
            f"pruning method {method!r} scores weights from data: "
            "pass data=<iterable of (x, y) batches>"
        )
    found = list(itertools.islice(iter(data), max_batches))
    if not found:
        raise UserError(f"pruning method {method!r} got no batches in data")
    return found


@contextlib.contextmanager
def _buffers_kept(model: nn.Module) -> Iterator[None]:
    """Restore every buffer (e.g. BatchNorm statistics) that scoring passes change."""
    saved = {name: b.clone() for name, b in model.named_buffers()}
    try:
        yield
    finally:
        with torch.no_grad():
            for name, b in model.named_buffers():
                if name in saved:
                    b.copy_(saved[name])


def _to(batch: Sequence[torch.Tensor], model: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    device = next(model.parameters()).device
    x, y = batch[0], batch[1]
    return x.to(device), y.to(device)


def _grads(
    model: nn.Module,
    layers: Layers,
    batch: Sequence[torch.Tensor],
    loss_fn: LossFn,
    *,
    temperature: float = 1.0,
    create_graph: bool = False,
) -> tuple[torch.Tensor, ...]:
    """dL/dw of every layer's weight on one batch (logits divided by ``temperature``)."""
    x, y = _to(batch, model)
    loss = loss_fn(model(x) / temperature, y)
    weights = [m.weight for m in layers.values()]
    return torch.autograd.grad(loss, weights, create_graph=create_graph)


def _summed_grads(
    model: nn.Module, layers: Layers, batches: Iterable[Any], loss_fn: LossFn, **kw: Any
) -> list[torch.Tensor]:
    total = [torch.zeros_like(m.weight) for m in layers.values()]
    for batch in batches:
        for acc, g in zip(total, _grads(model, layers, batch, loss_fn, **kw), strict=True):
            acc.add_(g.detach())
    return total


@register_scorer("random")
def random_scores(
    model: nn.Module, layers: Layers, data: Any = None, *, seed: int | None = None, **_: Any
) -> Scores:
    """s ~ N(0, 1): random pruning (seeded by ``seed``, else by torch's global RNG)."""
    gen = torch.Generator()
    gen.manual_seed(seed if seed is not None else int(torch.randint(2**62, (1,))))
    return {name: torch.randn(m.weight.shape, generator=gen) for name, m in layers.items()}


@register_scorer("magnitude")
def magnitude_scores(model: nn.Module, layers: Layers, data: Any = None, **_: Any) -> Scores:
    """|w|: one-shot magnitude pruning (OMP; LWM of SAFS with ``scope="layer"``)."""
    return {name: m.weight.detach().abs() for name, m in layers.items()}


@register_scorer("taylor", needs_data=True)
def taylor_scores(
    model: nn.Module,
    layers: Layers,
    data: Any = None,
    *,
    loss_fn: LossFn = F.cross_entropy,
    max_batches: int | None = None,
    method: str = "taylor",
    **_: Any,
) -> Scores:
    """First-order Taylor importance |w * dL/dw|, summed over batches (Molchanov et al. 2019,
    https://arxiv.org/abs/1906.10771)."""
    scores = {name: torch.zeros_like(m.weight) for name, m in layers.items()}
    with _buffers_kept(model):
        for batch in batches_of(data, method, max_batches):
            grads = _grads(model, layers, batch, loss_fn)
            for (name, m), g in zip(layers.items(), grads, strict=True):
                scores[name] += (m.weight.detach() * g).abs()
    return scores


@register_scorer("snip", needs_data=True)
def snip_scores(
    model: nn.Module,
    layers: Layers,
    data: Any = None,
    *,
    loss_fn: LossFn = F.cross_entropy,
    max_batches: int | None = None,
    method: str = "snip",
    **_: Any,
) -> Scores:
    """SNIP connection sensitivity |dL/dm| at m = 1, i.e. |w * g|, normalised by its total
    (Lee et al., ICLR 2019, https://arxiv.org/abs/1810.02340); g is summed over batches."""
    with _buffers_kept(model):
        grads = _summed_grads(model, layers, batches_of(data, method, max_batches), loss_fn)
    raw = [(m.weight.detach() * g).abs() for m, g in zip(layers.values(), grads, strict=True)]
    total = sum(float(r.sum()) for r in raw) or 1.0
    return {name: r / total for name, r in zip(layers, raw, strict=True)}


@register_scorer("grasp", needs_data=True)
def grasp_scores(
    model: nn.Module,
    layers: Layers,
    data: Any = None,
    *,
    loss_fn: LossFn = F.cross_entropy,
    max_batches: int | None = None,
    temperature: float = GRASP_TEMPERATURE,
    method: str = "grasp",
    **_: Any,
) -> Scores:
    """GraSP, gradient signal preservation: s = (H g) * w with logits / 200, g the summed
    gradient; the lowest are pruned (Wang et al., ICLR 2020, https://arxiv.org/abs/2002.07376)."""
    found = batches_of(data, method, max_batches)
    weights = [m.weight for m in layers.values()]
    with _buffers_kept(model):
        g = _summed_grads(model, layers, found, loss_fn, temperature=temperature)
        hg = [torch.zeros_like(w) for w in weights]
        for batch in found:
            grads = _grads(
                model, layers, batch, loss_fn, temperature=temperature, create_graph=True
            )
            z = sum((gi * ci).sum() for gi, ci in zip(grads, g, strict=True))
            for acc, h in zip(hg, torch.autograd.grad(z, weights), strict=True):
                acc.add_(h)
    return {name: (h * w.detach()) for name, h, w in zip(layers, hg, weights, strict=True)}
