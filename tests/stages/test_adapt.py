"""The adaptive method mix: deterministic, follows measured yield, never lets a method die out."""

from __future__ import annotations

from evol.stages.adapt import adapted_weights, normalised

CONFIGURED = {"a": 1.0, "b": 1.0, "c": 1.0}


def stats(**kept_of_evolved: tuple[int, int]) -> dict:
    return {"by_method": {m: {"kept": k, "evolved": e} for m, (k, e) in kept_of_evolved.items()}}


def test_no_history_gives_the_configured_mix() -> None:
    assert adapted_weights(CONFIGURED, [], 0.05) == normalised(CONFIGURED)


def test_methods_that_yield_more_are_drawn_more() -> None:
    w = adapted_weights(CONFIGURED, [stats(a=(18, 20), b=(10, 20), c=(2, 20))], 0.05)
    assert w["a"] > w["b"] > w["c"] and abs(sum(w.values()) - 1) < 1e-6


def test_the_floor_keeps_every_method_alive() -> None:
    w = adapted_weights(CONFIGURED, [stats(a=(100, 100), b=(100, 100), c=(0, 100))], 0.1)
    assert w["c"] == 0.1 and abs(sum(w.values()) - 1) < 1e-6


def test_deterministic_for_the_same_history() -> None:
    history = [stats(a=(3, 9), b=(5, 7), c=(1, 8)), stats(a=(4, 9), b=(2, 7), c=(6, 8))]
    assert adapted_weights(CONFIGURED, history, 0.05) == adapted_weights(CONFIGURED, list(history), 0.05)
