"""Networks by name. Every model takes an activation factory and exposes activation slots.

``create_model("lenet5", activation="relu", num_classes=10, in_channels=1, input_size=28)``;
``list_models()`` names every registered model: ``lenet5``, ``kerasnet``, ``vgg11``, ``vgg16``
(CIFAR, BatchNorm), ``resnet18`` (CIFAR), ``resnet20``, ``resnet56`` (16/32/64; option
``extra_skips=True`` adds ToST's dense 1x1 skips, see :func:`set_skip_scale`) and
``efficientnet_b0`` (torchvision's, SiLUs in slots).
"""

from automl_sparse.models import (  # noqa: F401  (fill the registry)
    _efficientnet,
    _kerasnet,
    _lenet5,
    _resnet,
    _vgg,
)
from automl_sparse.models._registry import (
    ModelBuilder,
    create_model,
    list_models,
    register_model,
)
from automl_sparse.models._resnet import BasicBlock, CifarResNet, PadShortcut, set_skip_scale

__all__ = [
    "BasicBlock",
    "CifarResNet",
    "ModelBuilder",
    "PadShortcut",
    "create_model",
    "list_models",
    "register_model",
    "set_skip_scale",
]
