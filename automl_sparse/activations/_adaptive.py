"""The base of adaptive (learnable) activations: parameter sets, lazy shapes, seeded init."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import torch
from torch import nn
from torch.nn.modules.lazy import LazyModuleMixin
from torch.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy

from automl_sparse.activations._sharing import (
    Sharing,
    broadcastable,
    check_sharing,
    known_set_shape,
    set_shape_of_input,
)


def _seed_of(generator: torch.Generator | int | None) -> int | None:
    if generator is None or isinstance(generator, int):
        return generator
    return int(torch.randint(2**62, (1,), generator=generator))


class AdaptiveActivation(LazyModuleMixin, nn.Module):
    """An activation with learnable parameters, shared per layer, channel or element.

    Subclasses name their parameters in ``param_names`` (and buffers in ``buffer_names``),
    compute initial values in :meth:`initial_values` and read parameters in ``forward``
    through :meth:`param` so that channel sharing broadcasts over dim 1.

    With ``sharing="channel"`` and no ``num_channels`` (or ``"element"`` and no ``shape``) the
    parameters are lazy (:class:`torch.nn.parameter.UninitializedParameter`): the first forward
    call, or loading a state dict, gives them their shape. Build optimizers after that
    (``set_activations(model, genome, example_input=x)`` does it for a whole network).

    Random inits (:attr:`random_init`) draw a seed once at construction: from ``generator`` (a
    :class:`torch.Generator` or an int seed) if given, else from torch's global RNG, so
    ``torch.manual_seed`` reproduces them and lazy modules stay picklable. Deterministic inits
    never touch the global RNG (a network's weight init does not depend on its activations).
    """

    param_names: ClassVar[tuple[str, ...]] = ()
    buffer_names: ClassVar[tuple[str, ...]] = ()
    _trailing_dims: ClassVar[int] = 0
    """Dims after the set shape (F-Neuron keeps its weight table there)."""

    def __init__(
        self,
        *,
        sharing: str = "layer",
        num_channels: int | None = None,
        shape: Sequence[int] | None = None,
        generator: torch.Generator | int | None = None,
    ) -> None:
        super().__init__()
        self.sharing: Sharing = check_sharing(sharing)
        self._known_shape = known_set_shape(self.sharing, num_channels, shape)
        self._seed = _seed_of(generator)
        for name in self.param_names:
            self.register_parameter(name, UninitializedParameter())
        for name in self.buffer_names:
            self.register_buffer(name, UninitializedBuffer())

    @property
    def random_init(self) -> bool:
        """Whether the initial values are random (subclasses say when)."""
        return False

    def _finish_init(self) -> None:
        """Fix the seed; create the parameters if their shape is known. Subclasses call it last."""
        if self._seed is None and self.random_init:
            self._seed = _seed_of(torch.default_generator)
        if self._known_shape is not None:
            self._materialize(self._known_shape)

    def initial_values(
        self, shape: tuple[int, ...], gen: torch.Generator
    ) -> dict[str, torch.Tensor]:
        """Initial value of every parameter and buffer for parameter-set shape ``shape``."""
        raise NotImplementedError

    def initialize_parameters(self, x: torch.Tensor) -> None:  # type: ignore[override]
        """Give lazy parameters their shape from the first input (called by the lazy hook)."""
        if self.has_uninitialized_params():
            self._materialize(set_shape_of_input(self.sharing, x))

    def reset_parameters(self) -> None:
        """Set every parameter back to its initial value (random inits repeat their values)."""
        if not self.has_uninitialized_params():
            self._copy_initial(self.set_shape)

    @property
    def set_shape(self) -> tuple[int, ...]:
        """Shape of one parameter set: ``()``, ``(C,)`` or the element shape."""
        first = getattr(self, self.param_names[0])
        if is_lazy(first):
            raise RuntimeError(f"{type(self).__name__} is not initialised yet: run a forward pass")
        return tuple(first.shape[: first.dim() - self._trailing_dims])

    def param(self, name: str, x: torch.Tensor) -> torch.Tensor:
        """Parameter ``name`` viewed to broadcast against input ``x``."""
        return broadcastable(getattr(self, name), x, self.sharing)

    def _materialize(self, shape: tuple[int, ...]) -> None:
        values = self._values(shape)
        for name, value in values.items():
            tensor = getattr(self, name)
            if is_lazy(tensor):
                tensor.materialize(value.shape, dtype=_dtype_for(tensor, value))
        self._copy_initial(shape, values)

    def _copy_initial(
        self, shape: tuple[int, ...], values: dict[str, torch.Tensor] | None = None
    ) -> None:
        values = self._values(shape) if values is None else values
        with torch.no_grad():
            for name, value in values.items():
                getattr(self, name).copy_(value)

    def _values(self, shape: tuple[int, ...]) -> dict[str, torch.Tensor]:
        gen = torch.Generator()
        if self._seed is not None:
            gen.manual_seed(self._seed)
        return self.initial_values(shape, gen)

    def _replicate_for_data_parallel(self) -> nn.Module:
        if self.has_uninitialized_params():
            return super()._replicate_for_data_parallel()
        return nn.Module._replicate_for_data_parallel(self)

    def extra_repr(self) -> str:
        shape = "lazy" if self.has_uninitialized_params() else self.set_shape
        return f"sharing={self.sharing!r}, set_shape={shape}"


def _dtype_for(tensor: torch.Tensor, value: torch.Tensor) -> torch.dtype:
    """Floating values take the (possibly ``.to()``-moved) dtype of the lazy tensor."""
    return tensor.dtype if value.is_floating_point() else value.dtype
