"""F-Neuron activation: a learnable piecewise-linear table (Kostiuk and Bodyanskiy).

Centres ``c_j = left + j*r`` with ``r = (right - left) / (count + 1)``, ``j = 0..count+1``;
memberships are a left ramp, ``count`` triangles of half-width ``r`` and a right ramp, and
``y = sum_j w_j mu_j(x)``: linear interpolation of the weights between centres, constant
outside ``[left, right]``. ../shared/METHODS.md section 3.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from automl_sparse._errors import UserError, unknown_name
from automl_sparse.activations import _fused
from automl_sparse.activations._adaptive import AdaptiveActivation
from automl_sparse.activations._registry import register_activation

FNEURON_INITS: dict[str, Callable[[torch.Tensor], torch.Tensor] | None] = {
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "ramp": lambda c: c,
    "random": None,
}
"""``init_as`` -> the function sampled at the centres. ``"ramp"`` is the identity on
``[left, right]`` (saturating outside, a hard-tanh scaled to the range), ``"relu"`` its
positive part; ``"random"`` draws the weights from U(-1, 1)."""


@register_activation("fneuron")
class FNeuron(AdaptiveActivation):
    """F-Neuron: ``count + 2`` learnable weights on triangular memberships over ``[left, right]``.

    With the defaults (``[-4, 4]``, ``count=16``) there are 18 weights per parameter set;
    ``init_as="tanh"`` follows tanh within about 0.019. The forward pass buckets each input
    (``k = floor((x - left)/r) + 1``) and reads one intercept/slope pair of the segment from a
    table instead of summing ``count + 2`` memberships; backward scatter-adds into the table
    (``_fused._FNeuron``). Only one float per element is kept for backward.
    """

    param_names = ("weight",)
    _trailing_dims = 1
    inits = FNEURON_INITS
    """``init_as`` -> how the weights start (the shapes the paper defines)."""

    def __init__(
        self,
        init_as: str = "tanh",
        *,
        left: float = -4.0,
        right: float = 4.0,
        count: int = 16,
        sharing: str = "layer",
        num_channels: int | None = None,
        shape: Sequence[int] | None = None,
        generator: torch.Generator | int | None = None,
    ) -> None:
        if init_as not in FNEURON_INITS:
            raise unknown_name("F-Neuron init_as", init_as, list(FNEURON_INITS))
        if not right > left or count < 1:
            raise UserError(
                f"F-Neuron needs right > left and count >= 1, got {left=} {right=} {count=}"
            )
        super().__init__(
            sharing=sharing, num_channels=num_channels, shape=shape, generator=generator
        )
        self.init_as = init_as
        self.left, self.right, self.count = float(left), float(right), int(count)
        self._finish_init()

    @property
    def radius(self) -> float:
        """Distance between neighbouring centres (half-width of a triangle)."""
        return (self.right - self.left) / (self.count + 1)

    def centres(self) -> torch.Tensor:
        """The ``count + 2`` centres ``c_j``."""
        return self.left + torch.arange(self.count + 2, dtype=torch.float64) * self.radius

    @property
    def random_init(self) -> bool:
        return self.init_as == "random"

    def initial_values(self, shape: tuple[int, ...], gen: torch.Generator) -> dict:
        size = (*shape, self.count + 2)
        fn = FNEURON_INITS[self.init_as]
        if fn is None:
            return {"weight": torch.rand(size, generator=gen) * 2 - 1}
        return {"weight": fn(self.centres()).float().expand(size).clone()}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        groups = 1
        for size in self.set_shape:
            groups *= size
        return _fused.fneuron(x, self.weight, self.left, self.radius, groups)

    def extra_repr(self) -> str:
        return (
            f"init_as={self.init_as!r}, left={self.left}, right={self.right}, "
            f"count={self.count}, {super().extra_repr()}"
        )
