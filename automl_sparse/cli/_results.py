"""``automl-sparse dashboard | report | export | evaluate``: look at a study, ship a network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from automl_sparse.cli._app import StorageOption, _talks_to_people, app, console
from automl_sparse.config import resolve_storage
from automl_sparse.storage import open_storage, redact
from automl_sparse.study import load_study

OutOption = Annotated[Path, typer.Option("--out", help="Where to write.")]


@app.command("dashboard")
@_talks_to_people
def dashboard_command(
    name: Annotated[
        str | None, typer.Argument(help="The study's name (its page is printed).")
    ] = None,
    storage: StorageOption = None,
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8080,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind (loopback unless told otherwise).")
    ] = "127.0.0.1",
) -> None:
    """Serve optuna-dashboard on the study database, with the studies' plots as artifacts."""
    from automl_sparse.report._dashboard import Dashboard, dashboard_store, dashboard_url

    url = resolve_storage(storage, None, None)
    rdb = open_storage(url)
    page = dashboard_url(rdb, name, host, port)
    console.print(f"optuna-dashboard for {redact(url)} at {page} (Ctrl-C stops it)", soft_wrap=True)
    try:
        Dashboard(rdb, dashboard_store(rdb, name), host, port).serve()
    except KeyboardInterrupt:
        console.print("dashboard stopped")


@app.command("report")
@_talks_to_people
def report_command(
    name: Annotated[str, typer.Argument(help="The study's name.")],
    out: OutOption,
    storage: StorageOption = None,
) -> None:
    """Write an HTML report with PNG plots of the study's complete trials into --out DIR."""
    from automl_sparse.report import write_report

    path = write_report(load_study(name, resolve_storage(storage, None, None)), out)
    console.print(f"report written: {path}", soft_wrap=True)


@app.command("export")
@_talks_to_people
def export_command(
    name: Annotated[str, typer.Argument(help="The study's name.")],
    out: OutOption,
    trial: Annotated[str, typer.Option("--trial", help="A trial number, or 'best'.")] = "best",
    storage: StorageOption = None,
    onnx: Annotated[bool, typer.Option("--onnx", help="Also write OUT with suffix .onnx.")] = False,
) -> None:
    """Rebuild a trial's network (masks baked in, dead channels removed) and write it."""
    from automl_sparse.export import choose_trial, export_network, rebuild

    study = load_study(name, resolve_storage(storage, None, None))
    rebuilt = rebuild(study, choose_trial(study, trial))
    exported = export_network(rebuilt, name, out, onnx=onnx)
    meta = exported.metadata
    console.print(
        f"trial {meta['trial']} of {name!r}: sparsity {meta['sparsity']:.4f}, "
        f"{meta['nonzero_params']} non-zero parameters, {meta['flops']} FLOPs"
        + (", dead channels removed" if meta["shrunk"] else ""),
        soft_wrap=True,
    )
    for path in (exported.path, exported.metadata_path, exported.onnx_path):
        if path is not None:
            console.print(f"wrote {path}", soft_wrap=True)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "-" if value is None else str(value)


def evaluation_table(result: dict[str, Any]) -> Table:
    """Measured values beside the values the trial recorded."""
    table = Table(title=f"{result['file']} on {result['data']} (test split)")
    for column in ("metric", "measured", "recorded by the trial"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    recorded = result.get("recorded") or {}
    for key in ("test_accuracy", "sparsity", "params", "nonzero_params", "flops", "latency_ms"):
        table.add_row(key, _fmt(result[key]), _fmt(recorded.get(key)))
    return table


@app.command("evaluate")
@_talks_to_people
def evaluate_command(
    model: Annotated[Path, typer.Argument(help="A file written by 'automl-sparse export'.")],
    data: Annotated[str, typer.Option("--data", help="Data set name (its test split is used).")],
    root: Annotated[
        str | None, typer.Option("--root", help="Folder holding the data files.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Accuracy, sparsity, parameters, FLOPs and CPU latency of an exported network."""
    from automl_sparse.export import evaluate_exported

    result = evaluate_exported(model, data, root=root)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    console.print(evaluation_table(result))
