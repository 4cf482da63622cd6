"""``write_report(study, out_dir)``: an HTML page with PNG plots beside it, for any study state."""

from __future__ import annotations

import contextlib
import html
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import optuna
from matplotlib.figure import Figure
from optuna.artifacts import download_artifact, get_all_artifact_meta
from optuna.trial import FrozenTrial

from automl_sparse._errors import UserError
from automl_sparse.config import StudyConfig
from automl_sparse.report import _plots
from automl_sparse.report._data import BEST_K, best_network, complete_trials, ranked
from automl_sparse.storage import artifact_store, keys
from automl_sparse.study import stored_config, trial_row

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SHAPES_ARTIFACT = "activation_shapes.png"
_DPI = 100


@dataclass
class Section:
    """One part of the report: a title, a caption, and the PNG files it shows."""

    key: str
    title: str
    caption: str
    images: list[str] = field(default_factory=list)


def _save(figure: Figure, out_dir: Path, name: str) -> str:
    figure.savefig(out_dir / name, format="png", dpi=_DPI)
    return name


def _objective_names(study: optuna.Study, config: StudyConfig | None) -> list[str]:
    if config is not None:
        return [o.metric for o in config.objectives]
    return [f"objective {i}" for i in range(len(study.directions))]


def _importance_figure(study: optuna.Study, trials: list[FrozenTrial], target: str) -> Figure:
    if len(trials) < 2:
        return _plots.message_figure("parameter importances", "needs at least 2 complete trials")
    try:
        values = optuna.importance.get_param_importances(
            study,
            evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0),
            target=lambda t: t.values[0],
        )
    except (RuntimeError, ValueError) as e:
        return _plots.message_figure("parameter importances", f"not available yet: {e}")
    if not values:
        return _plots.message_figure("parameter importances", "no parameter varies yet")
    return _plots.importances(values, target)


def _shape_images(
    study: optuna.Study, trials: list[FrozenTrial], root: str, out_dir: Path
) -> list[str]:
    """Copy the best trials' learned activation shape plots (real PNGs only) into ``out_dir``."""
    store = artifact_store(root)
    names = []
    for trial in trials:
        for meta in get_all_artifact_meta(trial, storage=study._storage):
            if meta.filename != SHAPES_ARTIFACT:
                continue
            name = f"activation_shapes_trial_{trial.number}.png"
            with contextlib.suppress(Exception):  # a missing file leaves the plot out
                download_artifact(
                    artifact_store=store,
                    artifact_id=meta.artifact_id,
                    file_path=str(out_dir / name),
                )
            path = out_dir / name
            if path.is_file() and path.read_bytes()[:8] == PNG_SIGNATURE:
                names.append(name)
            else:
                path.unlink(missing_ok=True)
            break
    return names


def _sections(study: optuna.Study, config: StudyConfig, out_dir: Path) -> list[Section]:
    trials = complete_trials(study)
    objectives = _objective_names(study, config)
    best = ranked(study, trials)[:BEST_K]
    network = best_network(study, trials)
    per_layer = network.user_attrs.get(keys.PER_LAYER_SPARSITY) or {}
    shapes = _shape_images(study, best, config.artifacts or "artifacts", out_dir)
    return [
        Section("history", "Optimisation history", "Each objective by trial, best so far in red.",
                [_save(_plots.history(study, trials, objectives), out_dir, "history.png")]),
        Section("accuracy_sparsity", "Accuracy against sparsity",
                "Validation and test accuracy of every complete trial.",
                [_save(_plots.accuracy_against(trials, "sparsity", "sparsity"), out_dir,
                       "accuracy_sparsity.png")]),
        Section("accuracy_flops", "Accuracy against FLOPs",
                "FLOPs: 2 x multiply-accumulates of conv/linear layers with kept weights.",
                [_save(_plots.accuracy_against(trials, "flops", "FLOPs"), out_dir,
                       "accuracy_flops.png")]),
        Section("pareto", "Pareto fronts",
                "Validation accuracy against sparsity, FLOPs, parameters and latency.",
                [_save(_plots.pareto_fronts(trials, _plots.PARETO_PAIRS), out_dir,
                       "pareto.png")]),
        Section("importances", "Parameter importances",
                f"fANOVA importances for {objectives[0]} over the complete trials.",
                [_save(_importance_figure(study, trials, objectives[0]), out_dir,
                       "importances.png")]),
        Section("activations", "Activation per layer over the best trials",
                f"The {len(best)} best trials, best first.",
                [_save(_plots.activation_choices(best), out_dir, "activations.png")]
                if any(trial.user_attrs.get(keys.ACTIVATIONS) for trial in best) else []),
        Section("activation_shapes", "Learned activation shapes",
                "Before and after training, from the best trials' artifacts."
                if shapes else "No best trial has learnable activations.", shapes),
        Section("layer_sparsity", "Per-layer sparsity of the best network",
                f"Trial {network.number}.",
                [_save(_plots.layer_sparsity(per_layer, f"per-layer sparsity, trial "
                                             f"{network.number}"), out_dir,
                       "layer_sparsity.png")] if per_layer else []),
    ]  # fmt: skip


def _summary(study: optuna.Study, network: FrozenTrial) -> str:
    states = Counter(t.state.name for t in study.get_trials(deepcopy=False))
    row = trial_row(network)
    cells = [("trials", ", ".join(f"{n} {s.lower()}" for s, n in sorted(states.items())))]
    cells += [("best network", f"trial {network.number}")]
    cells += [
        (k, f"{v:.4g}" if isinstance(v, float) else str(v)) for k, v in row["metrics"].items()
    ]
    cells += [("parameters", ", ".join(f"{k}={v}" for k, v in (row["params"] or {}).items()))]
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in cells)
    return f"<table class='summary'>{body}</table>"


_STYLE = (
    "body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
    "table.summary th{text-align:left;padding-right:1em}img{max-width:100%;margin:.5em 0}"
    "section{border-top:1px solid #ccc;margin-top:1.5em}"
)


def _html(study: optuna.Study, network: FrozenTrial, sections: list[Section]) -> str:
    name = html.escape(study.study_name)
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>study {name}</title>",
             f"<style>{_STYLE}</style></head><body><h1>Study {name}</h1>",
             _summary(study, network), "<ul>"]  # fmt: skip
    parts += [f"<li><a href='#{s.key}'>{html.escape(s.title)}</a></li>" for s in sections]
    parts.append("</ul>")
    for s in sections:
        parts.append(f"<section id='{s.key}'><h2>{html.escape(s.title)}</h2>")
        parts.append(f"<p>{html.escape(s.caption)}</p>")
        parts += [f"<img src='{html.escape(i)}' alt='{html.escape(s.title)}'>" for i in s.images]
        parts.append("</section>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_report(study: optuna.Study, out_dir: Path | str) -> Path:
    """Write ``out_dir/index.html`` and its PNG plots; only complete trials are used."""
    trials = complete_trials(study)
    if not trials:
        raise UserError(f"study {study.study_name!r} has no complete trial yet: nothing to report")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    config = stored_config(study)
    sections = _sections(study, config, out)
    path = out / "index.html"
    path.write_text(_html(study, best_network(study, trials), sections))
    return path
