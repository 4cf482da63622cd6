"""The SAFS table at CPU scale, against automl-sparse's joint search at the same wall clock.

    python benchmarks/bench_safs_table.py --seeds 0 1 2 [--out-dir benchmarks/results]

LeNet-5 on mnist-5k at sparsity 0.99, per seed (the seed also draws the data split):

- dense: the dense network every column starts from (trained once per seed, shared);
- magnitude: layer-wise one-shot magnitude pruning (LWM), ReLU, retrained with SAFS's fixed
  fine-tuning (one trial of ``search_spaces/safs.yaml`` with ``activation: relu``);
- stage 1: the best trial of ``studies/safs_lenet5_mnist.yaml``'s first phase (LAHC genome);
- stage 2: SAFS's stage 2 alone: SMAC over fine-tuning on the ReLU network;
- SAFS: the best trial of the study file's second phase (both phases);
- joint: ``studies/joint_lenet5_mnist.yaml`` (TPE, median stopping) with a timeout equal to the
  SAFS recipe's wall time (both phases), and how soon it beat SAFS's final test accuracy.

Every column reports the test accuracy of the trial with the best validation accuracy (the
test split never selects). Wall times exclude the dense network, which all columns share.
Prints one row per seed and the mean and standard deviation; with ``--out-dir`` also writes
the rows as JSON and a plot of the joint search's best-so-far test accuracy against time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import optuna
import yaml

from automl_sparse.storage import keys, quiet_optuna
from automl_sparse.study import create

ROOT = Path(__file__).resolve().parent.parent
SAFS_STUDY = ROOT / "studies" / "safs_lenet5_mnist.yaml"
JOINT_STUDY = ROOT / "studies" / "joint_lenet5_mnist.yaml"
SAFS_SPACE = ROOT / "search_spaces" / "safs.yaml"
JOINT_SPACE = ROOT / "search_spaces" / "joint.yaml"
_MANY_TRIALS = 100_000
"""The joint search's trial budget: its timeout ends it."""


@dataclass
class SeedRow:
    """One seed's column values (test accuracy) and wall times (seconds)."""

    seed: int
    dense: float = 0.0
    magnitude: float = 0.0
    stage1: float = 0.0
    stage2: float = 0.0
    safs: float = 0.0
    joint: float = 0.0
    safs_seconds: float = 0.0
    stage2_seconds: float = 0.0
    joint_seconds: float = 0.0
    joint_trials: int = 0
    joint_beats_safs_after_s: float | None = None
    joint_reaches_085_after_s: float | None = None
    joint_curve: list[tuple[float, float]] = field(default_factory=list)


