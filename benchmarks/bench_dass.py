"""DASS against hand-designed networks pruned to the same sparsity by the same HYDRA recipe.

    python benchmarks/bench_dass.py [--image-size 16] [--sparsity 0.9] [--lr 0.025]
        [--arch-lr 3e-3] [--eval-channels 8] [--seed 0] [--threads 1]

Data: ``digits`` at ``--image-size`` (16 by default, the smallest LeNet-5 accepts), the split of
seed 0 that every study here uses. Rows:

- ``dass``: the ``dass`` pipeline itself (``automl_sparse.pipeline.run_dass``) with the settings
  of ``studies/dass_mnist.yaml`` (its searched values given on the command line): supernet
  search (3 dense + 1 prune + 2 fine-tune epochs), then the found cells pretrained, pruned by
  HYDRA scores and fine-tuned (8 + 4 + 8 epochs).
- ``lenet5 hydra`` and ``kerasnet hydra``: the model with every prunable layer a HYDRA score
  layer (``to_scored``), trained by the same ``automl_sparse.dass.hydra_train`` at the same
  sparsity, learning rate, batch size and epochs (8 + 4 + 8), then ``from_scored``.

Every network is measured after ``from_scored`` by the library's counters: test accuracy,
sparsity over prunable weights, nonzero parameters, FLOPs (2 x kept MACs) and wall time.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import torch

from automl_sparse.config import load_study_config
from automl_sparse.dass import hydra_train
from automl_sparse.data import DataSplits
from automl_sparse.models import create_model
from automl_sparse.pipeline import (
    DASS_PARAM_NAMES,
    DassParams,
    TrialContext,
    run_dass,
    study_data,
)
from automl_sparse.pruning import count_flops, count_params, from_scored, sparsity, to_scored
from automl_sparse.storage import keys
from automl_sparse.training import evaluate

STUDY = os.path.join(os.path.dirname(__file__), "..", "studies", "dass_mnist.yaml")
BASELINES = ("lenet5", "kerasnet")


def _dass(args: argparse.Namespace) -> tuple[dict[str, Any], DataSplits, dict[str, Any]]:
    config, _ = load_study_config(STUDY, storage="sqlite://")
    config = config.model_copy(
        update={"data": config.data.model_copy(update={"image_size": args.image_size})}
    )
    assert not isinstance(config.space, str)
    params = {name: getattr(spec, "value", None) for name, spec in config.space.params.items()}
    params.update(
        sparsity=args.sparsity, lr=args.lr, arch_lr=args.arch_lr, eval_channels=args.eval_channels
    )
    context = TrialContext(config, params, seed=args.seed, dense_path=os.devnull)  # type: ignore[arg-type]
    started = time.perf_counter()
    metrics = run_dass(context)
    metrics["wall_s"] = time.perf_counter() - started
    return metrics, study_data(config), params


def _baseline(name: str, data: DataSplits, params: dict[str, Any], seed: int) -> dict[str, Any]:
    hp = DassParams(**{k: v for k, v in params.items() if k in DASS_PARAM_NAMES})
    torch.manual_seed(seed)
    channels, side, _ = data.input_shape
    model = create_model(name, num_classes=data.num_classes, in_channels=channels, input_size=side)
    to_scored(model, 0.0)
    started = time.perf_counter()
    hydra_train(model, data, hp.sparsity, hp.hydra_schedule(), seed=seed)
    from_scored(model)
    return {
        keys.TEST_ACCURACY: evaluate(model, data.test)[1],
        keys.SPARSITY: sparsity(model),
        keys.NONZERO_PARAMS: count_params(model),
        keys.FLOPS: count_flops(model, data.input_shape),
        "wall_s": time.perf_counter() - started,
    }


def _row(name: str, m: dict[str, Any]) -> str:
    return (
        f"| {name} | {m[keys.TEST_ACCURACY]:.3f} | {m[keys.SPARSITY]:.3f} | "
        f"{m[keys.NONZERO_PARAMS]:,} | {m[keys.FLOPS]:,} | {m['wall_s']:.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=16)
    parser.add_argument("--sparsity", type=float, default=0.9)
    parser.add_argument("--lr", type=float, default=0.025)
    parser.add_argument("--arch-lr", type=float, default=3e-3)
    parser.add_argument("--eval-channels", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    dass, data, params = _dass(args)
    print(f"genotype: {dass[keys.GENOTYPE]}")
    print(f"search: {dass[keys.SEARCH_SECONDS]:.0f} s of {dass['wall_s']:.0f} s")
    print("| network | test accuracy | sparsity | nonzero params | FLOPs | wall s |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(_row("dass", dass), flush=True)
    for name in BASELINES:
        print(_row(f"{name} hydra", _baseline(name, data, params, args.seed)), flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
