"""Training-step time of masked and HYDRA score-layer networks against the dense step (CPU).

    python benchmarks/bench_pruning.py [--models lenet5 kerasnet] [--threads 1] [--steps 40]
        [--warmup 5] [--batch 256] [--no-diagnostics]

One step is ``zero_grad`` + forward + cross-entropy + backward + ``SGD.step`` (lr 0.01, momentum
0.9, weight decay 5e-4) on a fixed random batch (LeNet-5: ``(batch, 1, 28, 28)``, KerasNet:
``(batch, 3, 32, 32)``), ReLU activations, in train mode, with ``torch.set_num_threads(threads)``.
Rows:

- ``dense``: the plain network.
- ``masked 0.9 (keep_masks)``: ``prune(model, "magnitude", 0.9, scope="layer")`` and
  ``keep_masks(optimizer, model)``, exactly as the training loop installs it (a gradient hook
  on every masked weight plus an optimizer post-step hook that re-applies every mask).
- ``torch prune hooks 0.9``: ``torch.nn.utils.prune.l1_unstructured`` on every conv and linear
  weight, the reference (a forward pre-hook computes ``weight = weight_orig * weight_mask``).
- ``hydra scores`` / ``hydra weights``: ``to_scored(model, 0.9)`` (density 0.1) and
  ``set_scored_phase(model, "scores" | "weights")``; the optimizer gets the trainable parameters.

Diagnostic rows (left out with ``--no-diagnostics``), to see where the masked and HYDRA overheads
come from; none of them changes library code, they only build the model differently:

- ``masked, grad hook only``: the masks' gradient hooks (installed by ``attach_mask``) without
  the post-step hook.
- ``masked, post-step only``: the post-step ``apply_masks`` without gradient hooks.
- ``masked, foreach pre+post``: a candidate replacement for ``keep_masks`` with the same
  guarantee for SGD/Adam/AdamW (masked gradients are zero when the optimizer reads them, masked
  weights are zero after every step): an optimizer *pre*-step hook multiplies all masked
  gradients by their masks with one ``torch._foreach_mul_`` and a post-step hook multiplies all
  masked weights with another, over a list of layers collected once (the current mask of each is
  read at every step, so masks attached or replaced later are honoured); no tensor hooks.
- ``hydra scores/weights, top-k kept``: the score mask built from ``topk`` of the *kept* (10%)
  largest ``|S|`` (``sorted=False``) instead of the pruned (90%) smallest; same number of kept
  weights per layer (ties at the threshold may pick a different weight).

Every configuration is warmed up, then they take turns step by step (round robin, so that load
from other processes hits them all alike). Each step is timed twice: wall clock
(``perf_counter``) and the CPU time of the calling thread (``thread_time``; with one thread the
forward, the backward and the optimizer step all run on it), which leaves out the time the
process waits for a core on a loaded machine. The median of each is divided by the dense
median, and so is the fastest wall-clock step (the least disturbed one) as a cross-check. The
load average is printed before and after. Targets (issue 4): masked <= 1.05x dense, HYDRA <= 1.3x.

Last, the cost of the post-step part of ``keep_masks`` alone is printed: one
``apply_masks(model)`` call against one ``torch._foreach_mul_`` over the same weights and masks
(median of 300 calls each).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn.utils import prune as torch_prune

from automl_sparse.models import create_model
from automl_sparse.pruning import (
    PRUNABLE_TYPES,
    SparseConv2d,
    SparseLinear,
    apply_masks,
    keep_masks,
    masked_layers,
    prune,
    set_scored_phase,
    to_scored,
    weight_layers,
)

SPARSITY = 0.9
MASKED_TARGET = 1.05
HYDRA_TARGET = 1.3
INPUTS = {"lenet5": (1, 28), "kerasnet": (3, 32)}


def _model(name: str) -> nn.Module:
    torch.manual_seed(0)
    channels, side = INPUTS[name]
    return create_model(name, activation="relu", in_channels=channels, input_size=side)


def _sgd(params: Any) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=5e-4)


def _trainable(model: nn.Module) -> list[nn.Parameter]:
    return [p for p in model.parameters() if p.requires_grad]


def _drop_grad_hooks(model: nn.Module) -> None:
    """Give every masked layer a fresh weight Parameter, which carries no gradient hook."""
    for _, module in masked_layers(model):
        module.weight = nn.Parameter(module.weight.detach().clone())


def dense(name: str) -> tuple[nn.Module, torch.optim.Optimizer]:
    model = _model(name)
    return model, _sgd(model.parameters())


def masked(name: str) -> tuple[nn.Module, torch.optim.Optimizer]:
    model = _model(name)
    prune(model, "magnitude", SPARSITY, scope="layer")
    optimizer = _sgd(model.parameters())
    keep_masks(optimizer, model)
    return model, optimizer


def masked_grad_hook_only(name: str) -> tuple[nn.Module, torch.optim.Optimizer]:
    model = _model(name)
    prune(model, "magnitude", SPARSITY, scope="layer")
    return model, _sgd(model.parameters())


def masked_post_step_only(name: str) -> tuple[nn.Module, torch.optim.Optimizer]:
    model = _model(name)
    prune(model, "magnitude", SPARSITY, scope="layer")
    _drop_grad_hooks(model)
    optimizer = _sgd(model.parameters())
    optimizer.register_step_post_hook(lambda *_: apply_masks(model))
    return model, optimizer


def keep_masks_foreach(optimizer: torch.optim.Optimizer, model: nn.Module) -> None:
    """The candidate ``keep_masks``: one foreach multiply before and one after each step."""
    layers = list(weight_layers(model).values())

    def pairs(grads: bool) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        tensors, masks = [], []
        for layer in layers:
            mask = layer._buffers.get("weight_mask")
            tensor = layer.weight.grad if grads else layer.weight
            if mask is not None and tensor is not None:
                tensors.append(tensor)
                masks.append(mask)
        return tensors, masks

    @torch.no_grad()
    def multiply(grads: bool) -> None:
        tensors, masks = pairs(grads)
        if tensors:
            torch._foreach_mul_(tensors, masks)

    optimizer.register_step_pre_hook(lambda *_: multiply(grads=True))
    optimizer.register_step_post_hook(lambda *_: multiply(grads=False))


def masked_foreach(name: str) -> tuple[nn.Module, torch.optim.Optimizer]:
    model = _model(name)
    prune(model, "magnitude", SPARSITY, scope="layer")
    _drop_grad_hooks(model)
    optimizer = _sgd(model.parameters())
    keep_masks_foreach(optimizer, model)
    return model, optimizer


def torch_hooks(name: str) -> tuple[nn.Module, torch.optim.Optimizer]:
    model = _model(name)
    for module in model.modules():
        if isinstance(module, PRUNABLE_TYPES):
            torch_prune.l1_unstructured(module, "weight", amount=SPARSITY)
    return model, _sgd(model.parameters())


class _KeptTopK(torch.autograd.Function):
    """Score mask from the top-k of the kept scores; straight-through gradient."""

    @staticmethod
    def forward(ctx: Any, scores: torch.Tensor, sparsity: float) -> torch.Tensor:
        flat = scores.detach().abs().flatten()
        kept = flat.numel() - round(sparsity * flat.numel())
        mask = torch.zeros_like(flat)
        mask[torch.topk(flat, kept, largest=True, sorted=False).indices] = 1.0
        return mask.view_as(scores)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return grad, None


def _kept_topk(model: nn.Module) -> None:
    for module in model.modules():
        if isinstance(module, SparseConv2d | SparseLinear):
            module.score_mask = lambda m=module: _KeptTopK.apply(m.scores, m.sparsity)


def hydra(phase: str, kept_topk: bool = False) -> Callable[[str], Any]:
    def build(name: str) -> tuple[nn.Module, torch.optim.Optimizer]:
        model = to_scored(_model(name), SPARSITY)
        if kept_topk:
            _kept_topk(model)
        return model, _sgd(set_scored_phase(model, phase))  # type: ignore[arg-type]

    return build


CONFIGS: tuple[tuple[str, Callable[[str], Any], float | None, bool], ...] = (
    # label, builder, target, diagnostic
    ("dense", dense, None, False),
    ("masked 0.9 (keep_masks)", masked, MASKED_TARGET, False),
    ("torch prune hooks 0.9", torch_hooks, None, False),
    ("hydra scores (density 0.1)", hydra("scores"), HYDRA_TARGET, False),
    ("hydra weights (density 0.1)", hydra("weights"), HYDRA_TARGET, False),
    ("diag: masked, grad hook only", masked_grad_hook_only, None, True),
    ("diag: masked, post-step only", masked_post_step_only, None, True),
    ("diag: masked, foreach pre+post", masked_foreach, MASKED_TARGET, True),
    ("diag: hydra scores, top-k kept", hydra("scores", kept_topk=True), HYDRA_TARGET, True),
    ("diag: hydra weights, top-k kept", hydra("weights", kept_topk=True), HYDRA_TARGET, True),
)


class Step:
    """One configuration: its model, optimizer and the fixed batch."""

    def __init__(self, build: Callable[[str], Any], name: str, x: torch.Tensor, y: torch.Tensor):
        self.model, self.optimizer = build(name)
        self.model.train()
        self.x, self.y = x, y

    def __call__(self) -> tuple[float, float]:
        """(wall seconds, CPU seconds of this thread) of one step."""
        wall, cpu = time.perf_counter(), time.thread_time()
        self.optimizer.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(self.model(self.x), self.y).backward()
        self.optimizer.step()
        return time.perf_counter() - wall, time.thread_time() - cpu


def _check_masks_hold(step: Step) -> None:
    """The masked rows must really keep their pruned weights at exactly zero."""
    for _, module in masked_layers(step.model):
        if module.weight.detach()[module.weight_mask == 0].abs().max() != 0:
            raise AssertionError("a masked weight moved")


def run(name: str, configs: list, batch: int, steps: int, warmup: int) -> list[dict]:
    channels, side = INPUTS[name]
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(batch, channels, side, side, generator=gen)
    y = torch.randint(10, (batch,), generator=gen)
    runners = [Step(build, name, x, y) for _, build, _, _ in configs]
    for runner in runners:
        for _ in range(warmup):
            runner()
    times: list[list[tuple[float, float]]] = [[] for _ in runners]
    for _ in range(steps):
        for i, runner in enumerate(runners):
            times[i].append(runner())
    for runner in runners:
        _check_masks_hold(runner)
    return [
        {
            "label": label,
            "target": target,
            "median": statistics.median(w for w, _ in t),
            "min": min(w for w, _ in t),
            "cpu": statistics.median(c for _, c in t),
        }
        for (label, _, target, _), t in zip(configs, times, strict=True)
    ]


def print_table(name: str, rows: list[dict]) -> None:
    base = rows[0]
    print(f"\n{name}\n")
    print(
        "| configuration | median wall ms | wall vs dense | median CPU ms | CPU vs dense "
        "| fastest wall ms | fastest vs dense | target (wall / CPU) |"
        "\n|---|---:|---:|---:|---:|---:|---:|---|"
    )
    for row in rows:
        ratio, cpu = row["median"] / base["median"], row["cpu"] / base["cpu"]
        fastest = row["min"] / base["min"]
        target = row["target"]
        verdict = ""
        if target is not None:
            verdict = f"<= {target}x: {_verdict(ratio, target)} / {_verdict(cpu, target)}"
        print(
            f"| {row['label']} | {1e3 * row['median']:.1f} | {ratio:.3f}x "
            f"| {1e3 * row['cpu']:.1f} | {cpu:.3f}x "
            f"| {1e3 * row['min']:.1f} | {fastest:.3f}x | {verdict} |"
        )


def _verdict(ratio: float, target: float) -> str:
    return "hit" if ratio <= target else "MISS"


def post_step_cost(name: str, calls: int = 300) -> str:
    """Median microseconds of ``apply_masks`` and of one foreach multiply on the pruned model."""
    model = _model(name)
    prune(model, "magnitude", SPARSITY, scope="layer")
    layers = [m for _, m in masked_layers(model)]
    weights, masks = [m.weight for m in layers], [m.weight_mask for m in layers]

    @torch.no_grad()
    def foreach() -> None:
        torch._foreach_mul_(weights, masks)

    result = []
    for call in (lambda: apply_masks(model), foreach):
        times = []
        for _ in range(calls):
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
        result.append(1e6 * statistics.median(times))
    return (
        f"post-step cost on {name} ({len(layers)} masked layers): apply_masks "
        f"{result[0]:.0f} us, one foreach multiply {result[1]:.0f} us per step"
    )


def _load() -> str:
    return ", ".join(f"{v:.1f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=list(INPUTS), choices=list(INPUTS))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--no-diagnostics", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    configs = [c for c in CONFIGS if not (args.no_diagnostics and c[3])]
    print(
        f"torch {torch.__version__}, threads {torch.get_num_threads()}, batch {args.batch}, "
        f"{args.steps} timed steps each after {args.warmup} warmup, round robin; "
        f"{os.cpu_count()} CPUs, load average (1, 5, 15 min) {_load()}"
    )
    for name in args.models:
        rows = run(name, configs, args.batch, args.steps, args.warmup)
        print_table(name, rows)
        print(f"\nload average after {name}: {_load()}")
        print(post_step_cost(name))


if __name__ == "__main__":
    main()
