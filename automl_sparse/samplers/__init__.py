"""Samplers by name. They ARE Optuna samplers: ``create_sampler("tpe", seed=0)``."""

from automl_sparse.samplers._registry import create_sampler, list_samplers, register_sampler

__all__ = ["create_sampler", "list_samplers", "register_sampler"]
