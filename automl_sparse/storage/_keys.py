"""The documented attribute keys of the study database.

Study user attributes
- ``automl_sparse.config``: the resolved study config as JSON (``resume`` needs nothing else).
- ``automl_sparse.version``: the package version that created the study.
- ``automl_sparse.dense``: the dense network's key, validation and test accuracy.
- ``automl_sparse.plan``: on a phase of a multi-phase study (``phases:``), the whole study
  file's config as JSON, so that ``resume`` can go on to the phases after it.
- ``automl_sparse.phase``: that phase's index in the plan (0 for the first).
- ``automl_sparse.carried``: the parameters a phase fixed from the best trial of the phase
  before it, and that trial's number (``{"from_trial": n, "params": {...}}``).

Trial user attributes (metrics measured on the pruned, fine-tuned network)
- ``val_accuracy``, ``val_loss``, ``test_accuracy`` (test split: reported, never optimised),
  ``sparsity`` (fraction of zeros over prunable weights), ``nonzero_params``, ``flops``
  (2 x multiply-accumulates of conv/linear with kept weights), ``latency_ms`` (median CPU
  forward time of one input), ``per_layer_sparsity`` (layer path -> sparsity),
  ``activations`` (slot path -> activation name), ``params`` (every parameter of the trial,
  searched and fixed; written when a worker takes the trial up, so a trial that never started
  has only Optuna's ``trial.params``), ``epochs_run``, ``resumed_epochs`` (read back from a
  lost attempt's checkpoint), ``train_seconds``.
- ``base_val_accuracy``, ``replaced_val_accuracy`` (``aaf`` pipeline): the base network, and
  the network right after its activations were replaced, before any tuning.
- ``genotype`` (``dass`` pipeline): the searched cells as JSON (``normal``, ``normal_concat``,
  ``reduce``, ``reduce_concat``; ``automl_sparse.dass.Genotype.from_dict`` reads it back);
  ``dense_genotype``: what alpha selected after dense pretraining, before any pruning;
  ``search_seconds``: the supernet search's share of ``train_seconds``.
- ``worker``: host:pid of the process that ran the trial.
- ``fail_kind`` (``error`` | ``interrupted`` | ``lost``) and ``fail_reason`` on failed trials.
- ``retry_of``: on a re-queued trial, the number of the trial it repeats.
"""

STUDY_CONFIG = "automl_sparse.config"
STUDY_VERSION = "automl_sparse.version"
STUDY_DENSE = "automl_sparse.dense"
STUDY_PLAN = "automl_sparse.plan"
STUDY_PHASE = "automl_sparse.phase"
STUDY_CARRIED = "automl_sparse.carried"

VAL_ACCURACY = "val_accuracy"
VAL_LOSS = "val_loss"
TEST_ACCURACY = "test_accuracy"
SPARSITY = "sparsity"
NONZERO_PARAMS = "nonzero_params"
FLOPS = "flops"
LATENCY_MS = "latency_ms"
PER_LAYER_SPARSITY = "per_layer_sparsity"
ACTIVATIONS = "activations"
PARAMS = "params"
EPOCHS_RUN = "epochs_run"
TRAIN_SECONDS = "train_seconds"
RESUMED_EPOCHS = "resumed_epochs"
"""Epochs a re-run trial read back from the lost attempt's checkpoint instead of training."""
BASE_VAL_ACCURACY = "base_val_accuracy"
REPLACED_VAL_ACCURACY = "replaced_val_accuracy"
GENOTYPE = "genotype"
DENSE_GENOTYPE = "dense_genotype"
SEARCH_SECONDS = "search_seconds"

WORKER = "worker"
"""host:pid of the process that ran the trial."""

FAIL_KIND = "fail_kind"
FAIL_REASON = "fail_reason"
RETRY_OF = "retry_of"

FAIL_ERROR = "error"
"""The pipeline raised: deterministic, never retried."""
FAIL_INTERRUPTED = "interrupted"
"""The coordinator was stopped (Ctrl-C): always re-queued, does not use a retry."""
FAIL_LOST = "lost"
"""The worker vanished (stale heartbeat): re-queued up to ``max_retries`` times."""
