"""automl-sparse: AutoML search for sparse neural networks.

Parts (one sub-package each): config, spaces, activations, pruning, models, data, training,
pipeline, samplers, stopping, storage, execution, study, cli. See README.md.
"""

from automl_sparse._errors import UserError

__version__ = "0.1.0"

__all__ = ["UserError", "__version__"]
