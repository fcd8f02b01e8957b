"""`jepa-bench data fetch`: placeholder until the fetcher lands (being written in this change)."""


def register_cli(sub) -> None:
    pass
