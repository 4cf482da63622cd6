"""Activation functions by name, and the slots of a network where they go.

``create_activation("silu")`` builds a module; ``list_activations()`` names every registered one.
Models place each activation in an :class:`ActivationSlot`; a per-layer genome has one gene per
slot, and :func:`set_activations` swaps them inside a built or trained network.

Families (../shared/METHODS.md sections 1, 2, 3, 5):

- fixed: ``relu``, ``silu``/``swish``, ``pswish``, ``gelu``, ``mish``, ``lisht``, ``symlog``, ...
- SAFS ``alpha * op(beta * x)``: ``safs_<op>`` for every op in :data:`SAFS_OPERATORS`
  (plus ``safs_relu``, the starting point); :func:`set_safs_stage` freezes or trains alpha/beta.
  Every name is a lower-case identifier (``[a-z0-9_]``): ACON-C is ``safs_acon_c``.
- adaptive (:class:`AdaptiveActivation`): ``leaf``, ``ahaf``, ``fneuron`` with ``init_as`` and
  ``sharing`` in ``"layer" | "channel" | "element"``; ``rotated_relu``, ``rotated_gelu``,
  ``rotated_silu`` (per channel). Channel and element sharing without ``num_channels`` /
  ``shape`` create lazy parameters shaped by the first input.
- speed and memory: LEAF, AHAF, F-Neuron, the rotated activations and the parametric SAFS
  operators run as custom autograd functions with hand-derived backward passes that keep only
  the input for backward (rotated ReLU only its output); see ``_fused.py`` and BENCHMARKS.md.
- replacement: :func:`replace_activations`, :func:`wrap_activations`, :func:`load_base_weights`.
- training: :func:`activation_parameters`, :func:`freeze_all_but_activations`,
  :func:`aaf_param_groups`; plots: :func:`plot_activation_shapes`.
"""

from automl_sparse.activations._adaptive import AdaptiveActivation
from automl_sparse.activations._fixed import LiSHT, PSwish, SymExp, SymLog
from automl_sparse.activations._fneuron import FNEURON_INITS, FNeuron
from automl_sparse.activations._leaf import AHAF, AHAF_INITS, LEAF, LEAF_INITS
from automl_sparse.activations._plot import (
    activation_curves,
    plot_activation_shapes,
    snapshot_activations,
)
from automl_sparse.activations._registry import (
    ActivationFactory,
    create_activation,
    list_activations,
    register_activation,
)
from automl_sparse.activations._replace import (
    LIBRARY_ACTIVATIONS,
    NATIVE_ACTIVATIONS,
    load_base_weights,
    replace_activations,
    wrap_activations,
)
from automl_sparse.activations._rotated import (
    SLOPE_RANGE,
    RotatedActivation,
    RotatedGELU,
    RotatedReLU,
    RotatedSiLU,
    add_slope_l1_grad,
    prune_rotated_slopes,
    rotated_slope_init,
)
from automl_sparse.activations._safs import (
    SAFS_OPERATORS,
    AconC,
    SafsActivation,
    SoftRootSign,
    Swish,
    TanhSoft1,
    set_safs_stage,
)
from automl_sparse.activations._sharing import SHARING_MODES
from automl_sparse.activations._slots import (
    ActivationSlot,
    activation_slots,
    has_lazy_activations,
    materialize_activations,
    set_activations,
    slot_factory,
)
from automl_sparse.activations._training import (
    aaf_param_groups,
    activation_parameters,
    freeze_all_but_activations,
    named_activation_parameters,
)

__all__ = [
    "AHAF",
    "AHAF_INITS",
    "FNEURON_INITS",
    "LEAF",
    "LEAF_INITS",
    "LIBRARY_ACTIVATIONS",
    "NATIVE_ACTIVATIONS",
    "SAFS_OPERATORS",
    "SHARING_MODES",
    "SLOPE_RANGE",
    "AconC",
    "ActivationFactory",
    "ActivationSlot",
    "AdaptiveActivation",
    "FNeuron",
    "LiSHT",
    "PSwish",
    "RotatedActivation",
    "RotatedGELU",
    "RotatedReLU",
    "RotatedSiLU",
    "SafsActivation",
    "SoftRootSign",
    "Swish",
    "SymExp",
    "SymLog",
    "TanhSoft1",
    "aaf_param_groups",
    "activation_curves",
    "activation_parameters",
    "activation_slots",
    "add_slope_l1_grad",
    "create_activation",
    "freeze_all_but_activations",
    "has_lazy_activations",
    "list_activations",
    "load_base_weights",
    "materialize_activations",
    "named_activation_parameters",
    "plot_activation_shapes",
    "prune_rotated_slopes",
    "register_activation",
    "replace_activations",
    "rotated_slope_init",
    "set_activations",
    "set_safs_stage",
    "slot_factory",
    "snapshot_activations",
    "wrap_activations",
]
