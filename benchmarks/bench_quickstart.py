"""Run the quickstart study as a new user would and print its figures.

    python benchmarks/bench_quickstart.py [--study studies/quickstart.yaml]

Runs ``automl-sparse launch`` in a fresh temporary storage and artifact directory (so the dense
network is trained inside the measurement), samples the memory of the whole process tree
(coordinator and workers) every 0.2 s, and prints: wall time, trials by state, dense
trainings, the best network's sparsity and test accuracy, and peak memory.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna
import psutil
import yaml

_SAMPLE_S = 0.2


def tree_rss(process: psutil.Process) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    total = 0
    for p in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def run(study_file: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-quickstart-"))
    study = yaml.safe_load(study_file.read_text())
    study["artifacts"] = str(work / "artifacts")
    copy = work / study_file.name
    copy.write_text(yaml.safe_dump(study, sort_keys=False))
    url = f"sqlite:///{work / 'bench.db'}"
    command = [
        sys.executable,
        "-c",
        "from automl_sparse.cli import main; main()",
        "launch",
        str(copy),
        "--storage",
        url,
    ]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watcher = psutil.Process(child.pid)
    peak = 0
    while child.poll() is None:
        peak = max(peak, tree_rss(watcher))
        time.sleep(_SAMPLE_S)
    wall = time.perf_counter() - started
    output = child.stdout.read() if child.stdout else ""
    if child.returncode != 0:
        print(output)
        raise SystemExit(f"launch failed with exit code {child.returncode}")
    loaded = optuna.load_study(study_name=study["name"], storage=url)
    states: dict[str, int] = {}
    for trial in loaded.trials:
        states[trial.state.name] = states.get(trial.state.name, 0) + 1
    best = loaded.best_trial
    dense_files = list((work / "artifacts" / "dense").glob("*.pt"))
    print(f"study file          : {study_file}")
    print(f"wall time           : {wall:.1f} s")
    print(f"trials by state     : {states}")
    print(f"dense trainings     : {output.count('training the dense')} ({len(dense_files)} file)")
    print(f"best trial          : #{best.number}, val accuracy {best.value:.4f}")
    print(f"best sparsity       : {best.user_attrs['sparsity']:.4f}")
    print(f"best test accuracy  : {best.user_attrs['test_accuracy']:.4f}")
    print(f"best activations    : {best.user_attrs['activations']}")
    print(f"peak memory (tree)  : {peak / 2**20:.0f} MiB")
    shutil.rmtree(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", type=Path, default=Path("studies/quickstart.yaml"))
    run(parser.parse_args().study)


if __name__ == "__main__":
    main()
