"""Build hook: a wheel carries the shipped sweep specs (configs/) and the paper's numbers (paper/) as
package data under benchmark/_shipped/, so `pip install .` works without the source tree
(benchmark/data/shipped.py reads them). Everything else is in pyproject.toml."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = {"configs": "configs", "paper": "paper"}


class BuildPyWithShippedData(build_py):
    def run(self):
        super().run()
        for name, source in SHIPPED.items():
            target = Path(self.build_lib) / "benchmark" / "_shipped" / name
            shutil.copytree(ROOT / source, target, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithShippedData})
