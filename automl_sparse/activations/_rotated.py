"""Rotated activations: one learnable slope per channel, ``f_c(x) = a_c * act(x)``.

Nayak and Kalyani, rotated ReLU and implicit sparsification (TMLR 2024,
https://arxiv.org/abs/2206.00488);
../shared/METHODS.md section 5. Channels whose slope is at most zeta in magnitude are dead:
:func:`prune_rotated_slopes` zeroes them through a persistent ``alive`` mask, so their output
is exactly 0 and their slopes get no gradient (they stay pruned while the rest trains).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from automl_sparse._errors import UserError
from automl_sparse.activations import _fused
from automl_sparse.activations._adaptive import AdaptiveActivation
from automl_sparse.activations._registry import register_activation

SLOPE_RANGE: tuple[float, float] = (math.tan(math.radians(35)), math.tan(math.radians(55)))
"""|a| at init lies in [tan 35 deg, tan 55 deg] = [0.700, 1.428]."""
SLOPE_INIT_STD = math.sqrt(3.0)
"""Std of the normal around 1 that is truncated to :data:`SLOPE_RANGE`."""


def rotated_slope_init(shape: tuple[int, ...], gen: torch.Generator) -> torch.Tensor:
    """Slopes with |a| ~ N(1, sqrt(3)) truncated to [0.700, 1.428], sign +/- with prob 1/2."""
    low, high = SLOPE_RANGE
    magnitude = torch.empty(shape)
    nn.init.trunc_normal_(magnitude, 1.0, SLOPE_INIT_STD, low, high, generator=gen)
    sign = torch.where(torch.rand(shape, generator=gen) < 0.5, -1.0, 1.0)
    return magnitude * sign


class RotatedActivation(AdaptiveActivation):
    """``a_c * act(x)`` with one learnable slope ``a_c`` per channel (the default sharing).

    Subclasses set :meth:`act`. ``alive`` (a boolean buffer like ``slope``) masks pruned
    channels; see :func:`prune_rotated_slopes`.
    """

    param_names = ("slope",)
    buffer_names = ("alive",)

    def __init__(
        self,
        *,
        sharing: str = "channel",
        num_channels: int | None = None,
        shape: Sequence[int] | None = None,
        generator: torch.Generator | int | None = None,
    ) -> None:
        super().__init__(
            sharing=sharing, num_channels=num_channels, shape=shape, generator=generator
        )
        self._finish_init()

    def act(self, x: torch.Tensor) -> torch.Tensor:
        """The activation being rotated."""
        raise NotImplementedError

    @property
    def random_init(self) -> bool:
        return True

    def initial_values(self, shape: tuple[int, ...], gen: torch.Generator) -> dict:
        return {
            "slope": rotated_slope_init(shape, gen),
            "alive": torch.ones(shape, dtype=torch.bool),
        }

    kind: ClassVar[str] = ""
    """``relu``, ``gelu`` or ``silu``: which fused function :meth:`forward` uses."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        slope = self.param("slope", x) * self.param("alive", x)
        return _fused.rotated(x, slope, self.kind)


@register_activation("rotated_relu")
class RotatedReLU(RotatedActivation):
    """Rotated ReLU ``a_c * ReLU(x)`` (Nayak and Kalyani, TMLR 2024)."""

    kind = "relu"

    def act(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x)


@register_activation("rotated_gelu")
class RotatedGELU(RotatedActivation):
    """Rotated GELU ``a_c * GELU(x)``, by analogy with rotated ReLU (not in the original code)."""

    kind = "gelu"

    def act(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(x)


@register_activation("rotated_silu")
class RotatedSiLU(RotatedActivation):
    """Rotated SiLU ``a_c * SiLU(x)``, by analogy with rotated ReLU (not in the original code)."""

    kind = "silu"

    def act(self, x: torch.Tensor) -> torch.Tensor:
        return F.silu(x)


def _rotated(model: nn.Module) -> dict[str, RotatedActivation]:
    found = {n: m for n, m in model.named_modules() if isinstance(m, RotatedActivation)}
    lazy = [n for n, m in found.items() if m.has_uninitialized_params()]
    if lazy:
        raise UserError(f"rotated activations {lazy} are not initialised: run a forward pass")
    return found


@torch.no_grad()
def prune_rotated_slopes(model: nn.Module, zeta: float) -> dict[str, torch.Tensor]:
    """Kill every channel with ``|a_c| <= zeta`` in every rotated activation of ``model``.

    Dead channels output exactly 0 from now on (also if a slope is later changed); returns the
    ``alive`` mask of each rotated activation by module path. Pruning is cumulative.
    """
    if zeta < 0:
        raise UserError(f"zeta must be >= 0, but got {zeta=}")
    masks = {}
    for name, module in _rotated(model).items():
        module.alive &= module.slope.abs() > zeta
        module.slope.mul_(module.alive)
        masks[name] = module.alive.clone()
    return masks


@torch.no_grad()
def add_slope_l1_grad(model: nn.Module, strength: float = 1e-4) -> None:
    """Add ``strength * sign(a)`` to the slope gradients (L1 on slopes); call after backward."""
    for module in _rotated(model).values():
        if module.slope.grad is not None:
            module.slope.grad.add_(torch.sign(module.slope), alpha=strength)
