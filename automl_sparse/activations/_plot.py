"""Plots of activation shapes, before vs after training (one subplot per slot)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn

from automl_sparse.activations._adaptive import AdaptiveActivation
from automl_sparse.activations._slots import activation_slots

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def snapshot_activations(model: nn.Module) -> dict[str, nn.Module]:
    """Deep copies of the activation in every slot, by slot path (the "before" of a plot)."""
    return {path: copy.deepcopy(slot.fn) for path, slot in activation_slots(model).items()}


@torch.no_grad()
def activation_curves(
    module: nn.Module, x: torch.Tensor, max_curves: int = 4
) -> dict[str, torch.Tensor]:
    """``label -> y`` on the grid ``x``: one curve, or a few channels/elements plus their mean."""
    if isinstance(module, AdaptiveActivation) and module.has_uninitialized_params():
        return {}
    like = next(module.parameters(), x)
    y = module(_probe(module, x).to(device=like.device, dtype=like.dtype))
    y = y.float().cpu().reshape(len(x), -1)
    if y.shape[1] == 1:
        return {"": y[:, 0]}
    curves = {f"#{i}": y[:, i] for i in range(min(max_curves, y.shape[1]))}
    return {**curves, "mean": y.mean(dim=1)}


def _probe(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``x`` shaped so that every parameter set of ``module`` sees the whole grid."""
    if not isinstance(module, AdaptiveActivation) or module.sharing == "layer":
        return x.reshape(-1, 1)
    shape = module.set_shape
    return x.reshape(-1, *([1] * len(shape))).expand(-1, *shape)


def plot_activation_shapes(
    before: Mapping[str, nn.Module],
    after: Mapping[str, nn.Module],
    path: str | Path,
    *,
    x_range: tuple[float, float] = (-5.0, 5.0),
    num_points: int = 401,
    max_curves: int = 4,
) -> Path:
    """Write a PNG with one subplot per slot: the activation before (dashed) and after (solid).

    Per-channel or per-element activations show up to ``max_curves`` channels and their mean.
    Uses matplotlib's object API (Agg), never pyplot's global state. Returns the path.
    """
    from matplotlib.figure import Figure  # plotting is optional at import time

    slots = list(dict.fromkeys([*before, *after]))
    x = torch.linspace(*x_range, num_points)
    cols = min(3, max(1, len(slots)))
    rows = max(1, -(-len(slots) // cols))
    fig = Figure(figsize=(4 * cols, 3 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, slot in zip(axes, slots, strict=False):
        for style, modules in (("--", before), ("-", after)):
            _draw(ax, x, modules.get(slot), style, max_curves)
        ax.set_title(slot, fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6)
    for ax in axes[len(slots) :]:
        ax.set_visible(False)
    out = Path(path)
    fig.savefig(out, format="png", dpi=100)
    return out


def _draw(ax: Axes, x: torch.Tensor, module: nn.Module | None, style: str, max_curves: int) -> None:
    if module is None:
        return
    when = "before" if style == "--" else "after"
    curves = activation_curves(module, x, max_curves)
    if not curves:
        ax.plot([], [], style, label=f"{when}: uninitialised")
    for label, y in curves.items():
        ax.plot(x.numpy(), y.numpy(), style, lw=1, label=f"{when} {label}".strip())
