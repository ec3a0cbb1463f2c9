"""Dedup and decontamination: exact + MinHash-LSH near-dedup across rounds, benchmark checks."""

from evol.dedup.config import DecontamConfig, DedupConfig
from evol.dedup.decontam import Decontaminator
from evol.dedup.index import DedupIndex

__all__ = ["DecontamConfig", "Decontaminator", "DedupConfig", "DedupIndex"]
