"""Physical shrinking of rotated-ReLU networks: parameters, FLOPs, outputs and CPU latency.

    python benchmarks/bench_shrink.py [--models lenet5 kerasnet] [--fraction 0.5] [--threads 1]
        [--reps-1 300] [--reps-256 30]

For LeNet-5 (1x28x28) and KerasNet (3x32x32) with ``activation="rotated_relu"`` (one slope per
channel): the slopes are shaped by a forward pass, ``fraction`` of the channels of every
activation slot (a seeded random choice, ``round(fraction * C)`` per slot) get slope 0 and
``prune_rotated_slopes(model, 0.0)`` kills them (their ``alive`` flag is cleared), so the
network computes with dead channels still present ("masked"). ``shrink(model, input_shape)``
then returns the physically smaller network ("shrunk").

Printed per model: ``count_params`` and ``count_flops`` (FLOPs = 2 x multiply-accumulates of
conv and linear layers, the library's convention) of both, the max absolute difference of their
outputs on a random batch of 256 in eval mode (must be <= 1e-5), and the eval-mode forward
latency under ``torch.inference_mode()`` at batch 1 and batch 256: both networks take turns
call by call after a warm-up, median (and fastest) of ``reps`` calls each, speedup =
masked / shrunk. ``torch.set_num_threads(threads)``, 1 by default (the dev machine is a shared
2-core box); the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch
from torch import nn

from automl_sparse.activations import materialize_activations, prune_rotated_slopes
from automl_sparse.models import create_model
from automl_sparse.pruning import count_flops, count_params, shrink, sloped_activations

INPUTS = {"lenet5": (1, 28), "kerasnet": (3, 32)}
OUTPUT_TOLERANCE = 1e-5


def masked_model(name: str, fraction: float) -> tuple[nn.Module, int, int]:
    """A rotated-ReLU model with ``fraction`` of every slot's channels dead; (model, dead, all)."""
    torch.manual_seed(0)
    channels, side = INPUTS[name]
    model = create_model(name, activation="rotated_relu", in_channels=channels, input_size=side)
    materialize_activations(model, torch.zeros(2, channels, side, side))
    gen = torch.Generator().manual_seed(1)
    dead = total = 0
    with torch.no_grad():
        for module in sloped_activations(model).values():
            size = module.slope.numel()
            kill = torch.randperm(size, generator=gen)[: round(fraction * size)]
            module.slope[kill] = 0.0
            dead, total = dead + len(kill), total + size
    prune_rotated_slopes(model, 0.0)
    return model.eval(), dead, total


def latency(models: list[nn.Module], x: torch.Tensor, reps: int) -> list[tuple[float, float]]:
    """(median, fastest) seconds of one forward of each model, taking turns call by call."""
    times: list[list[float]] = [[] for _ in models]
    with torch.inference_mode():
        for model in models:
            for _ in range(max(3, reps // 10)):
                model(x)
        for _ in range(reps):
            for i, model in enumerate(models):
                started = time.perf_counter()
                model(x)
                times[i].append(time.perf_counter() - started)
    return [(statistics.median(t), min(t)) for t in times]


def run(name: str, fraction: float, reps_1: int, reps_256: int) -> dict:
    masked, dead, total = masked_model(name, fraction)
    channels, side = INPUTS[name]
    shape = (channels, side, side)
    shrunk = shrink(masked, shape).eval()
    x = torch.randn(256, *shape, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        diff = float((masked(x) - shrunk(x)).abs().max())
    lat = {
        batch: latency([masked, shrunk], x[:batch].contiguous(), reps)
        for batch, reps in ((1, reps_1), (256, reps_256))
    }
    return {
        "name": name,
        "dead": dead,
        "channels": total,
        "params": (count_params(masked), count_params(shrunk)),
        "flops": (count_flops(masked, shape), count_flops(shrunk, shape)),
        "diff": diff,
        "latency": lat,
    }


def print_tables(rows: list[dict]) -> None:
    print(
        "\n| model | dead channels | params masked | params shrunk | params kept "
        "| FLOPs masked | FLOPs shrunk | FLOPs kept | max abs output diff |"
        "\n|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    for r in rows:
        (p0, p1), (f0, f1) = r["params"], r["flops"]
        ok = "ok" if r["diff"] <= OUTPUT_TOLERANCE else "MISS"
        print(
            f"| {r['name']} | {r['dead']}/{r['channels']} | {p0:,} | {p1:,} | {p1 / p0:.1%} "
            f"| {f0:,} | {f1:,} | {f1 / f0:.1%} | {r['diff']:.2e} ({ok}, <= 1e-5) |"
        )
    print(
        "\n| model | batch | masked median ms | shrunk median ms | speedup (median) "
        "| masked fastest ms | shrunk fastest ms | speedup (fastest) |"
        "\n|---|---:|---:|---:|---:|---:|---:|---:|"
    )
    for r in rows:
        for batch, ((m0, f0), (m1, f1)) in r["latency"].items():
            print(
                f"| {r['name']} | {batch} | {1e3 * m0:.3f} | {1e3 * m1:.3f} | {m0 / m1:.2f}x "
                f"| {1e3 * f0:.3f} | {1e3 * f1:.3f} | {f0 / f1:.2f}x |"
            )


def _load() -> str:
    return ", ".join(f"{v:.1f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=list(INPUTS), choices=list(INPUTS))
    parser.add_argument("--fraction", type=float, default=0.5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps-1", type=int, default=300)
    parser.add_argument("--reps-256", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"torch {torch.__version__}, threads {torch.get_num_threads()}, dead fraction "
        f"{args.fraction} per slot, latency: median of {args.reps_1} (batch 1) and "
        f"{args.reps_256} (batch 256) eval forwards each, alternating; {os.cpu_count()} CPUs, "
        f"load average (1, 5, 15 min) {_load()}"
    )
    rows = [run(name, args.fraction, args.reps_1, args.reps_256) for name in args.models]
    print_tables(rows)
    print(f"\nload average after: {_load()}")
    if any(r["diff"] > OUTPUT_TOLERANCE for r in rows):
        raise SystemExit("shrunk outputs differ from the masked network's by more than 1e-5")


if __name__ == "__main__":
    main()
