"""The sim's plausible misreadings: for each task family, another reading of the same words, with its code and
the values a test written under it expects. Answers follow it at `Rates.answer_misread` (each answer on its own),
tests at `Rates.tests_misread`; at `Rates.shared_misread` a task is misread by every answer and its tests alike
(what agreement cannot see). `Rates.tests_vacuous`: tests that only check the empty input.
"""

from __future__ import annotations

# The main line of the answer's body under the misreading (the names as in evol.sim.tasks: xs, ops, result).
CODE = {
    "unique_sorted": ("seen = {}\n    for x in xs:\n        seen[x] = seen.get(x, 0) + 1\n        ops += 1\n"
                      "    result = sorted(x for x, c in seen.items() if c == 1)"),  # values seen once
    "running_max": ("result, best = [], None\n    for x in reversed(xs):\n"
                    "        best = x if best is None or x > best else best\n        result.append(best)\n"
                    "        ops += 1\n    result.reverse()"),  # the maximum of what follows
    "counts": ("result = {}\n    for x in xs:\n        result[x] = result.get(x, 0) + 1\n        ops += 1\n"
               "    result = {k: v for k, v in result.items() if v > 1}"),  # repeated values only
    "equal_pairs": "result = sum(1 for a, b in zip(xs, xs[1:]) if a == b)\n    ops += len(xs)",  # adjacent pairs
}
# What the misreading gives on evol.sim.tasks.SAMPLE = [3, 1, 2, 3, 5, 1, 4].
EXPECTED = {"unique_sorted": [2, 4, 5], "running_max": [5, 5, 5, 5, 5, 4, 4], "counts": {3: 2, 1: 2},
            "equal_pairs": 0}
