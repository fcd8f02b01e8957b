"""`python -m benchmark.cli ...` is `jepa-bench ...` (the sweep's worker processes start it this way)."""
import sys

from benchmark.cli import main

sys.exit(main())
