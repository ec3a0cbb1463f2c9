"""evol's verifiable reward in TRL's and verl's reward hooks, driven by a stub trainer loop (no GPU, no TRL).

    python docs/examples/rl_reward.py [ITEMS.jsonl]      # default: two items built here

ITEMS.jsonl is `evol export RUN --format rl` output. The stub "policy" answers each prompt with the item's
reference, a wrong answer and a forged one (AlwaysEqual); the reward hooks score them with evol.reward.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from evol.reward import score

# --- TRL: GRPOTrainer(reward_funcs=[evol_reward], ...). TRL calls each reward function with the batch's
# prompts and completions as keywords, plus every other dataset column as a list (here: `cases`, `language`),
# and wants one float per completion.


def evol_reward(prompts: list[Any], completions: list[Any], **kwargs: Any) -> list[float]:
    """A TRL reward function: the pass rate of each completion on its row's cases."""
    items = [{"prompt": p, "cases": c, "language": lang}
             for p, c, lang in zip(prompts, kwargs["cases"], kwargs["language"], strict=True)]
    return [r.reward for r in score(items, completions)]


# --- verl: custom_reward_function.path=docs/examples/rl_reward.py, custom_reward_function.name=compute_score.
# verl's default reward manager calls it once per response; `reward_model.reward_manager=batch` calls
# compute_score_batch with lists. Put the item (prompt, cases, language) in each row's `extra_info`.


def compute_score(data_source: str, solution_str: str, ground_truth: Any, extra_info: dict | None = None) -> float:
    """verl's per-response hook."""
    return compute_score_batch([data_source], [solution_str], [ground_truth], [extra_info])[0]


def compute_score_batch(data_sources: list[str], solution_strs: list[str], ground_truths: list[Any],
                        extra_infos: list[dict | None]) -> list[float]:
    """verl's batch hook (BatchRewardManager): one judge pass over the whole batch, across the worker slots."""
    items = [info or {} for info in extra_infos]
    return [r.reward for r in score(items, solution_strs)]


# --- a stub trainer loop standing in for both (a GRPO-style group of samples per prompt)


def demo_items() -> list[dict[str, Any]]:
    add = [{"call": f"add({a}, {b})", "stdin": None, "expected": str(a + b)} for a, b in ((1, 2), (2, 2), (-1, 1))]
    rev = [{"call": f"rev({s!r})", "stdin": None, "expected": repr(s[::-1])} for s in ("abc", "", "ab")]
    return [
        {"prompt": "Write add(a, b).", "cases": add, "language": "python",
         "reference": "def add(a, b):\n    return a + b\n"},
        {"prompt": "Write rev(s), s reversed.", "cases": rev, "language": "python",
         "reference": "```python\ndef rev(s):\n    return s[::-1]\n```"},
    ]


FORGED = "class Yes(int):\n    def __eq__(self, other):\n        return True\n\ndef {name}(*args):\n    return Yes(0)\n"


def policy(item: dict[str, Any]) -> list[str]:
    """Three samples per prompt: the reference, a wrong answer, a forged one."""
    name = item["cases"][0]["call"].split("(")[0]
    return [item["reference"], f"def {name}(*args):\n    return None\n", FORGED.format(name=name)]


def main(path: str | None = None) -> None:
    rows = [json.loads(line) for line in open(path, encoding="utf-8")] if path else demo_items()
    for step, row in enumerate(rows):
        samples = policy(row)
        group = [row] * len(samples)
        trl = evol_reward([r["prompt"] for r in group], samples, cases=[r["cases"] for r in group],
                          language=[r["language"] for r in group])
        verl = compute_score_batch(["evol"] * len(samples), samples, [None] * len(samples), group)
        single = [compute_score("evol", s, None, row) for s in samples]
        assert trl == verl == single, (trl, verl, single)
        print(json.dumps({"step": step, "prompt": row["prompt"][:40], "rewards": trl}))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
