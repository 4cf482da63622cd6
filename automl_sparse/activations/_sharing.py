"""How the parameters of an adaptive activation are shared: per layer, channel or element.

A *set* is one copy of an activation's parameters. ``"layer"`` keeps one set for the whole
activation layer (shape ``()``), ``"channel"`` one per channel of dim 1 of an ``NC`` or ``NCHW``
input (shape ``(C,)``) and ``"element"`` one per activation element (shape ``x.shape[1:]``).
See ../shared/METHODS.md section 3 (Kostiuk and Bodyanskiy use one set per layer).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch

from automl_sparse._errors import UserError, unknown_name

Sharing = Literal["layer", "channel", "element"]
SHARING_MODES: tuple[str, ...] = ("layer", "channel", "element")


def check_sharing(sharing: str) -> Sharing:
    """``sharing`` if it is a known mode, else a :class:`UserError` listing the modes."""
    if sharing not in SHARING_MODES:
        raise unknown_name("parameter sharing", sharing, list(SHARING_MODES))
    return sharing  # type: ignore[return-value]


def known_set_shape(
    sharing: Sharing, num_channels: int | None, shape: Sequence[int] | None
) -> tuple[int, ...] | None:
    """The shape of one parameter for ``sharing``; ``None`` when it must come from the input."""
    if sharing != "channel" and num_channels is not None:
        raise UserError(f"num_channels is only for sharing='channel', but got {sharing=}")
    if sharing != "element" and shape is not None:
        raise UserError(f"shape is only for sharing='element', but got {sharing=}")
    if sharing == "layer":
        return ()
    if sharing == "channel":
        return None if num_channels is None else (_positive(num_channels, "num_channels"),)
    return None if shape is None else tuple(_positive(s, "shape") for s in shape)


def set_shape_of_input(sharing: Sharing, x: torch.Tensor) -> tuple[int, ...]:
    """The parameter shape that ``sharing`` needs for inputs like ``x`` (batch first)."""
    if sharing == "layer":
        return ()
    if x.dim() < 2:
        raise UserError(f"sharing={sharing!r} needs batched inputs (N, C, ...), got {x.shape=}")
    return (x.shape[1],) if sharing == "channel" else tuple(x.shape[1:])


def broadcastable(p: torch.Tensor, x: torch.Tensor, sharing: Sharing) -> torch.Tensor:
    """A view of parameter ``p`` (shape ``set shape + trailing``) that broadcasts against ``x``.

    Only channel sharing needs a view: ``(C,)`` becomes ``(C, 1, 1)`` for ``NCHW`` inputs.
    """
    if sharing != "channel":
        return p
    return p.reshape(p.shape[0], *([1] * (x.dim() - 2)), *p.shape[1:])


def _positive(value: int, name: str) -> int:
    if int(value) != value or value < 1:
        raise UserError(f"{name} must hold positive integers, but got {value=}")
    return int(value)