def _yaml(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def _space(path: Path) -> dict[str, Any]:
    raw = _yaml(path)
    return dict(raw.get("space", raw))


def _run(study: dict[str, Any], work: Path, url: str) -> tuple[optuna.Study, float, datetime]:
    """Create and run a study dict; return its last study, the run's wall time and start."""
    path = work / f"{study['name']}.yaml"
    path.write_text(yaml.safe_dump(study, sort_keys=False))
    prepared = create(path, storage=url)
    started, clock = datetime.now(), time.perf_counter()
    last = prepared.run(log=lambda _: None)
    return last, time.perf_counter() - clock, started


def _best_test(study: optuna.Study) -> float:
    return float(study.best_trial.user_attrs[keys.TEST_ACCURACY])


def _phase(url: str, plan: str, phase: str) -> optuna.Study:
    return optuna.load_study(study_name=f"{plan}.{phase}", storage=url)


def _common(seed: int, work: Path) -> dict[str, Any]:
    return {"seed": seed, "artifacts": str(work / "artifacts")}


def magnitude_baseline(seed: int, work: Path, url: str) -> tuple[float, float]:
    """One trial: LWM at 0.99, ReLU, SAFS's fixed fine-tuning. Returns (dense, pruned) test."""
    study = _yaml(SAFS_STUDY) | _common(seed, work)
    study |= {
        "name": f"magnitude-s{seed}",
        "space": _space(SAFS_SPACE) | {"activation": "relu"},
        "sampler": {"name": "random"},
        "budget": {"n_trials": 1},
        "phases": [],
    }
    last, _, _ = _run(study, work, url)
    return float(last.user_attrs[keys.STUDY_DENSE]["test_accuracy"]), _best_test(last)


def _phase_budgets(study: dict[str, Any], phase_trials: int | None) -> dict[str, Any]:
    """``--phase-trials``: every phase's budget set to it, for a quick check of this script."""
    if phase_trials is None:
        return study
    budget = {"n_trials": phase_trials}
    return study | {"phases": [p | {"budget": budget} for p in study["phases"]]}


def safs_recipe(
    seed: int, work: Path, url: str, phase_trials: int | None
) -> tuple[float, float, float]:
    """Both phases of the SAFS study file. Returns (stage 1 test, SAFS test, wall seconds)."""
    name = f"safs-s{seed}"
    study = _yaml(SAFS_STUDY) | _common(seed, work) | {"name": name, "space": _space(SAFS_SPACE)}
    last, seconds, _ = _run(_phase_budgets(study, phase_trials), work, url)
    return _best_test(_phase(url, name, "stage1")), _best_test(last), seconds


def stage2_alone(seed: int, work: Path, url: str, phase_trials: int | None) -> tuple[float, float]:
    """SAFS's stage 2 on the ReLU network (no genome search). Returns (test, wall seconds)."""
    safs = _yaml(SAFS_STUDY)
    stage2 = next(p for p in safs["phases"] if p["name"] == "stage2")
    stage2 = {k: v for k, v in stage2.items() if k != "carry"}
    study = safs | _common(seed, work)
    study |= {
        "name": f"stage2-s{seed}",
        "space": _space(SAFS_SPACE) | {"activation": "relu"},
        "phases": [stage2],
    }
    last, seconds, _ = _run(_phase_budgets(study, phase_trials), work, url)
    return _best_test(last), seconds


def _curve(study: optuna.Study, started: datetime) -> list[tuple[float, float]]:
    """(seconds since start, test accuracy of the best-by-validation trial so far)."""
    done = [
        t
        for t in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
        if t.datetime_complete is not None
    ]
    done.sort(key=lambda t: t.datetime_complete)  # type: ignore[arg-type, return-value]
    curve, best_val = [], -1.0
    for trial in done:
        if trial.value is not None and trial.value > best_val:
            best_val = trial.value
            seconds = (trial.datetime_complete - started).total_seconds()  # type: ignore[operator]
            curve.append((seconds, float(trial.user_attrs[keys.TEST_ACCURACY])))
    return curve


def _first_at_least(curve: list[tuple[float, float]], level: float) -> float | None:
    return next((seconds for seconds, test in curve if test >= level), None)


def joint_search(seed: int, work: Path, url: str, seconds: float, row: SeedRow) -> None:
    """The joint study with a timeout of ``seconds``; fills the joint fields of ``row``."""
    study = _yaml(JOINT_STUDY) | _common(seed, work)
    study |= {
        "name": f"joint-s{seed}",
        "space": _space(JOINT_SPACE),
        "budget": {"n_trials": _MANY_TRIALS, "timeout": seconds},
    }
    last, row.joint_seconds, started = _run(study, work, url)
    row.joint = _best_test(last)
    row.joint_trials = len(last.trials)
    row.joint_curve = _curve(last, started)
    row.joint_beats_safs_after_s = _first_at_least(row.joint_curve, row.safs + 1e-9)
    row.joint_reaches_085_after_s = _first_at_least(row.joint_curve, 0.85)


def run_seed(seed: int, phase_trials: int | None = None) -> SeedRow:
    work = Path(tempfile.mkdtemp(prefix=f"bench-safs-{seed}-"))
    url = f"sqlite:///{work / 'studies.db'}"
    row = SeedRow(seed)
    row.dense, row.magnitude = magnitude_baseline(seed, work, url)
    row.stage1, row.safs, row.safs_seconds = safs_recipe(seed, work, url, phase_trials)
    row.stage2, row.stage2_seconds = stage2_alone(seed, work, url, phase_trials)
    joint_search(seed, work, url, row.safs_seconds, row)
    return row


_COLUMNS = ("dense", "magnitude", "stage1", "stage2", "safs", "joint")


def _fmt_s(value: float | None) -> str:
    return "never" if value is None else f"{value:.0f} s"


def print_row(row: SeedRow) -> None:
    values = " | ".join(f"{getattr(row, c):.3f}" for c in _COLUMNS)
    print(
        f"| {row.seed} | {values} | {row.safs_seconds:.0f} s | {row.joint_trials} | "
        f"{_fmt_s(row.joint_beats_safs_after_s)} | {_fmt_s(row.joint_reaches_085_after_s)} |",
        flush=True,
    )


def print_summary(rows: list[SeedRow]) -> None:
    def mean_sd(values: list[float]) -> str:
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{statistics.mean(values):.3f} ± {spread:.3f}"

    cells = " | ".join(mean_sd([getattr(r, c) for r in rows]) for c in _COLUMNS)
    print(f"| mean ± sd ({len(rows)} seeds) | {cells} |")
    shares = [
        r.joint_beats_safs_after_s / r.safs_seconds
        for r in rows
        if r.joint_beats_safs_after_s is not None
    ]
    print(
        f"joint beat SAFS's final test accuracy in {len(shares)} of {len(rows)} seeds; "
        f"time to beat it as a share of SAFS's wall time: "
        + (", ".join(f"{s:.2f}" for s in shares) or "-")
    )


def plot(rows: list[SeedRow], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4))
    for row, colour in zip(rows, ("C0", "C1", "C2", "C3", "C4"), strict=False):
        times = [0.0] + [t for t, _ in row.joint_curve] + [row.joint_seconds]
        tests = [0.0] + [a for _, a in row.joint_curve]
        tests.append(tests[-1])
        axes.step(times, tests, where="post", color=colour, label=f"joint, seed {row.seed}")
        axes.axhline(row.safs, color=colour, linestyle="--", linewidth=1)
        axes.axvline(row.safs_seconds / 3, color=colour, linestyle=":", linewidth=1)
    axes.set_xlabel("seconds since the search started")
    axes.set_ylabel("test accuracy of the best-by-validation trial")
    axes.set_title(
        "joint search vs SAFS's final accuracy (dashed); a third of SAFS's time (dotted)"
    )
    axes.title.set_fontsize(9)
    axes.set_ylim(0, 1)
    axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out-dir", type=Path, default=None)
    parser.add_argument(
        "--phase-trials", type=int, default=None, help="override every SAFS phase's budget"
    )
    args = parser.parse_args()
    quiet_optuna()
    header = " | ".join(_COLUMNS)
    print(f"| seed | {header} | SAFS wall | joint trials | joint beats SAFS | joint >= 0.85 |")
    rows = []
    for seed in args.seeds:
        rows.append(run_seed(seed, args.phase_trials))
        print_row(rows[-1])
    print_summary(rows)
    if args.out_dir:
        args.out_dir.mkdir(parents=True, exist_ok=True)
        (args.out_dir / "safs_table.json").write_text(
            json.dumps([asdict(r) for r in rows], indent=2)
        )
        plot(rows, args.out_dir / "safs_table.png")
        print(f"wrote {args.out_dir / 'safs_table.json'} and {args.out_dir / 'safs_table.png'}")


if __name__ == "__main__":
    main()
