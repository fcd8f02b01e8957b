"""Runs: a run's spec and id, building a run directory (train with per-epoch evaluation), sweeps and their
launchers (local, workers, torchrun, SLURM), analyses written into a results tree, and migrations.

Owns what gets written into results trees, through `store`.
It imports only `evaluation`, `training`, `data`, `store` and `tasks`.
"""
