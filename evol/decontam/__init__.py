"""Benchmark decontamination: n-gram overlap, whole docstrings and near-paraphrases of benchmark problems.

Builds on the word tokenizer of `evol.dedup.tokens` (one way: evol.dedup never imports this package).
"""

from evol.decontam.checker import Decontaminator
from evol.decontam.config import DecontamConfig

__all__ = ["DecontamConfig", "Decontaminator"]
