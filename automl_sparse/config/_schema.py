"""The schema of study.yaml (pydantic): validated once at the edge, frozen, unknown keys rejected.

Names (models, data, activations, samplers, ...) are checked against their registries by
``automl_sparse.study.check_names``; this module knows nothing of torch or Optuna.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

StudyName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")]
Scalar = bool | int | float | str


class Strict(BaseModel):
    """Unknown keys are errors; values are frozen after validation."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- search space -------------------------------------------------------------------------------

Condition = dict[str, Scalar | list[Scalar]]
"""``when: {optimizer: sgd}``: the parameter exists only when ``optimizer`` is ``sgd``."""


class Categorical(Strict):
    """One of ``choices``; ``per_slot: true`` makes one such parameter per activation slot."""

    choices: list[Scalar] = Field(min_length=1)
    per_slot: bool = False
    when: Condition | None = None


class _Range(Strict):
    log: bool = False
    when: Condition | None = None

    @model_validator(mode="after")
    def _ordered(self) -> _Range:
        low, high = self.low, self.high  # type: ignore[attr-defined]
        if not low < high:
            raise ValueError(f"low must be below high, but got low={low}, high={high}")
        if self.log and low <= 0:
            raise ValueError(f"a log range needs low > 0, but got low={low}")
        return self


class FloatRange(_Range):
    """A float in [low, high], log-uniform with ``log: true``, on a grid with ``step``."""

    low: float
    high: float
    step: float | None = Field(default=None, gt=0)


class IntRange(_Range):
    """An integer in [low, high]."""

    low: int
    high: int
    step: int = Field(default=1, ge=1)


class Fixed(Strict):
    """A value that is not searched (written as the bare value in YAML)."""

    value: Scalar


def _param_kind(raw: Any) -> str:
    if isinstance(raw, dict):
        if "value" in raw:
            return "fixed"
        if "choices" in raw:
            return "categorical"
        ints = all(
            isinstance(raw.get(k), int) and not isinstance(raw.get(k), bool)
            for k in ("low", "high")
        )
        return "int" if ints and not isinstance(raw.get("step"), float) else "float"
    if isinstance(raw, BaseModel):
        return {Categorical: "categorical", IntRange: "int", FloatRange: "float"}.get(
            type(raw), "fixed"
        )
    return "fixed"


def _wrap_fixed(raw: Any) -> Any:
    return raw if isinstance(raw, dict | BaseModel) else {"value": raw}


ParamSpec = Annotated[
    Annotated[Categorical, Tag("categorical")]
    | Annotated[IntRange, Tag("int")]
    | Annotated[FloatRange, Tag("float")]
    | Annotated[Fixed, Tag("fixed")],
    Discriminator(_param_kind),
]


