"""Plots a trial attaches as artifacts (matplotlib's object API, no global pyplot state)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from matplotlib.figure import Figure

_BAR_HEIGHT_IN = 0.35
_MIN_HEIGHT_IN = 2.5


def plot_layer_sparsity(per_layer: Mapping[str, float], path: Path, title: str = "") -> Path:
    """A horizontal bar chart of the sparsity of every prunable layer, written as PNG."""
    names = list(per_layer)
    height = max(_MIN_HEIGHT_IN, _BAR_HEIGHT_IN * len(names) + 1.0)
    figure = Figure(figsize=(6.0, height))
    axes = figure.add_subplot()
    axes.barh(names, [per_layer[n] for n in names], color="tab:blue")
    axes.invert_yaxis()
    axes.set_xlim(0.0, 1.0)
    axes.set_xlabel("sparsity (fraction of weights pruned)")
    axes.set_title(title or "per-layer sparsity")
    figure.tight_layout()
    figure.savefig(path, format="png", dpi=100)
    return path
