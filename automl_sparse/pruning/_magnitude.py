"""Thresholds: exact top-k masks, the same ratio per layer (LWM, SAFS) or one global ranking."""

from __future__ import annotations

from collections.abc import Mapping

import torch


def lowest_k_mask(scores: torch.Tensor, n_pruned: int) -> torch.Tensor:
    """A mask of ``scores``' shape that prunes exactly the ``n_pruned`` lowest scores.

    Selects whichever side is smaller (the pruned or the kept weights), unsorted: at high
    sparsity picking the few kept weights is an order of magnitude faster than ranking the
    many pruned ones, which matters for HYDRA's score layers that build a mask every forward.
    """
    flat = scores.flatten()
    n_kept = flat.numel() - n_pruned
    if n_pruned > n_kept:
        mask = torch.zeros(flat.numel(), dtype=torch.float32, device=scores.device)
        if n_kept > 0:
            mask[torch.topk(flat, n_kept, largest=True, sorted=False).indices] = 1.0
    else:
        mask = torch.ones(flat.numel(), dtype=torch.float32, device=scores.device)
        if n_pruned > 0:
            mask[torch.topk(flat, n_pruned, largest=False, sorted=False).indices] = 0.0
    return mask.view_as(scores)


def layerwise_masks(scores: Mapping[str, torch.Tensor], sparsity: float) -> dict[str, torch.Tensor]:
    """The same pruning ratio in every layer (LWM): round(sparsity * n) weights each."""
    return {
        name: lowest_k_mask(score, round(sparsity * score.numel()))
        for name, score in scores.items()
    }


def global_masks(scores: Mapping[str, torch.Tensor], sparsity: float) -> dict[str, torch.Tensor]:
    """One threshold over all layers: the round(sparsity * N) lowest scores overall are pruned."""
    names = list(scores)
    flat = torch.cat([scores[name].flatten() for name in names])
    mask = lowest_k_mask(flat, round(sparsity * flat.numel())).split(
        [scores[name].numel() for name in names]
    )
    return {name: m.view_as(scores[name]) for name, m in zip(names, mask, strict=True)}


THRESHOLDS = {"layer": layerwise_masks, "global": global_masks}
"""Threshold functions by pruning scope: ``(scores, sparsity) -> masks``."""