class SearchSpace(Strict):
    """Parameters by name, in definition order (a condition may only name an earlier one)."""

    params: dict[str, ParamSpec]

    @model_validator(mode="before")
    @classmethod
    def _bare(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and "params" not in raw:
            raw = {"params": raw}
        if isinstance(raw, dict) and isinstance(raw.get("params"), dict):
            raw = {**raw, "params": {k: _wrap_fixed(v) for k, v in raw["params"].items()}}
        return raw

    @model_validator(mode="after")
    def _conditions(self) -> SearchSpace:
        seen: dict[str, Any] = {}
        for name, spec in self.params.items():
            for parent, wanted in (getattr(spec, "when", None) or {}).items():
                _check_condition(name, parent, wanted, seen)
            seen[name] = spec
        return self


def _check_condition(name: str, parent: str, wanted: Any, seen: dict[str, Any]) -> None:
    if parent not in seen:
        raise ValueError(
            f"parameter {name!r} has a condition on {parent!r}, which is not defined before it"
        )
    spec = seen[parent]
    allowed = spec.choices if isinstance(spec, Categorical) else [getattr(spec, "value", None)]
    if not isinstance(spec, Categorical | Fixed):
        raise ValueError(f"parameter {name!r}: a condition needs a categorical {parent!r}")
    for value in wanted if isinstance(wanted, list) else [wanted]:
        if value not in allowed:
            raise ValueError(
                f"parameter {name!r}: condition {parent}={value!r} can never hold; "
                f"{parent!r} takes {allowed}"
            )


# --- the study ----------------------------------------------------------------------------------

METRIC_DIRECTIONS: dict[str, Literal["maximize", "minimize"]] = {
    "val_accuracy": "maximize",
    "val_loss": "minimize",
    "sparsity": "maximize",
    "nonzero_params": "minimize",
    "flops": "minimize",
    "latency_ms": "minimize",
}
"""Metrics a study may optimise and their natural directions. Test metrics are never objectives."""

EPOCH_METRICS = ("val_accuracy", "val_loss")
"""Metrics measured after every epoch: the ones a stopper can judge."""


class Objective(Strict):
    """A metric measured on the pruned network, and whether to maximise or minimise it."""

    metric: str
    direction: Literal["maximize", "minimize"] | None = None

    @field_validator("metric")
    @classmethod
    def _known(cls, metric: str) -> str:
        if metric.startswith("test_"):
            raise ValueError(f"{metric!r} uses the test split, which is never used for selection")
        if metric not in METRIC_DIRECTIONS:
            raise ValueError(f"unknown metric {metric!r}; known: {', '.join(METRIC_DIRECTIONS)}")
        return metric

    @property
    def resolved_direction(self) -> Literal["maximize", "minimize"]:
        return self.direction or METRIC_DIRECTIONS[self.metric]


class ModelSpec(Strict):
    """A registered model and its options."""

    name: str
    options: dict[str, Any] = Field(default_factory=dict)


class DataSpec(Strict):
    """A registered data source and how to split it."""

    name: str
    root: str | None = None
    download: bool = False
    val_fraction: float = Field(default=0.1, gt=0, lt=1)
    test_fraction: float = Field(default=0.2, gt=0, lt=1)
    image_size: int | None = Field(default=None, ge=8)


class PretrainSpec(Strict):
    """How the dense network is trained once, before any trial prunes it."""

    activation: str = "relu"
    epochs: int = Field(default=10, ge=1)
    optimizer: str = "adam"
    lr: float = Field(default=1e-3, gt=0)
    weight_decay: float = Field(default=5e-4, ge=0)
    momentum: float = Field(default=0.9, ge=0, lt=1)
    schedule: str = "constant"
    batch_size: int = Field(default=256, ge=1)


class SamplerSpec(Strict):
    """A sampler by name (tpe, random, nsga2, ...) and its options."""

    name: str = "tpe"
    options: dict[str, Any] = Field(default_factory=dict)


class StoppingSpec(Strict):
    """Early stopping of poor trials by name (none, median, hyperband, ...) and its options."""

    name: str = "none"
    options: dict[str, Any] = Field(default_factory=dict)


class BudgetSpec(Strict):
    """When the study ends: after ``n_trials`` finished trials and/or ``timeout`` seconds."""

    n_trials: int | None = Field(default=None, ge=1)
    timeout: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _some_limit(self) -> BudgetSpec:
        if self.n_trials is None and self.timeout is None:
            raise ValueError("give n_trials, timeout or both")
        return self


class ExecutorSpec(Strict):
    """Where trials run: ``inline`` (this process), ``process`` (local processes) or ``ray``.

    ``workers`` is how many trials run at once (Ray: ``max_concurrent``). ``address`` joins a
    running Ray cluster (``auto`` or ``host:port``); without it a local Ray is started.
    """

    name: str = "inline"
    workers: int = Field(default=1, ge=1)
    threads_per_trial: int = Field(default=1, ge=1)
    cpus_per_trial: float = Field(default=1.0, gt=0)
    gpus_per_trial: float = Field(default=0.0, ge=0)
    address: str | None = None


class FaultSpec(Strict):
    """How lost workers are noticed and retried."""

    heartbeat_s: int = Field(default=5, ge=1)
    grace_s: int = Field(default=30, ge=2)
    max_retries: int = Field(default=1, ge=0)
    lease_s: float = Field(default=30.0, ge=2.0)
    """A coordinator that stops renewing its lease (it died) loses it after this long."""

    @model_validator(mode="after")
    def _grace_after_beats(self) -> FaultSpec:
        if self.grace_s <= self.heartbeat_s:
            raise ValueError(f"grace_s must exceed heartbeat_s, but got {self.grace_s}")
        return self


PhaseName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,29}$")]


class PhaseSpec(Strict):
    """One phase of a multi-phase study (``phases:``), run as its own Optuna study.

    The phase searches the study's space with ``space`` merged over it (a key replaces the
    study's entry in place, a new key is appended), with ``carry`` naming the space parameters
    it fixes to their values in the best trial of the phase before it (``activation`` carries
    every per-slot gene). Sampler, stopping and budget default to the study's.
    """

    name: PhaseName
    space: dict[str, Any] = Field(default_factory=dict)
    carry: list[str] = Field(default_factory=list)
    sampler: SamplerSpec | None = None
    stopping: StoppingSpec | None = None
    budget: BudgetSpec | None = None


class StudyConfig(Strict):
    """A whole study file. ``storage`` may be omitted: --storage or AUTOML_SPARSE_STORAGE.

    With ``phases`` the file is a plan: each phase becomes the study ``<name>.<phase>``, run
    one after the other (see :class:`PhaseSpec`).
    """

    name: StudyName
    storage: str | None = None
    artifacts: str | None = None
    seed: int = 0
    pipeline: str = "sparse_finetune"
    objectives: list[Objective] = Field(min_length=1)
    model: ModelSpec | None = None
    """Required unless the pipeline builds its own networks (``dass``)."""
    data: DataSpec
    pretrain: PretrainSpec = Field(default_factory=PretrainSpec)
    space: SearchSpace | str
    sampler: SamplerSpec = Field(default_factory=SamplerSpec)
    stopping: StoppingSpec = Field(default_factory=StoppingSpec)
    budget: BudgetSpec | None = None
    executor: ExecutorSpec = Field(default_factory=ExecutorSpec)
    faults: FaultSpec = Field(default_factory=FaultSpec)
    phases: list[PhaseSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _phases_make_sense(self) -> StudyConfig:
        names = [phase.name for phase in self.phases]
        for index, phase in enumerate(self.phases):
            if names.count(phase.name) > 1:
                raise ValueError(f"phases[{index}]: phase name {phase.name!r} is used twice")
            if index == 0 and phase.carry:
                raise ValueError("phases[0].carry: the first phase has no phase before it")
            if phase.budget is None and self.budget is None:
                raise ValueError(f"phases[{index}].budget: give it, or a study-wide budget")
        if not self.phases and self.budget is None:
            raise ValueError("budget: Field required")
        return self

    @property
    def run_budget(self) -> BudgetSpec:
        """The budget of a runnable (single-phase) config."""
        if self.budget is None:
            raise ValueError(f"study {self.name!r} is a plan of phases, not one runnable study")
        return self.budget

    @property
    def directions(self) -> list[str]:
        return [o.resolved_direction for o in self.objectives]
