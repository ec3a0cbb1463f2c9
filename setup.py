"""Build step: ship the top-level prompts/, pipelines/ and data/seeds/ inside the wheel as evol/_bundled/.

The folders stay where the project layout wants them; the build copies them into the package, where
`evol.resources` reads them through importlib.resources. Everything else is declared in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
BUNDLED = ("prompts", "pipelines", "data/seeds")  # keep in step with evol/resources.py and MANIFEST.in


class BuildWithBundle(build_py):
    """build_py, plus the bundled folders copied under the built package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the folders in place (evol.resources falls back)
            return
        for folder in BUNDLED:
            target = Path(self.build_lib) / "evol" / "_bundled" / folder
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(HERE / folder, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithBundle})
