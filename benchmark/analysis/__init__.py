"""Analysis: reading results trees into tables, figures, statistics, verdicts and reports, beside the
paper's numbers; choosing settings on validation; the CI regression check.

Owns everything under reports/ (built only from results trees). It trains nothing and evaluates nothing.
It imports only `runs`, `evaluation`, `training`, `data`, `store` and `tasks`.
"""
