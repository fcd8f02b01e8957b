"""llm-jepa-bench: the library behind the `jepa-bench` command."""
__version__ = "0.1.0"
