"""Networks by name. Every model takes an activation factory and exposes activation slots.

``create_model("lenet5", activation="relu", num_classes=10, in_channels=1, input_size=28)``;
``list_models()`` names every registered model.
"""

from automl_sparse.models import _kerasnet, _lenet5  # noqa: F401  (fill the registry)
from automl_sparse.models._registry import (
    ModelBuilder,
    create_model,
    list_models,
    register_model,
)

__all__ = ["ModelBuilder", "create_model", "list_models", "register_model"]
