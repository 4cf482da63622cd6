"""The ``automl-sparse`` command line: short functions over the library."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Annotated

import optuna
import typer
from rich.console import Console

from automl_sparse._errors import UserError
from automl_sparse.cli._display import states_table, study_progress, trials_table
from automl_sparse.config import STORAGE_ENV, resolve_storage
from automl_sparse.storage import open_storage, redact
from automl_sparse.study import Interrupted, best_trials, launch, load_study, resume, trial_row

app = typer.Typer(
    help="AutoML search for sparse neural networks: activations x pruning x fine-tuning.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)

StorageOption = Annotated[
    str | None,
    typer.Option("--storage", help=f"SQLAlchemy URL of the study database (or ${STORAGE_ENV})."),
]
NTrialsOption = Annotated[
    int | None, typer.Option("--n-trials", help="Finished trials to reach (overrides the file).")
]


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
def launch_command(
    study_file: Annotated[Path, typer.Argument(help="The study file (study.yaml).")],
    storage: StorageOption = None,
    n_trials: NTrialsOption = None,
    executor: Annotated[
        str | None, typer.Option("--executor", help="Where trials run: inline or process.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Trials at the same time (process executor).")
    ] = None,
) -> None:
    """Start the study defined in STUDY_FILE and run its budget."""
    from automl_sparse.config import load_study_config

    config, url = load_study_config(study_file, storage=storage)  # for the name and URL only
    with study_progress(console, config.name) as progress:
        study = launch(
            study_file,
            storage=storage,
            n_trials=n_trials,
            executor=executor,
            workers=workers,
            log=_log,
            progress=progress,
        )
    _finish(study, url)


@app.command("resume")
def resume_command(
    name: Annotated[str, typer.Argument(help="The study's name.")],
    storage: StorageOption = None,
    n_trials: NTrialsOption = None,
) -> None:
    """Continue the study NAME from the database until its budget is spent."""
    url = resolve_storage(storage, None, None)
    with study_progress(console, name) as progress:
        study = resume(name, url, n_trials=n_trials, log=_log, progress=progress)
    _finish(study, url)


@app.command("status")
def status_command(
    name: Annotated[
        str | None, typer.Argument(help="The study's name (all studies if omitted).")
    ] = None,
    storage: StorageOption = None,
) -> None:
    """Trials by state and the best trial(s) of a study, or a list of the studies."""
    url = resolve_storage(storage, None, None)
    if name is None:
        for summary in optuna.get_all_study_summaries(open_storage(url), include_best_trial=False):
            console.print(f"{summary.study_name}: {summary.n_trials} trials")
        return
    study = load_study(name, url)
    console.print(states_table(study))
    best = best_trials(study)
    console.print(trials_table(best, "best trial" if len(best) == 1 else "Pareto front"))


@app.command("best")
def best_command(
    name: Annotated[str, typer.Argument(help="The study's name.")],
    storage: StorageOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """The best trial (or the Pareto front) with its parameters and metrics."""
    study = load_study(name, resolve_storage(storage, None, None))
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
    """Entry point: user errors are one line on stderr and exit code 2; Ctrl-C is 130."""
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        app(standalone_mode=False)
    except UserError as error:
        errors.print(f"error: {error}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
    except Interrupted:
        errors.print(
            "interrupted: running trials were marked and will re-run on "
            "'automl-sparse resume NAME --storage URL'"
        )
        sys.exit(130)
    except typer.Abort:
        sys.exit(130)
    except Exception as error:  # click usage errors come through standalone_mode=False
        import click

        if isinstance(error, click.ClickException):
            error.show()
            sys.exit(2)
        raise
