"""Load an exported network from someone else without letting the file run code.

``torch.export.load`` is not safe for untrusted files (PyTorch says so): it unpickles
weights stored "with pickle" and custom objects with ``weights_only=False``, loads compiled
AOTInductor libraries, falls back to an older archive layout that unpickles, and parses
symbolic shapes with ``sympy.sympify`` (``eval``). :func:`load_exported` therefore checks the
archive first and fails closed:

- every entry is one that :func:`torch.export.save` writes for a plain network (weights as raw
  bytes, tensor constants, the graph as JSON, sample inputs, ``extra/`` text): nothing else;
- no weight or constant is pickled, and the sample inputs load with ``weights_only=True``;
- every symbolic-shape expression is a plain arithmetic expression over shape symbols;
- after loading and before the program becomes a module (which ``exec``s guard code built from
  the file's strings): no stored guard code, one tensor input, and every call in the graph an
  ATen/prims operator (or ``getitem``).
"""

from __future__ import annotations

import io
import json
import operator
import re
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch import fx
from torch.utils import _pytree as pytree

from automl_sparse._errors import UserError

METADATA_FILE = "metadata.json"
"""The export's metadata inside the archive (``extra/metadata.json``)."""

_ENTRY = re.compile(
    r"(archive_format|archive_version|byteorder|\.data/version|\.data/serialization_id"
    r"|models/model\.json|data/sample_inputs/model\.pt"
    r"|data/weights/model_weights_config\.json|data/weights/weight_\d+"
    r"|data/constants/model_constants_config\.json|data/constants/tensor_\w+"
    r"|extra/[\w.-]+\.json)"
)
_EXPR = re.compile(
    r"(?:[\s\d+\-*/(),=<>]|'[a-z]\d+'|\b(?:Symbol|Integer|True|False|positive|integer"
    r"|FloorDiv|CeilDiv|CleanDiv|Mod|PythonMod|Max|Min|[a-z]\d+)\b)*"
)
_SAFE_NAMESPACES = frozenset({"aten", "prims"})


class UnsafeModelError(UserError):
    """The file holds something beyond a plain exported network: refused before loading."""


def _entries(archive: zipfile.ZipFile) -> dict[str, str]:
    """Archive entry -> name below the archive's top folder; every name on the allow list."""
    names: dict[str, str] = {}
    for entry in archive.namelist():
        top, _, rest = entry.partition("/")
        if not top or not _ENTRY.fullmatch(rest):
            raise UnsafeModelError(f"unexpected entry {entry!r}")
        names[rest] = entry
    if "models/model.json" not in names or "archive_format" not in names:
        raise UnsafeModelError("not a torch.export archive (no models/model.json)")
    return names


def _walk(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, key)
    else:
        yield key, value


def _check_json(name: str, raw: bytes) -> None:
    for key, value in _walk(json.loads(raw)):
        if key == "use_pickle" and value:
            raise UnsafeModelError(f"{name} stores a pickled object")
        if key == "path_name" and not re.fullmatch(r"(weight|tensor)_\w+", str(value)):
            raise UnsafeModelError(f"{name} names an unexpected payload {value!r}")
        if key == "expr_str" and ("**" in str(value) or not _EXPR.fullmatch(str(value))):
            raise UnsafeModelError(f"{name} holds a shape expression that is not arithmetic")


def check_archive(data: bytes) -> None:
    """Raise :class:`UnsafeModelError` unless ``data`` is a plain ``torch.export`` archive."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as e:
        raise UnsafeModelError(f"not a torch.export archive: {e}") from None
    with archive:
        names = _entries(archive)
        for name, entry in names.items():
            if name.endswith(".json"):
                _check_json(name, archive.read(entry))
        sample = names.get("data/sample_inputs/model.pt")
        if sample is not None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    torch.load(io.BytesIO(archive.read(sample)), weights_only=True)
            except Exception as e:
                msg = f"sample inputs do not load with weights_only: {e}"
                raise UnsafeModelError(msg) from None


def check_graph(graph: fx.Graph) -> None:
    """Raise :class:`UnsafeModelError` when the graph calls anything but tensor operators."""
    for node in graph.nodes:
        if node.op in ("call_module", "call_method"):
            raise UnsafeModelError(f"graph node {node.name} calls {node.op} {node.target!r}")
        if node.op != "call_function" or node.target is operator.getitem:
            continue
        target = node.target
        if not isinstance(target, torch._ops.OpOverload) or target.namespace not in (
            _SAFE_NAMESPACES
        ):
            raise UnsafeModelError(f"graph node {node.name} calls {target!r}")


def check_program(program: torch.export.ExportedProgram) -> None:
    """Raise :class:`UnsafeModelError` unless ``program`` is one tensor in, tensor operators."""
    if program._guards_code:
        raise UnsafeModelError("the program carries guard code")
    _, one_tensor = pytree.tree_flatten(((torch.zeros(()),), {}))
    if program.call_spec.in_spec != one_tensor or len(program.graph_signature.user_inputs) != 1:
        raise UnsafeModelError("the program does not take exactly one tensor")
    placeholders = [n for n in program.graph.nodes if n.op == "placeholder"]
    if not all(isinstance(n.meta.get("val"), torch.Tensor) for n in placeholders):
        raise UnsafeModelError("the program takes an input that is not a tensor")
    check_graph(program.graph)


def load_exported(path: Path | str) -> tuple[fx.GraphModule, dict[str, Any]]:
    """The exported network (traced in eval mode) and its metadata, from a checked archive."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"no exported network at {path}")
    data = path.read_bytes()
    try:
        check_archive(data)
    except UnsafeModelError as e:
        raise UnsafeModelError(f"{path}: refused to load: {e}") from None
    extra = {METADATA_FILE: ""}
    program = torch.export.load(io.BytesIO(data), extra_files=extra)
    try:
        check_program(program)
    except UnsafeModelError as e:
        raise UnsafeModelError(f"{path}: refused to run: {e}") from None
    module = program.module()
    metadata = json.loads(extra[METADATA_FILE]) if extra[METADATA_FILE] else {}
    return module, metadata
