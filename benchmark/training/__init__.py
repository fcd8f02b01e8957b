"""Training: from a typed config to a trained model, on one path shared by every objective.

Owns the run configuration (config.py, options.py), models and tokenizers, the three views of an example,
packing, the objective registry, the loss step and the thin Trainer subclass. It writes no run directory.
It imports only `data`, `store` and `tasks`.
"""
