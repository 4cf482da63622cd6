"""The activation-shape plot writes a real PNG."""

from __future__ import annotations

from pathlib import Path

import torch

from automl_sparse.activations import (
    activation_curves,
    create_activation,
    plot_activation_shapes,
    replace_activations,
    snapshot_activations,
)
from automl_sparse.models import create_model

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_plot_before_and_after(tmp_path: Path) -> None:
    model = create_model("lenet5", activation="relu")
    x = torch.randn(2, 1, 28, 28)
    replace_activations(model, "leaf", init_as="relu", sharing="channel", example_input=x)
    replace_activations(model, "safs_srs", slots=["classifier.act4"])
    before = snapshot_activations(model)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1)
    out = plot_activation_shapes(before, snapshot_activations(model), tmp_path / "act.png")
    data = out.read_bytes()
    assert data[:8] == PNG_SIGNATURE and len(data) > 5000


def test_curves_for_per_channel_modules() -> None:
    x = torch.linspace(-3, 3, 7)
    leaf = create_activation("leaf", init_as="silu", sharing="channel", num_channels=6)
    curves = activation_curves(leaf, x, max_curves=2)
    assert list(curves) == ["#0", "#1", "mean"]
    torch.testing.assert_close(curves["mean"], torch.nn.functional.silu(x))
    assert list(activation_curves(create_activation("tanh"), x)) == [""]
    assert activation_curves(create_activation("leaf", sharing="channel"), x) == {}
