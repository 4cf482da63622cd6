"""Training-step time and saved-for-backward memory of LeNet-5 with each learnable activation.

    python benchmarks/bench_activations.py [--threads 1] [--steps 40] [--warmup 5] [--batch 256]

One step is forward + cross-entropy + backward + ``Adam.step`` of
``create_model("lenet5", activation=...)`` on a random ``(batch, 1, 28, 28)`` batch on the CPU,
with ``torch.set_num_threads(threads)``. The default is 1 thread: on the shared 2-core dev
machine a 2-thread OpenMP region waits for whichever core another process holds (an elementwise
kernel then takes ~8 ms instead of 0.15 ms), so 2-thread figures measure the neighbours. Every
configuration is warmed up, then the configurations take turns step by step (round robin, so
that load from other processes hits them all alike); the median step time of each is divided
by ReLU's, and so is the fastest step (the least disturbed one) as a cross-check.

Memory is the bytes of the distinct storages saved for backward during the forward pass
(``torch.autograd.graph.saved_tensors_hooks``; parameters left out, the input batch and pooling
indices counted), which is deterministic on the CPU and is what grows with the batch on an
accelerator. Targets (issue 3): time at most 1.5x ReLU, memory at most 1.3x.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from automl_sparse.activations import create_activation, materialize_activations
from automl_sparse.models import create_model

TIME_TARGET = 1.5
MEMORY_TARGET = 1.3


@dataclass(frozen=True)
class Config:
    """One row of the table: an activation name and its keyword arguments."""

    label: str
    name: str
    kwargs: tuple[tuple[str, object], ...] = ()

    def factory(self) -> Callable[[str], nn.Module]:
        return lambda _slot: create_activation(self.name, **dict(self.kwargs))


CONFIGS: tuple[Config, ...] = (
    Config("relu", "relu"),
    Config("leaf (relu init, layer)", "leaf"),
    Config("ahaf (relu init, layer)", "ahaf"),
    Config("fneuron (tanh init, layer)", "fneuron"),
    Config("rotated_relu (channel)", "rotated_relu"),
    Config("rotated_gelu (channel)", "rotated_gelu"),
    Config("rotated_silu (channel)", "rotated_silu"),
    Config("safs_swish", "safs_swish"),
    Config("safs_tanhsoft1", "safs_tanhsoft1"),
    Config("safs_acon_c", "safs_acon_c"),
    Config("safs_srs", "safs_srs"),
    Config("leaf (channel)", "leaf", (("sharing", "channel"),)),
    Config("leaf (element)", "leaf", (("sharing", "element"),)),
    Config("ahaf (element)", "ahaf", (("sharing", "element"),)),
    Config("fneuron (element)", "fneuron", (("sharing", "element"),)),
)


class Step:
    """A LeNet-5 with one activation configuration, its Adam optimizer and a fixed batch."""

    def __init__(self, config: Config, x: torch.Tensor, target: torch.Tensor) -> None:
        torch.manual_seed(0)
        self.model = create_model("lenet5", activation=config.factory())
        materialize_activations(self.model, x[:2])
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.x, self.target = x, target

    def loss(self) -> torch.Tensor:
        return nn.functional.cross_entropy(self.model(self.x), self.target)

    def __call__(self) -> float:
        started = time.perf_counter()
        self.optimizer.zero_grad(set_to_none=True)
        self.loss().backward()
        self.optimizer.step()
        return time.perf_counter() - started

    def saved_bytes(self) -> int:
        """Bytes of the distinct non-parameter storages that autograd saves for backward."""
        params = {p.untyped_storage().data_ptr() for p in self.model.parameters()}
        storages: dict[int, int] = {}

        def pack(t: torch.Tensor) -> torch.Tensor:
            storage = t.untyped_storage()
            if storage.data_ptr() not in params:
                storages[storage.data_ptr()] = storage.nbytes()
            return t

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            loss = self.loss()
        del loss
        return sum(storages.values())


def run(configs: tuple[Config, ...], batch: int, steps: int, warmup: int) -> list[dict]:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(batch, 1, 28, 28, generator=gen)
    target = torch.randint(10, (batch,), generator=gen)
    runners = [Step(c, x, target) for c in configs]
    for runner in runners:
        for _ in range(warmup):
            runner()
    times: list[list[float]] = [[] for _ in runners]
    for _ in range(steps):
        for i, runner in enumerate(runners):
            times[i].append(runner())
    return [
        {
            "label": c.label,
            "median_ms": 1e3 * statistics.median(t),
            "min_ms": 1e3 * min(t),
            "saved_mb": r.saved_bytes() / 2**20,
        }
        for c, r, t in zip(configs, runners, times, strict=True)
    ]


def print_table(rows: list[dict]) -> None:
    base = rows[0]
    print(
        "| activation | median step ms | median vs relu | fastest step vs relu "
        "| saved MiB | memory vs relu |\n|---|---:|---:|---:|---:|---:|"
    )
    for row in rows:
        t = row["median_ms"] / base["median_ms"]
        fastest = row["min_ms"] / base["min_ms"]
        m = row["saved_mb"] / base["saved_mb"]
        print(
            f"| {row['label']} | {row['median_ms']:.2f} | {t:.2f}x{_miss(t, TIME_TARGET)} "
            f"| {fastest:.2f}x | {row['saved_mb']:.2f} | {m:.2f}x{_miss(m, MEMORY_TARGET)} |"
        )


def _miss(ratio: float, target: float) -> str:
    return "" if ratio <= target else " (miss)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--only", nargs="*", help="activation names to run (relu always runs)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    configs = CONFIGS
    if args.only:
        configs = (CONFIGS[0], *(c for c in CONFIGS[1:] if c.name in args.only))
    print(
        f"torch {torch.__version__}, threads {torch.get_num_threads()}, batch {args.batch}, "
        f"{args.steps} timed steps each after {args.warmup} warmup, round robin"
    )
    print_table(run(configs, args.batch, args.steps, args.warmup))


if __name__ == "__main__":
    main()
