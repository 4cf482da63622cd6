"""The ``noop`` pipeline: no data, no training; for measuring the service's own overhead and
for fault drills.

Its value is a smooth function of ``x`` and ``y`` (best at x=0.3, y=0.7), reported once per
``epochs`` after ``sleep_s`` seconds each. ``fail: true`` makes the trial raise, like a bug in
a user's space would.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from typing import Any

from automl_sparse.pipeline._finetune import TrialContext
from automl_sparse.storage import keys
from automl_sparse.training import EpochResult, Reporter

_OPTIMUM = (0.3, 0.7)


@dataclass(frozen=True)
class NoopParams:
    """What a ``noop`` trial can vary."""

    x: float = 0.0
    y: float = 0.0
    epochs: int = 0
    sleep_s: float = 0.0
    fail: bool = False


NOOP_PARAM_NAMES = frozenset(f.name for f in fields(NoopParams))


def run_noop(ctx: TrialContext, reporter: Reporter | None = None) -> dict[str, Any]:
    """Return the value of (x, y) after the requested epochs of sleeping."""
    hp = NoopParams(**{k: v for k, v in ctx.params.items() if k in NOOP_PARAM_NAMES})
    value = 1.0 - (hp.x - _OPTIMUM[0]) ** 2 - (hp.y - _OPTIMUM[1]) ** 2
    for epoch in range(1, hp.epochs + 1):
        time.sleep(hp.sleep_s)
        if reporter is not None:
            reporter.report(
                EpochResult(epoch, 0.0, 1.0 - value, value * epoch / hp.epochs, hp.sleep_s)
            )
    if hp.fail:
        raise RuntimeError("the trial was asked to fail (noop pipeline, fail: true)")
    return {keys.VAL_ACCURACY: value, keys.VAL_LOSS: 1.0 - value, keys.EPOCHS_RUN: hp.epochs}
