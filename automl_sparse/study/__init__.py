"""Studies: launch, resume, the coordinator loop, and the worker side of a trial."""

from automl_sparse.study._api import (
    PreparedStudy,
    create,
    launch,
    load_study,
    phase_studies,
    reopen,
    resume,
    stored_config,
)
from automl_sparse.study._check import check_config
from automl_sparse.study._coordinator import Coordinator, Interrupted, count_finished
from automl_sparse.study._summary import best_trials, trial_row
from automl_sparse.study._worker import TrialOutcome, TrialTask, run_trial

__all__ = [
    "Coordinator",
    "Interrupted",
    "PreparedStudy",
    "TrialOutcome",
    "TrialTask",
    "best_trials",
    "check_config",
    "count_finished",
    "create",
    "launch",
    "load_study",
    "phase_studies",
    "reopen",
    "resume",
    "run_trial",
    "stored_config",
    "trial_row",
]
