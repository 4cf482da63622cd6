"""Export: the exported network is the trial's network; ONNX agrees; files load without us."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from automl_sparse.activations import activation_slots, materialize_activations
from automl_sparse.cli import app
from automl_sparse.export import (
    Rebuilt,
    bake,
    best_network_trial,
    choose_trial,
    evaluate_exported,
    export_network,
    has_dead_channels,
    load_exported,
    rebuild,
)
from automl_sparse.pipeline import study_data, study_model
from automl_sparse.study import stored_config
from tests.report._finished import Finished

runner = CliRunner()


@pytest.fixture(scope="module")
def exported(finished: Finished, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The best trial exported through the CLI, with ONNX."""
    out = tmp_path_factory.mktemp("export") / "model.pt2"
    args = ["export", finished.name, "--storage", finished.url, "--out", str(out), "--onnx"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert out.is_file() and out.with_suffix(".json").is_file()
    return out


def test_exported_network_matches_the_trial(finished: Finished, exported: Path) -> None:
    trial = best_network_trial(finished.load())
    measured = evaluate_exported(exported, "digits")
    recorded = trial.user_attrs
    assert abs(measured["test_accuracy"] - recorded["test_accuracy"]) <= 0.001
    assert measured["sparsity"] == pytest.approx(recorded["sparsity"], abs=1e-6)
    assert measured["nonzero_params"] == recorded["nonzero_params"]
    assert measured["flops"] == recorded["flops"]
    assert measured["latency_ms"] > 0


def test_metadata_names_study_trial_and_activations(finished: Finished, exported: Path) -> None:
    trial = best_network_trial(finished.load())
    _, inside = load_exported(exported)
    beside = json.loads(exported.with_suffix(".json").read_text())
    assert inside == beside
    assert (inside["study"], inside["trial"]) == (finished.name, trial.number)
    assert inside["activations"] == trial.user_attrs["activations"]
    assert inside["trial_metrics"]["test_accuracy"] == trial.user_attrs["test_accuracy"]
    assert inside["data"]["name"] == "digits" and inside["data"]["seed"] == 0
    assert {layer["name"] for layer in inside["architecture"]} >= {"features.conv1"}


def test_onnx_gives_the_same_outputs(finished: Finished, exported: Path) -> None:
    ort = pytest.importorskip("onnxruntime", reason="pip install 'automl-sparse[onnx]'")
    module, _ = load_exported(exported)
    x = study_data(stored_config(finished.load())).test.tensors[0][:64]
    session = ort.InferenceSession(
        str(exported.with_suffix(".onnx")), providers=["CPUExecutionProvider"]
    )
    (got,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    with torch.no_grad():
        want = module(x).numpy()
    assert got.shape == want.shape
    assert abs(got - want).max() <= 1e-4


def test_export_loads_without_automl_sparse(exported: Path) -> None:
    script = (
        "import sys, torch\n"
        f"m = torch.export.load({str(exported)!r}).module()\n"
        "y = m(torch.zeros(3, 1, 16, 16))\n"
        "assert y.shape == (3, 10), y.shape\n"
        "assert not [k for k in sys.modules if k.startswith('automl_sparse')]\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd="/"
    )
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr[-2000:]


def test_evaluate_cli_prints_a_table_and_json(exported: Path) -> None:
    table = runner.invoke(app, ["evaluate", str(exported), "--data", "digits"])
    assert table.exit_code == 0, table.output
    for word in ("test_accuracy", "sparsity", "nonzero_params", "flops", "latency_ms"):
        assert word in table.output
    as_json = runner.invoke(app, ["evaluate", str(exported), "--data", "digits", "--json"])
    assert json.loads(as_json.stdout)["test_samples"] > 0


def test_evaluate_refuses_data_of_another_shape(exported: Path, tmp_path: Path) -> None:
    other = tmp_path / "rgb.pt2"
    with zipfile.ZipFile(exported) as src, zipfile.ZipFile(other, "w") as dst:
        for name in src.namelist():
            content = src.read(name)
            if name.endswith("extra/metadata.json"):
                content = json.dumps({**json.loads(content), "input_shape": [3, 32, 32]}).encode()
            dst.writestr(name, content)
    result = runner.invoke(app, ["evaluate", str(other), "--data", "digits"])
    assert result.exit_code == 2
    assert "takes [3, 32, 32]" in result.output


@pytest.mark.parametrize(
    ("which", "message"),
    [("99", "has no trial 99"), ("first", "must be 'best' or a trial number")],
)
def test_export_names_a_bad_trial(
    finished: Finished, tmp_path: Path, which: str, message: str
) -> None:
    args = ["export", finished.name, "--storage", finished.url, "--trial", which]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "m.pt2")])
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "m.pt2").exists()


def test_every_complete_trial_can_be_chosen(finished: Finished) -> None:
    study = finished.load()
    numbers = [t.number for t in study.trials]
    assert [choose_trial(study, str(n)).number for n in numbers] == numbers


def test_dead_channels_are_removed_and_exported(finished: Finished, tmp_path: Path) -> None:
    study = finished.load()
    config = stored_config(study)
    data = study_data(config)
    model = study_model(config, data, "rotated_relu").eval()
    materialize_activations(model, data.train.tensors[0][:2])
    slope = activation_slots(model)["features.act1"].fn.slope
    with torch.no_grad():
        slope[:3] = 0.0
    x = data.test.tensors[0][:8]
    with torch.no_grad():
        want = model(x)
    assert has_dead_channels(model)
    small, shrunk = bake(model, data.input_shape)
    assert shrunk and small.features.conv1.out_channels == model.features.conv1.out_channels - 3
    trial = best_network_trial(study)
    rebuilt = Rebuilt(small, config, data, trial, {"features.act1": "rotated_relu"}, shrunk)
    path = export_network(rebuilt, study.study_name, tmp_path / "small.pt2").path
    module, metadata = load_exported(path)
    assert metadata["shrunk"] is True
    with torch.no_grad():
        assert torch.allclose(module(x), want, atol=1e-5)


def test_rebuild_matches_the_recorded_genome(finished: Finished) -> None:
    study = finished.load()
    trial = study.trials[0]
    rebuilt = rebuild(study, trial)
    names = {p: type(s.fn).__name__ for p, s in activation_slots(rebuilt.model).items()}
    assert set(names) == set(trial.user_attrs["activations"])
    assert not rebuilt.model.training
