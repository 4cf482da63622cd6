"""Write a rebuilt network as a ``torch.export`` archive with its metadata, and as ONNX."""

from __future__ import annotations

import io
import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from automl_sparse import __version__
from automl_sparse._errors import UserError
from automl_sparse.export._measure import count_flops, nonzero_params, zero_fraction
from automl_sparse.export._rebuild import Rebuilt
from automl_sparse.export._safe import METADATA_FILE
from automl_sparse.pruning import prunable_layers
from automl_sparse.storage import keys
from automl_sparse.study._summary import trial_row

FORMAT = "automl-sparse-export/1"
_EXAMPLE_BATCH = 2


@dataclass(frozen=True)
class Exported:
    """What :func:`export_network` wrote."""

    path: Path
    metadata_path: Path
    onnx_path: Path | None
    metadata: dict[str, Any]


def _architecture(model: nn.Module) -> list[dict[str, Any]]:
    """Every leaf module with its type and weight shape (after shrinking)."""
    layers = []
    for name, module in model.named_modules():
        if next(module.children(), None) is not None or not name:
            continue
        weight = getattr(module, "weight", None)
        shape = list(weight.shape) if isinstance(weight, torch.Tensor) else None
        layers.append({"name": name, "type": type(module).__name__, "weight_shape": shape})
    return layers


def network_metadata(rebuilt: Rebuilt, study_name: str) -> dict[str, Any]:
    """Architecture, activations, sparsity, metrics, data split, and the study and trial."""
    model, config, trial = rebuilt.model, rebuilt.config, rebuilt.trial
    prunable = [f"{name}.weight" for name in prunable_layers(model)]
    weights = dict(model.named_parameters())
    row = trial_row(trial)
    return {
        "format": FORMAT,
        "study": study_name,
        "trial": trial.number,
        "pipeline": config.pipeline,
        "model": config.model.model_dump(mode="json"),
        "architecture": _architecture(model),
        "activations": rebuilt.genes,
        "input_shape": list(rebuilt.data.input_shape),
        "num_classes": rebuilt.data.num_classes,
        "data": {**config.data.model_dump(mode="json"), "seed": config.seed},
        "prunable_weights": prunable,
        "sparsity": zero_fraction(weights, prunable),
        "nonzero_params": nonzero_params(weights, prunable),
        "flops": count_flops(model, rebuilt.data.input_shape),
        "shrunk": rebuilt.shrunk,
        "trial_metrics": row["metrics"],
        "per_layer_sparsity": trial.user_attrs.get(keys.PER_LAYER_SPARSITY),
        "params": row["params"],
        "values": trial.values,
        "torch": torch.__version__,
        "automl_sparse": __version__,
    }


def _program(rebuilt: Rebuilt) -> torch.export.ExportedProgram:
    example = rebuilt.data.test.tensors[0][:_EXAMPLE_BATCH]
    batch = torch.export.Dim("batch", min=1)
    with torch.no_grad():
        return torch.export.export(rebuilt.model, (example,), dynamic_shapes=({0: batch},))


def _write_onnx(program: torch.export.ExportedProgram, rebuilt: Rebuilt, path: Path) -> Path:
    try:
        import onnxscript  # noqa: F401
    except ImportError:
        raise UserError(
            "--onnx needs onnx and onnxscript: pip install 'automl-sparse[onnx]'"
        ) from None
    example = rebuilt.data.test.tensors[0][:_EXAMPLE_BATCH]
    batch = torch.export.Dim("batch", min=1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                program,
                (example,),
                str(path),
                dynamo=True,
                external_data=False,
                dynamic_shapes=({0: batch},),
                input_names=["input"],
                output_names=["logits"],
                verbose=False,
            )
    except Exception as e:  # the exporter raises many kinds of errors for unsupported operators
        raise UserError(
            f"ONNX cannot express this network ({rebuilt.genes}); the torch.export file and its "
            f"metadata were written, no ONNX file: {e}"
        ) from e
    return path


def export_network(
    rebuilt: Rebuilt, study_name: str, out: Path | str, *, onnx: bool = False
) -> Exported:
    """Write ``out`` (a ``torch.export`` archive), ``out``'s ``.json`` metadata, and ONNX."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    metadata = network_metadata(rebuilt, study_name)
    program = _program(rebuilt)
    buffer = io.BytesIO()
    torch.export.save(program, buffer, extra_files={METADATA_FILE: json.dumps(metadata)})
    out.write_bytes(buffer.getvalue())
    metadata_path = out.with_suffix(".json")
    metadata_path.write_text(json.dumps(metadata, indent=2) + "\n")
    onnx_path = _write_onnx(program, rebuilt, out.with_suffix(".onnx")) if onnx else None
    return Exported(out, metadata_path, onnx_path, metadata)
