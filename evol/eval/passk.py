"""The unbiased pass@k estimator (Chen et al., 2021) and its mean over problems."""

from __future__ import annotations

from collections.abc import Mapping


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k samples drawn from n (c of them correct) passes.

    Equals 1 - C(n-c, k) / C(n, k), computed as a stable product.
    """
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n} c={c} k={k}")
    if n - c < k:
        return 1.0
    prod = 1.0
    for i in range(n - c + 1, n + 1):
        prod *= 1.0 - k / i
    return 1.0 - prod


def mean_pass_at_k(counts: Mapping[str, tuple[int, int]], ks: list[int] | None = None) -> dict[str, float]:
    """{"pass@k": mean over problems} for each k (default: every k up to the smallest n)."""
    if not counts:
        return {}
    n_min = min(n for n, _ in counts.values())
    ks = [k for k in (ks or range(1, n_min + 1)) if 1 <= k <= n_min]
    return {f"pass@{k}": sum(pass_at_k(n, c, k) for n, c in counts.values()) / len(counts) for k in ks}
