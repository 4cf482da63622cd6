"""Dispatch overhead: no-op trials through automl-sparse (Ray executor) against plain Optuna.

    python benchmarks/bench_dispatch.py [--trials 100] [--long 1000] [--storage URL]

Both run the same no-op objective (``noop`` pipeline: value of (x, y), no training) with the
same random sampler, two at a time, on the same kind of storage (a fresh SQLite file unless
``--storage`` names a server), a fresh study each run. Ray is started (and its workers warmed)
before any timing. Prints trials per second of each, the ratio, the per-trial overhead, and how
much of our time was the study's start-up (lease, prepare, first sweep). Then runs
``--long`` no-op trials through one coordinator and prints its resident memory after 100 and
after all of them (the coordinator's memory must stay flat).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import optuna
import psutil
import yaml

from automl_sparse.execution._ray import LOOPBACK_ENV
from automl_sparse.storage import quiet_optuna
from automl_sparse.study import create

_WORKERS = 2
_MIB = 2**20


def noop_value(x: float, y: float) -> float:
    return 1.0 - (x - 0.3) ** 2 - (y - 0.7) ** 2


def plain_optuna(url: str, n_trials: int) -> float:
    """Seconds for ``n_trials`` of plain ``study.optimize(n_jobs=2)``."""
    study = optuna.create_study(
        storage=url,
        study_name=f"plain-{uuid.uuid4().hex[:8]}",
        direction="maximize",
        sampler=optuna.samplers.RandomSampler(seed=0),
    )

    def objective(trial: optuna.Trial) -> float:
        return noop_value(trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1))

    started = time.perf_counter()
    study.optimize(objective, n_trials=n_trials, n_jobs=_WORKERS)
    return time.perf_counter() - started


def study_file(folder: Path, name: str, n_trials: int) -> Path:
    study = {
        "name": name,
        "pipeline": "noop",
        "objectives": [{"metric": "val_accuracy"}],
        "model": {"name": "lenet5"},
        "data": {"name": "digits", "image_size": 16},
        "space": {"x": {"low": 0.0, "high": 1.0}, "y": {"low": 0.0, "high": 1.0}},
        "sampler": {"name": "random"},
        "budget": {"n_trials": n_trials},
        "executor": {"name": "ray", "workers": _WORKERS},
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(study))
    return path


def automl_sparse(
    url: str, folder: Path, n_trials: int, memory: dict[int, int] | None = None
) -> tuple[float, float]:
    """Seconds for ``n_trials`` no-op trials through the coordinator and Ray workers, and the
    part of them before the first trial was asked (lease, prepare, first sweep)."""
    prepared = create(study_file(folder, f"ours-{uuid.uuid4().hex[:8]}", n_trials), storage=url)
    me = psutil.Process()
    first: list[float] = []

    def progress(done: int, _total: int | None, _best: str) -> None:
        if not first:
            first.append(time.perf_counter())
        if memory is not None and done >= 100 and 100 not in memory:
            memory[100] = me.memory_info().rss

    started = time.perf_counter()
    prepared.run(log=lambda _: None, progress=progress)
    elapsed = time.perf_counter() - started
    if memory is not None:
        memory[n_trials] = me.memory_info().rss
    return elapsed, first[0] - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--long", type=int, default=1000)
    parser.add_argument("--storage", default=None)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    quiet_optuna()
    folder = Path(tempfile.mkdtemp(prefix="bench-dispatch-"))
    url = args.storage or f"sqlite:///{folder / 'bench.db'}"

    import ray

    os.environ.update(LOOPBACK_ENV)
    started = time.perf_counter()
    ray.init(num_cpus=_WORKERS, include_dashboard=False, log_to_driver=False)
    ray_start = time.perf_counter() - started
    automl_sparse(url, folder, 4)  # warm the Ray workers (imports), as a long study would
    plains, ourses, startups = [], [], []
    for _ in range(args.repeats):  # alternate, so that both see the same machine state
        plains.append(plain_optuna(url, args.trials))
        seconds, startup = automl_sparse(url, folder, args.trials)
        ourses.append(seconds)
        startups.append(startup)
    plain, ours = statistics.median(plains), statistics.median(ourses)
    print(f"storage                    : {url.split(':')[0]}, medians of {args.repeats} runs")
    print(f"ray.init (once)            : {ray_start:.1f} s")
    for label, seconds in (
        ("plain Optuna, n_jobs=2     ", plain),
        ("automl-sparse, Ray, 2 tasks", ours),
    ):
        rate, per_trial = args.trials / seconds, 1000 * seconds / args.trials
        print(f"{label}: {rate:.1f} trials/s ({per_trial:.1f} ms/trial)")
    print(f"per-trial overhead         : {1000 * (ours - plain) / args.trials:+.1f} ms")
    print(f"study start-up (included)  : {1000 * statistics.median(startups):.0f} ms")
    print(f"throughput ratio           : {plain / ours:.2f} (target >= 0.80)")
    each = ", ".join(f"{p / o:.2f}" for p, o in zip(plains, ourses, strict=True))
    print(f"ratio of each run          : {each}")
    memory: dict[int, int] = {}
    long, _ = automl_sparse(url, folder, args.long, memory)
    print(f"{args.long} trials               : {long:.1f} s ({args.long / long:.1f} trials/s)")
    print(f"coordinator RSS after 100  : {memory[100] / _MIB:.0f} MiB")
    print(
        f"coordinator RSS after {args.long} : {memory[args.long] / _MIB:.0f} MiB "
        f"({100 * (memory[args.long] / memory[100] - 1):+.1f}%, target within 10%)"
    )
    ray.shutdown()


if __name__ == "__main__":
    main()
