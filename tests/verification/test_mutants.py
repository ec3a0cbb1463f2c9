"""The mutation set: every kind, deterministic, and killed by tests with teeth but not by vacuous ones."""

from __future__ import annotations

from evol.verification.mutants import KINDS, mutants, score

CODE = '''def window_max(xs, k):
    """Largest sum of k consecutive numbers."""
    if k <= 0 or k > len(xs):
        return None
    best = sum(xs[:k])
    cur = best
    for i in range(k, len(xs)):
        cur += xs[i] - xs[i - k]
        if cur > best:
            best = cur
    return best
'''
STRONG = [(([1, 2, 3, 4], 2), 7), (([5, -1, 2], 1), 5), (([4, 1], 3), None), (([2, 2, 9], 3), 13),
          (([3, 1, 1, 3], 2), 4), (([1, 2], 0), None)]
VACUOUS = [(([1, 2], 0), None)]


def killed(code: str, cases: list) -> bool:
    namespace: dict = {}
    try:
        exec(compile(code, "<mutant>", "exec"), namespace)  # our own code and its mutants only
        return any(namespace["window_max"](*args) != want for args, want in cases)
    except Exception:
        return True


def test_every_kind_and_deterministic() -> None:
    found = mutants(CODE, limit=40)
    assert {m.kind for m in found} == set(KINDS)
    assert found == mutants(CODE, limit=40) and len({m.code for m in found}) == len(found)
    assert [m.kind for m in mutants(CODE, limit=6)] == list(KINDS)  # round-robin over the kinds


def test_tests_with_teeth_kill_most_mutants_and_vacuous_ones_almost_none() -> None:
    found = mutants(CODE, limit=24)
    strong = score([killed(m.code, STRONG) for m in found])
    weak = score([killed(m.code, VACUOUS) for m in found])
    assert strong is not None and weak is not None and strong >= 0.8 and weak <= 0.3


def test_unparsable_code_has_no_mutants() -> None:
    assert mutants("def f(:\n") == [] and score([]) is None
