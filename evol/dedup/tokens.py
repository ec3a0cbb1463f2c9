"""Vectorised word tokenisation and n-gram hashing for whole batches of texts.

A word is a run of ASCII letters, digits and underscores or of non-ASCII characters, lower-cased;
everything else separates words. Token hashes are 64-bit and deterministic across processes and
machines (no Python ``hash``), so persisted indexes stay valid. All work happens in numpy over
one byte buffer per batch: there is no Python-level loop over words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_U64 = np.uint64
_GOLDEN = _U64(0x9E3779B97F4A7C15)
_MIX = _U64(0xC2B2AE3D27D4EB4F)
_GRAM = _U64(0x100000001B3)  # odd, so invertible mod 2**64

_TABLE = bytearray(range(256))
for _c in range(128):
    if not (chr(_c).isalnum() or chr(_c) == "_"):
        _TABLE[_c] = 0x20
_TABLE[0] = 0  # document separator
TRANSLATE = bytes(_TABLE)
_WS = bytearray(range(256))
for _c in b" \t\n\r\x0b\x0c":
    _WS[_c] = 0x20
WHITESPACE = bytes(_WS)  # for exact keys: only whitespace separates, punctuation counts
_MASKS = np.array([(1 << (8 * n)) - 1 for n in range(8)] + [(1 << 64) - 1], dtype=_U64)


def fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser (an avalanching bijection), element-wise."""
    h = h ^ (h >> _U64(33))
    h *= _U64(0xFF51AFD7ED558CCD)
    h ^= h >> _U64(33)
    h *= _U64(0xC4CEB9FE1A85EC53)
    h ^= h >> _U64(33)
    return h


@dataclass
class TokenBatch:
    """Token hashes of a batch of documents; ``offsets[d]:offsets[d+1]`` are document d's tokens."""

    hashes: np.ndarray  # uint64, one per token
    offsets: np.ndarray  # int64, len(docs) + 1

    @property
    def n_docs(self) -> int:
        return len(self.offsets) - 1

    def doc_of_token(self) -> np.ndarray:
        """The document index of every token."""
        return np.repeat(np.arange(self.n_docs), np.diff(self.offsets))


def tokenize(texts: Sequence[str], table: bytes = TRANSLATE) -> TokenBatch:
    """Hash the words of every text in one vectorised pass (``table`` maps separator bytes to spaces)."""
    if not texts:
        return TokenBatch(np.empty(0, _U64), np.zeros(1, np.int64))
    joined = "\x00".join(t.replace("\x00", " ") if "\x00" in t else t for t in texts)
    raw = joined.lower().encode("utf-8", "surrogatepass").translate(table) + b"\x00" * 8
    buf = np.frombuffer(raw, np.uint8)
    n = len(buf) - 8
    word = buf[:n] > 32
    edges = np.flatnonzero(word[1:] != word[:-1]) + 1
    if n and word[0]:
        edges = np.concatenate(([0], edges))
    if n and word[-1]:
        edges = np.concatenate((edges, [n]))
    starts, ends = edges[0::2], edges[1::2]
    lens = ends - starts
    # Unaligned 8-byte loads at any byte offset: each token is hashed 8 bytes at a time.
    words8 = np.ndarray(shape=(n + 1,), dtype="<u8", buffer=raw, strides=(1,))
    h = (words8[starts] & _MASKS[np.minimum(lens, 8)]) * _GOLDEN + lens.astype(_U64)
    longer = np.flatnonzero(lens > 8)
    off = 8
    while longer.size:
        rest = lens[longer] - off
        chunk = words8[starts[longer] + off] & _MASKS[np.minimum(rest, 8)]
        h[longer] = (h[longer] ^ chunk) * _MIX
        longer = longer[rest > 8]
        off += 8
    separators = np.flatnonzero(buf[:n] == 0)
    doc = np.searchsorted(separators, starts)
    offsets = np.searchsorted(doc, np.arange(len(texts) + 1)).astype(np.int64)
    return TokenBatch(fmix64(h), offsets)


def exact_keys(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """64-bit keys of the lower-cased, whitespace-collapsed texts, and each text's count of pieces.

    Two texts get the same key when ``" ".join(text.lower().split())`` agrees (ASCII whitespace).
    """
    batch = tokenize(texts, WHITESPACE)
    counts = np.diff(batch.offsets)
    keys = np.zeros(len(texts), _U64)
    if len(batch.hashes):
        total = len(batch.hashes)
        powers = np.full(total, _GRAM, _U64)
        powers[0] = 1
        powers = np.cumprod(powers, dtype=_U64)
        inverse = np.full(total, _U64(pow(int(_GRAM), -1, 1 << 64)), _U64)
        inverse[0] = 1
        inverse = np.cumprod(inverse, dtype=_U64)
        present = np.flatnonzero(counts)
        first = batch.offsets[:-1][present]
        sums = np.add.reduceat(batch.hashes * powers, first)
        keys[present] = sums * inverse[first] + counts[present].astype(_U64)
    return fmix64(keys), counts


def ngram_hashes(batch: TokenBatch, n: int, *, short_docs: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """64-bit hashes of every word n-gram inside one document, each one's document and first token.

    With ``short_docs`` a document of fewer than n (but at least one) words yields one hash of
    all its words, so short texts still get a fingerprint.
    """
    t = batch.hashes
    total = len(t)
    if total == 0:
        return np.empty(0, _U64), np.empty(0, np.int64), np.empty(0, np.int64)
    doc = batch.doc_of_token()
    lengths = np.diff(batch.offsets)
    padded = np.concatenate((t, np.zeros(n, _U64)))
    acc = t.copy()
    for o in range(1, n):
        acc *= _GRAM
        acc += padded[o : o + total]
    pos = np.arange(total)
    valid = pos + n <= batch.offsets[1:][doc]
    if short_docs:
        # A document shorter than n: one hash of its words followed by zeros, as if padded.
        short = np.flatnonzero((lengths > 0) & (lengths < n))
        if len(short):
            first = batch.offsets[:-1][short]
            fixed = t[first].copy()
            for o in range(1, n):
                nxt = np.where(o < lengths[short], padded[np.minimum(first + o, total)], _U64(0))
                fixed = fixed * _GRAM + nxt
            acc[first] = fixed
            valid[first] = True
    return fmix64(acc[valid]), doc[valid], pos[valid]


def shingles32(batch: TokenBatch, n: int) -> tuple[np.ndarray, np.ndarray]:
    """32-bit shingle hashes (the input MinHash permutes) and the document of each."""
    h, doc, _ = ngram_hashes(batch, n)
    return (h >> _U64(32)).astype(np.uint32), doc
