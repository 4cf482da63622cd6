"""Export a trial's network and evaluate exported networks.

``rebuild(study, trial)`` builds the trial's trained network from the study database and the
trial's ``model.pt`` artifact (loaded with ``weights_only=True``), bakes its masks in and
removes dead channels physically (:func:`automl_sparse.pruning.shrink`).
``export_network(rebuilt, name, "model.pt2")`` writes a ``torch.export`` archive, which runs
without this package (``torch.export.load(path).module()(x)``, for files you trust), with its
metadata inside (``extra/metadata.json``) and beside it (``model.json``), and ONNX on request.
``load_exported(path)`` is the loader for files from anyone: it checks the archive first
(see :mod:`automl_sparse.export._safe`). ``evaluate_exported`` measures a file.
"""

from automl_sparse.export._evaluate import evaluate_exported
from automl_sparse.export._measure import (
    accuracy,
    count_flops,
    cpu_latency_ms,
    nonzero_params,
    zero_fraction,
)
from automl_sparse.export._rebuild import (
    MODEL_ARTIFACT,
    Rebuilt,
    bake,
    best_network_trial,
    choose_trial,
    has_dead_channels,
    rebuild,
    trial_state_dict,
)
from automl_sparse.export._safe import (
    METADATA_FILE,
    UnsafeModelError,
    check_archive,
    check_graph,
    load_exported,
)
from automl_sparse.export._write import FORMAT, Exported, export_network, network_metadata

__all__ = [
    "FORMAT",
    "METADATA_FILE",
    "MODEL_ARTIFACT",
    "Exported",
    "Rebuilt",
    "UnsafeModelError",
    "accuracy",
    "bake",
    "best_network_trial",
    "check_archive",
    "check_graph",
    "choose_trial",
    "count_flops",
    "cpu_latency_ms",
    "evaluate_exported",
    "export_network",
    "has_dead_channels",
    "load_exported",
    "network_metadata",
    "nonzero_params",
    "rebuild",
    "trial_state_dict",
    "zero_fraction",
]
