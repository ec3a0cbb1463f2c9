"""Near-dedup: exact + MinHash-LSH removal of duplicates across rounds (numpy, datasketch or Redis back-ends)."""

from evol.dedup.config import DedupConfig
from evol.dedup.index import DedupIndex

__all__ = ["DedupConfig", "DedupIndex"]
