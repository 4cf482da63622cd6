"""LEAF and AHAF: sigmoid-gated adaptive activations (Kostiuk and Bodyanskiy).

LEAF: ``y = (p1*u + p2) * sigmoid(p3*u) + p4``; AHAF: ``y = beta * u * sigmoid(gamma*u)``.
Papers: "Learnable Extended Activation Function (LEAF) for Deep Neural Networks"
(https://doi.org/10.47839/ijc.22.3.3225) and "Adaptive Hybrid Activation Function for Deep
Neural Networks" (https://doi.org/10.20535/SRIT.2308-8893.2022.1.07); ../shared/METHODS.md
section 3. Both run as custom autograd functions that save only the input
(:mod:`automl_sparse.activations._fused`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import torch

from automl_sparse._errors import unknown_name
from automl_sparse.activations import _fused
from automl_sparse.activations._adaptive import AdaptiveActivation
from automl_sparse.activations._registry import register_activation

RELU_GATE_SLOPE = 65536.0
"""Sigmoid slope that makes ``u * sigmoid(k*u)`` ReLU within about 4e-6 in fp32."""

LEAF_INITS: dict[str, tuple[float, float, float, float] | None] = {
    "relu": (1.0, 0.0, RELU_GATE_SLOPE, 0.0),
    "silu": (1.0, 0.0, 1.0, 0.0),
    "tanh": (0.0, 2.0, 2.0, -1.0),
    "sigmoid": (0.0, 1.0, 1.0, 0.0),
    "random": None,
}
"""``init_as`` -> (p1, p2, p3, p4); ``"random"`` draws every parameter from U(-1, 1)."""

AHAF_INITS: dict[str, tuple[float, float]] = {
    "relu": (1.0, RELU_GATE_SLOPE),
    "silu": (1.0, 1.0),
}
"""``init_as`` -> (beta, gamma)."""


def _constants(values: Sequence[float], names: Sequence[str], shape: tuple[int, ...]) -> dict:
    return {n: torch.full(shape, v) for n, v in zip(names, values, strict=True)}


class _GatedActivation(AdaptiveActivation):
    """A sigmoid-gated adaptive activation started from one of its ``inits`` shapes."""

    inits: ClassVar[Mapping[str, Any]]
    """``init_as`` -> starting parameter values (the shapes the paper defines)."""
    label: ClassVar[str]

    def __init__(
        self,
        init_as: str = "relu",
        *,
        sharing: str = "layer",
        num_channels: int | None = None,
        shape: Sequence[int] | None = None,
        generator: torch.Generator | int | None = None,
    ) -> None:
        if init_as not in self.inits:
            raise unknown_name(f"{self.label} init_as", init_as, list(self.inits))
        super().__init__(
            sharing=sharing, num_channels=num_channels, shape=shape, generator=generator
        )
        self.init_as = init_as
        self._finish_init()

    def extra_repr(self) -> str:
        return f"init_as={self.init_as!r}, {super().extra_repr()}"


@register_activation("leaf")
class LEAF(_GatedActivation):
    """LEAF, ``y = (p1*u + p2) * sigmoid(p3*u) + p4`` (Kostiuk and Bodyanskiy, 2023).

    It generalises ReLU (approximately), SiLU, tanh, sigmoid and AHAF; ``init_as`` picks the
    starting shape from :data:`LEAF_INITS`. The AAF recipe trains p2 and p4 with a much
    smaller learning rate (:func:`~automl_sparse.activations.aaf_param_groups`).
    """

    param_names = ("p1", "p2", "p3", "p4")
    inits = LEAF_INITS
    label = "LEAF"

    @property
    def random_init(self) -> bool:
        return self.init_as == "random"

    def initial_values(self, shape: tuple[int, ...], gen: torch.Generator) -> dict:
        values = LEAF_INITS[self.init_as]
        if values is None:
            return {n: torch.rand(shape, generator=gen) * 2 - 1 for n in self.param_names}
        return _constants(values, self.param_names, shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _fused.leaf(x, *(self.param(n, x) for n in self.param_names))


@register_activation("ahaf")
class AHAF(_GatedActivation):
    """AHAF, ``y = beta * u * sigmoid(gamma * u)`` (Kostiuk and Bodyanskiy).

    ``init_as="relu"`` (beta 1, gamma 65536) or ``"silu"`` (1, 1), see :data:`AHAF_INITS`.
    """

    param_names = ("beta", "gamma")
    inits = AHAF_INITS
    label = "AHAF"

    def initial_values(self, shape: tuple[int, ...], gen: torch.Generator) -> dict:
        return _constants(AHAF_INITS[self.init_as], self.param_names, shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _fused.ahaf(x, self.param("beta", x), self.param("gamma", x))
