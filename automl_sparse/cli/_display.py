"""Rich output for the CLI: the progress bar of a running study and trial tables."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import optuna
from optuna.trial import TrialState
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from automl_sparse.study import trial_row
from automl_sparse.study._api import ProgressFn


@contextmanager
def study_progress(console: Console) -> Iterator[Callable[[str], ProgressFn]]:
    """Progress bars (trials done / budget, best so far, ETA): one per study, from a factory.

    A multi-phase study gets one bar per phase.
    """
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("best {task.fields[best]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:

        def bar_for(name: str) -> ProgressFn:
            task = progress.add_task(name, total=None, best="-")

            def update(done: int, total: int | None, best: str) -> None:
                progress.update(task, completed=done, total=total, best=best)

            return update

        yield bar_for


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "-" if value is None else str(value)


def _activations(row: dict[str, Any]) -> str:
    genes = row["activations"] or {}
    return ",".join(genes.values()) if genes else "-"


def trials_table(trials: Sequence[optuna.trial.FrozenTrial], title: str) -> Table:
    """A table of trials with their values and the metrics measured on the pruned network."""
    table = Table(title=title)
    for column in (
        "#",
        "state",
        "values",
        "val acc",
        "test acc",
        "sparsity",
        "params",
        "MFLOPs",
        "activations",
    ):
        table.add_column(column, justify="right" if column != "activations" else "left")
    for trial in trials:
        row = trial_row(trial)
        metrics = row["metrics"]
        flops = metrics.get("flops")
        table.add_row(
            str(row["number"]),
            row["state"],
            ", ".join(_fmt(v) for v in row["values"] or []) or "-",
            _fmt(metrics.get("val_accuracy")),
            _fmt(metrics.get("test_accuracy")),
            _fmt(metrics.get("sparsity")),
            _fmt(metrics.get("nonzero_params")),
            _fmt(flops / 1e6 if flops is not None else None),
            _activations(row),
        )
    return table


def states_table(study: optuna.Study) -> Table:
    """How many trials are in each state."""
    table = Table(title=f"study {study.study_name}: trials by state")
    table.add_column("state")
    table.add_column("trials", justify="right")
    trials = study.get_trials(deepcopy=False)
    for state in TrialState:
        count = sum(t.state == state for t in trials)
        if count:
            table.add_row(state.name, str(count))
    return table
