"""The study file: its pydantic schema and its loader (``load_study_config``)."""

from automl_sparse.config._load import (
    STORAGE_ENV,
    load_search_space,
    load_study_config,
    resolve_storage,
)
from automl_sparse.config._schema import (
    METRIC_DIRECTIONS,
    BudgetSpec,
    Categorical,
    DataSpec,
    ExecutorSpec,
    Fixed,
    FloatRange,
    IntRange,
    ModelSpec,
    Objective,
    ParamSpec,
    PretrainSpec,
    SamplerSpec,
    SearchSpace,
    StoppingSpec,
    StudyConfig,
)

__all__ = [
    "METRIC_DIRECTIONS",
    "STORAGE_ENV",
    "BudgetSpec",
    "Categorical",
    "DataSpec",
    "ExecutorSpec",
    "Fixed",
    "FloatRange",
    "IntRange",
    "ModelSpec",
    "Objective",
    "ParamSpec",
    "PretrainSpec",
    "SamplerSpec",
    "SearchSpace",
    "StoppingSpec",
    "StudyConfig",
    "load_search_space",
    "load_study_config",
    "resolve_storage",
]
