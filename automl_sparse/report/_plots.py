"""The report's plots, each a matplotlib :class:`Figure` (object API, no pyplot state)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import optuna
from matplotlib.figure import Figure
from optuna.trial import FrozenTrial

from automl_sparse.report._data import genes, metric, pareto_front

_ACCURACIES = (("val_accuracy", "tab:blue"), ("test_accuracy", "tab:orange"))
PARETO_PAIRS = (
    ("sparsity", "val_accuracy"),
    ("flops", "val_accuracy"),
    ("nonzero_params", "val_accuracy"),
    ("latency_ms", "val_accuracy"),
)


def message_figure(title: str, text: str) -> Figure:
    """A small figure that says why a plot is empty."""
    figure = Figure(figsize=(6.0, 1.6))
    figure.text(0.5, 0.65, title, ha="center", fontsize=12, weight="bold")
    figure.text(0.5, 0.3, text, ha="center", fontsize=10, wrap=True)
    return figure


def _best_so_far(values: Sequence[float], maximize: bool) -> list[float]:
    best: list[float] = []
    for v in values:
        best.append(v if not best else (max if maximize else min)(best[-1], v))
    return best


def history(study: optuna.Study, trials: Sequence[FrozenTrial], names: Sequence[str]) -> Figure:
    """Each objective's value by trial number, with the best so far."""
    figure = Figure(figsize=(7.0, 2.8 * len(names)))
    numbers = [t.number for t in trials]
    for i, (name, direction) in enumerate(zip(names, study.directions, strict=True)):
        axes = figure.add_subplot(len(names), 1, i + 1)
        values = [t.values[i] for t in trials]
        maximize = direction == optuna.study.StudyDirection.MAXIMIZE
        axes.scatter(numbers, values, s=18, label="trial")
        axes.step(numbers, _best_so_far(values, maximize), where="post", color="tab:red",
                  label="best so far")  # fmt: skip
        axes.set_xlabel("trial number")
        axes.set_ylabel(name)
        axes.legend(loc="best", fontsize=8)
    figure.suptitle("optimisation history")
    figure.tight_layout()
    return figure


def accuracy_against(trials: Sequence[FrozenTrial], x_key: str, x_label: str) -> Figure:
    """Validation and test accuracy of every complete trial against ``x_key``."""
    figure = Figure(figsize=(6.0, 4.0))
    axes = figure.add_subplot()
    for key, color in _ACCURACIES:
        points = [(metric(t, x_key), metric(t, key)) for t in trials]
        points = [(x, y) for x, y in points if x is not None and y is not None]
        if points:
            axes.scatter(*zip(*points, strict=True), s=20, color=color, label=key)
    axes.set_xlabel(x_label)
    axes.set_ylabel("accuracy")
    if x_key == "flops":
        axes.set_xscale("log")
    axes.legend(loc="best", fontsize=8)
    axes.set_title(f"accuracy against {x_label}")
    figure.tight_layout()
    return figure


def pareto_fronts(trials: Sequence[FrozenTrial], pairs: Sequence[tuple[str, str]]) -> Figure:
    """For each pair of metrics, every trial and the Pareto front in their natural directions."""
    figure = Figure(figsize=(10.0, 7.5))
    for i, (x_key, y_key) in enumerate(pairs):
        axes = figure.add_subplot(2, (len(pairs) + 1) // 2, i + 1)
        points = [(metric(t, x_key), metric(t, y_key)) for t in trials]
        points = [(x, y) for x, y in points if x is not None and y is not None]
        front = sorted(
            (metric(t, x_key), metric(t, y_key)) for t in pareto_front(trials, [x_key, y_key])
        )
        if points:
            axes.scatter(*zip(*points, strict=True), s=14, color="tab:gray", label="trials")
        if front:
            axes.plot(*zip(*front, strict=True), "o-", color="tab:red", label="Pareto front")
        axes.set_xlabel(x_key)
        axes.set_ylabel(y_key)
        axes.legend(loc="best", fontsize=7)
    figure.suptitle("Pareto fronts (natural direction of each metric)")
    figure.tight_layout()
    return figure


def importances(values: Mapping[str, float], target: str) -> Figure:
    """Parameter importances as horizontal bars, most important on top."""
    names = list(values)[::-1]
    figure = Figure(figsize=(6.0, max(2.5, 0.35 * len(names) + 1.2)))
    axes = figure.add_subplot()
    axes.barh(names, [values[n] for n in names], color="tab:green")
    axes.set_xlabel(f"importance for {target}")
    axes.set_title("parameter importances")
    figure.tight_layout()
    return figure


def activation_choices(trials: Sequence[FrozenTrial]) -> Figure:
    """A table coloured by activation: one row per trial (best first), one column per slot."""
    slots = list(dict.fromkeys(s for t in trials for s in genes(t)))
    names = sorted({genes(t).get(s, "-") for t in trials for s in slots})
    index = {n: i for i, n in enumerate(names)}
    grid = [[index[genes(t).get(s, "-")] for s in slots] for t in trials]
    figure = Figure(figsize=(1.6 * len(slots) + 2.0, 0.45 * len(trials) + 1.6))
    axes = figure.add_subplot()
    axes.imshow(grid, cmap="tab20", vmin=0, vmax=19, aspect="auto")
    for row, trial in enumerate(trials):
        for col, slot in enumerate(slots):
            axes.text(col, row, genes(trial).get(slot, "-"), ha="center", va="center", fontsize=8)
    axes.set_xticks(range(len(slots)), slots, rotation=20, fontsize=8)
    axes.set_yticks(range(len(trials)), [f"trial {t.number}" for t in trials], fontsize=8)
    axes.set_title("activation per layer, best trials first")
    figure.tight_layout()
    return figure


def layer_sparsity(per_layer: Mapping[str, float], title: str) -> Figure:
    """Sparsity of every prunable layer as horizontal bars."""
    names = list(per_layer)
    figure = Figure(figsize=(6.0, max(2.5, 0.35 * len(names) + 1.0)))
    axes = figure.add_subplot()
    axes.barh(names, [per_layer[n] for n in names], color="tab:blue")
    axes.invert_yaxis()
    axes.set_xlim(0.0, 1.0)
    axes.set_xlabel("sparsity (fraction of weights pruned)")
    axes.set_title(title)
    figure.tight_layout()
    return figure
