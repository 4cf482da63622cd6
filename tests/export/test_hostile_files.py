"""A model file from someone else cannot run code: the archive is checked before loading."""

from __future__ import annotations

import io
import json
import os
import pickle
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from automl_sparse.cli import app
from automl_sparse.export import UnsafeModelError, load_exported
from automl_sparse.models import create_model

runner = CliRunner()


class _Payload:
    """Unpickling this runs a command (touches a file)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[..., object], tuple[str]]:
        return os.system, (f"touch {self.marker}",)


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A plain exported LeNet-5 (dynamic batch), as bytes."""
    model = create_model("lenet5", activation="relu", num_classes=10, in_channels=1, input_size=16)
    batch = torch.export.Dim("batch", min=1)
    program = torch.export.export(
        model.eval(), (torch.zeros(2, 1, 16, 16),), dynamic_shapes=({0: batch},)
    )
    buffer = io.BytesIO()
    torch.export.save(program, buffer, extra_files={"metadata.json": json.dumps({"a": 1})})
    return buffer.getvalue()


def _rewrite(
    data: bytes, change: Callable[[str, bytes], bytes | None], add: dict[str, bytes]
) -> bytes:
    """The archive with each entry passed through ``change`` (None drops it) plus ``add``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        top = src.namelist()[0].split("/")[0]
        for name in src.namelist():
            content = change(name.split("/", 1)[1], src.read(name))
            if content is not None:
                dst.writestr(name, content)
        for name, content in add.items():
            dst.writestr(f"{top}/{name}", content)
    return out.getvalue()


def _json_edit(edit: Callable[[dict], None], target: str) -> Callable[[str, bytes], bytes]:
    def change(name: str, content: bytes) -> bytes:
        if name != target:
            return content
        value = json.loads(content)
        edit(value)
        return json.dumps(value).encode()

    return change


def _pickled_weight(marker: Path) -> tuple[Callable[[str, bytes], bytes], dict[str, bytes]]:
    def edit(config: dict) -> None:
        first = next(iter(config["config"].values()))
        first["use_pickle"] = True

    def change(name: str, content: bytes) -> bytes:
        if name == "data/weights/weight_0":
            return pickle.dumps(_Payload(marker))
        return _json_edit(edit, "data/weights/model_weights_config.json")(name, content)

    return change, {}


def _sample_inputs(marker: Path) -> tuple[Callable[[str, bytes], bytes], dict[str, bytes]]:
    def change(name: str, content: bytes) -> bytes:
        return (
            pickle.dumps(_Payload(marker)) if name.endswith("sample_inputs/model.pt") else content
        )

    return change, {}


def _shape_expression(marker: Path) -> tuple[Callable[[str, bytes], bytes], dict[str, bytes]]:
    def change(name: str, content: bytes) -> bytes:
        if name != "models/model.json":
            return content
        text = content.decode()
        start = text.index('"expr_str": "') + len('"expr_str": "')
        end = text.index('"', start)
        evil = f"__import__('os').system('touch {marker}')"
        return (text[:start] + evil + text[end:]).encode()

    return change, {}


def _guard_code(marker: Path) -> tuple[Callable[[str, bytes], bytes], dict[str, bytes]]:
    def edit(program: dict) -> None:
        program["guards_code"] = [f"__import__('os').system('touch {marker}') == 0"]

    return _json_edit(edit, "models/model.json"), {}


def _compiled_library(marker: Path) -> tuple[Callable[[str, bytes], bytes], dict[str, bytes]]:
    return (lambda _n, c: c), {"data/aotinductor/model/model.so": b"\x7fELF"}


@pytest.mark.parametrize(
    "attack", [_pickled_weight, _sample_inputs, _shape_expression, _guard_code, _compiled_library]
)
def test_hostile_archive_is_refused_without_running_code(
    plain: bytes, tmp_path: Path, attack: Callable[[Path], tuple]
) -> None:
    marker = tmp_path / "pwned"
    change, add = attack(marker)
    path = tmp_path / "model.pt2"
    path.write_bytes(_rewrite(plain, change, add))
    with pytest.raises(UnsafeModelError, match="refused"):
        load_exported(path)
    assert not marker.exists()
    result = runner.invoke(app, ["evaluate", str(path), "--data", "digits"])
    assert result.exit_code == 2 and "refused" in result.output
    assert not marker.exists()


def test_plain_archive_loads(plain: bytes, tmp_path: Path) -> None:
    path = tmp_path / "model.pt2"
    path.write_bytes(_rewrite(plain, lambda _n, c: c, {}))
    module, metadata = load_exported(path)
    assert metadata == {"a": 1}
    assert module(torch.zeros(5, 1, 16, 16)).shape == (5, 10)


def test_not_an_archive_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    path.write_bytes(b"not a zip")
    with pytest.raises(UnsafeModelError, match="not a torch.export archive"):  # noqa: RUF043
        load_exported(path)
