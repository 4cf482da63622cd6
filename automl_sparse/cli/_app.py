"""The ``automl-sparse`` command line: short functions over the library."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import optuna
import typer
from rich.console import Console

from automl_sparse._errors import UserError
from automl_sparse.cli._display import states_table, study_progress, trials_table
from automl_sparse.config import STORAGE_ENV, resolve_storage
from automl_sparse.storage import open_storage, quiet_optuna, redact
from automl_sparse.study import (
    Interrupted,
    best_trials,
    create,
    load_study,
    phase_studies,
    reopen,
    trial_row,
)

_PIPE_WIDTH = 120
app = typer.Typer(
    help="AutoML search for sparse neural networks: activations x pruning x fine-tuning.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(width=None if sys.stdout.isatty() else _PIPE_WIDTH)
errors = Console(stderr=True)

StorageOption = Annotated[
    str | None,
    typer.Option("--storage", help=f"SQLAlchemy URL of the study database (or ${STORAGE_ENV})."),
]
NTrialsOption = Annotated[
    int | None, typer.Option("--n-trials", help="Finished trials to reach (overrides the file).")
]


F = TypeVar("F", bound=Callable[..., Any])
EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130


def _talks_to_people(command: F) -> F:
    """User errors become one line on stderr and exit code 2; Ctrl-C exits with 130."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        quiet_optuna()
        try:
            return command(*args, **kwargs)
        except UserError as error:
            errors.print(f"error: {error}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(EXIT_USER_ERROR) from None
        except (Interrupted, KeyboardInterrupt):
            errors.print(
                "interrupted: running trials were marked and re-run on "
                "'automl-sparse resume NAME --storage URL'"
            )
            raise typer.Exit(EXIT_INTERRUPTED) from None

    return wrapper  # type: ignore[return-value]


def _log(message: str) -> None:
    console.print(f"[dim]{message}[/dim]")


def _finish(study: optuna.Study, url: str) -> None:
    best = best_trials(study)
    if best:
        console.print(trials_table(best, "best trial" if len(best) == 1 else "Pareto front"))
    console.print(
        f"study {study.study_name!r} done; see it with: automl-sparse status "
        f"{study.study_name} --storage {redact(url)}"
    )


@app.command("launch")
@_talks_to_people
def launch_command(
    study_file: Annotated[Path, typer.Argument(help="The study file (study.yaml).")],
    storage: StorageOption = None,
    n_trials: NTrialsOption = None,
    executor: Annotated[
        str | None, typer.Option("--executor", help="Where trials run: inline, process or ray.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Trials at the same time.")
    ] = None,
    address: Annotated[
        str | None,
        typer.Option("--address", help="Ray cluster to join (auto or host:port); ray executor."),
    ] = None,
) -> None:
    """Start the study defined in STUDY_FILE and run its budget."""
    prepared = create(
        study_file,
        storage=storage,
        n_trials=n_trials,
        executor=executor,
        workers=workers,
        address=address,
    )
    with study_progress(console) as bars:
        study = prepared.run(log=_log, progress_for=bars)
    _finish(study, prepared.url)


@app.command("resume")
@_talks_to_people
def resume_command(
    name: Annotated[str, typer.Argument(help="The study's name.")],
    storage: StorageOption = None,
    n_trials: NTrialsOption = None,
) -> None:
    """Continue the study NAME from the database until its budget is spent."""
    prepared = reopen(name, resolve_storage(storage, None, None), n_trials=n_trials)
    with study_progress(console) as bars:
        study = prepared.run(log=_log, progress_for=bars)
    _finish(study, prepared.url)


@app.command("status")
@_talks_to_people
def status_command(
    name: Annotated[
        str | None, typer.Argument(help="The study's name (all studies if omitted).")
    ] = None,
    storage: StorageOption = None,
) -> None:
    """Trials by state and the best trial(s) of a study (each phase of a multi-phase one)."""
    url = resolve_storage(storage, None, None)
    if name is None:
        for summary in optuna.get_all_study_summaries(open_storage(url), include_best_trial=False):
            console.print(f"{summary.study_name}: {summary.n_trials} trials")
        return
    for study_name in phase_studies(name, url) or [name]:
        study = load_study(study_name, url)
        console.print(states_table(study))
        best = best_trials(study)
        console.print(trials_table(best, "best trial" if len(best) == 1 else "Pareto front"))


@app.command("best")
@_talks_to_people
def best_command(
    name: Annotated[str, typer.Argument(help="The study's name.")],
    storage: StorageOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """The best trial (or the Pareto front) with its parameters and metrics (last phase)."""
    url = resolve_storage(storage, None, None)
    study = load_study((phase_studies(name, url) or [name])[-1], url)
    best = best_trials(study)
    if not best:
        raise UserError(f"study {name!r} has no complete trial yet")
    if as_json:
        typer.echo(json.dumps([trial_row(t) for t in best], indent=2))
        return
    console.print(trials_table(best, "best trial" if len(best) == 1 else "Pareto front"))
    for trial in best:
        console.print(f"trial {trial.number} parameters: {trial_row(trial)['params']}")


def main() -> None:
    """The ``automl-sparse`` entry point."""
    app()
