"""The sim's content: a rule-based rewrite for evolution prompts, an answer with runnable code otherwise.

Everything here is a pure function of the request text, so the same request always gets the same reply.
A small, fixed share of replies are deliberately bad (copied template words, no change, refusals, broken
code) so the pipeline's elimination and filters have real work to do.
"""

from __future__ import annotations

import hashlib
import re

GIVEN = re.compile(r"#(?:Given Test|The Given Prompt|Given Prompt)#:?\s*\n(.*?)\n\s*#(?:Rewritten|Created)",
                   re.S)

CONSTRAINTS = [
    "The function must also validate its input and raise a ValueError with a helpful message on bad data.",
    "Handle empty input gracefully and document the behaviour for duplicate values.",
    "The solution must not use any third-party libraries and must include type hints.",
    "Also return the number of operations performed, as a second value in a tuple.",
    "Inputs may contain up to one million elements, so avoid quadratic behaviour.",
    "Make the implementation thread-safe and explain which operations need locking.",
]
SWAPS = [
    ("list", "deque from the collections module"), ("string", "byte string"), ("sort", "stably sort"),
    ("dictionary", "ordered mapping keyed by tuples"), ("file", "memory-mapped file"),
    ("integer", "arbitrary-precision rational number"), ("array", "ring buffer"), ("number", "Decimal value"),
]
REASONING = [
    "First, describe the edge cases; then design the data structure; finally implement and justify each step.",
    "Break the task into three stages: parse the input, compute intermediate results, and verify the output "
    "against a brute-force version.",
    "Before coding, explain the invariant your loop maintains and prove that it terminates.",
]
ERRONEOUS = [
    "def process(items):\n    result = []\n    for i in range(len(items) + 1):\n        result.append(items[i])\n"
    "    return result",
    "def total(values):\n    s = 0\n    for v in values:\n        s =+ v\n    return s",
    "def find(items, target):\n    lo, hi = 0, len(items)\n    while lo < hi:\n        mid = (lo + hi) // 2\n"
    "        if items[mid] < target:\n            lo = mid\n        else:\n            hi = mid\n    return lo",
]
COMPLEXITY = [
    "Your solution must run in O(n log n) time and use O(1) extra space.",
    "Achieve O(n) time complexity with a single pass over the input.",
    "Keep memory usage to O(log n) beyond the input itself.",
]
BREADTH_TOPICS = [
    "Write a Python generator that yields the Gray code sequence for n bits, and explain why it works.",
    "Implement an LRU cache with per-entry expiry times in Python without using functools.",
    "Write a function that merges overlapping calendar bookings given as (start, end) pairs of datetimes.",
    "Implement a tokenizer for simple arithmetic expressions that reports the column of any invalid character.",
]
SOLUTIONS = [
    ("from collections import Counter\n\n\ndef solve(items):\n    \"\"\"Return items ordered by frequency, then "
     "by value.\"\"\"\n    counts = Counter(items)\n    return sorted(counts, key=lambda x: (-counts[x], x))\n\n\n"
     "print(solve([3, 1, 3, 2, 1, 3]))"),
    ("def solve(values):\n    \"\"\"Return the running maximum of a sequence.\"\"\"\n    out, best = [], None\n"
     "    for v in values:\n        best = v if best is None or v > best else best\n        out.append(best)\n"
     "    return out\n\n\nprint(solve([2, 5, 1, 7, 3]))"),
    ("def solve(text):\n    \"\"\"Count words case-insensitively, ignoring punctuation.\"\"\"\n    import re\n\n"
     "    words = re.findall(r\"[a-z']+\", text.lower())\n    counts = {}\n    for w in words:\n"
     "        counts[w] = counts.get(w, 0) + 1\n    return counts\n\n\nprint(solve(\"It is what it is.\"))"),
    ("def solve(n):\n    \"\"\"Return the primes below n with a sieve.\"\"\"\n    if n < 3:\n        return []\n"
     "    sieve = bytearray([1]) * n\n    sieve[0:2] = b\"\\x00\\x00\"\n    for i in range(2, int(n ** 0.5) + 1):\n"
     "        if sieve[i]:\n            sieve[i * i::i] = bytearray(len(sieve[i * i::i]))\n"
     "    return [i for i, p in enumerate(sieve) if p]\n\n\nprint(solve(30))"),
]


def bucket(text: str, salt: str, n: int) -> int:
    """A stable pseudo-random number in [0, n) for this text."""
    return int.from_bytes(hashlib.sha256((salt + "\x1f" + text).encode()).digest()[:8], "big") % n


def evolve(prompt: str) -> str:
    """Apply the method the prompt asks for to the instruction it carries."""
    match = GIVEN.search(prompt)
    given = match.group(1).strip() if match else prompt.strip()[-400:]
    roll = bucket(prompt, "fail", 100)
    if roll < 3:
        return "#Rewritten Prompt#:\n" + given  # copies template words: eliminated
    if roll < 6:
        return given  # no information gain: eliminated
    pick = bucket(prompt, "pick", 1 << 30)
    if roll < 12:  # drifts to a stock task, as real teachers do: duplicates across lineages
        return f"{BREADTH_TOPICS[pick % len(BREADTH_TOPICS)]} Include unit tests written with pytest."
    low = prompt.lower()
    if "brand new prompt" in low:
        return BREADTH_TOPICS[pick % len(BREADTH_TOPICS)]
    if "erroneous code" in low:
        code = ERRONEOUS[pick % len(ERRONEOUS)]
        return f"{given}\n\nFor reference, here is a piece of erroneous code:\n```python\n{code}\n```"
    if "complexity" in low:
        return f"{given} {COMPLEXITY[pick % len(COMPLEXITY)]}"
    if "reasoning" in low:
        return f"{given} {REASONING[pick % len(REASONING)]}"
    if "less common" in low or "specific concepts" in low:
        for i in range(len(SWAPS)):
            common, rare = SWAPS[(pick + i) % len(SWAPS)]
            if re.search(rf"\b{common}\b", given):
                return re.sub(rf"\b{common}\b", rare, given, count=1)
        return f"{given} Use a {SWAPS[pick % len(SWAPS)][1]} instead of the obvious data structure."
    if "concrete input" in low:
        return f"{given}\nUse this input: [4, 8, 15, 16, 23, 42] and show the expected output."
    return f"{given} {CONSTRAINTS[pick % len(CONSTRAINTS)]}"


def answer(prompt: str) -> str:
    """An explanation plus a fenced, runnable Python solution (a few deliberately bad ones)."""
    roll = bucket(prompt, "answer", 100)
    if roll < 3:
        return "I'm sorry, but as an AI I cannot help with that request."
    code = SOLUTIONS[bucket(prompt, "solution", len(SOLUTIONS))]
    if roll < 5:
        code = code.replace("):\n", ")\n", 1)  # a syntax error: filtered as broken code
    topic = " ".join(re.findall(r"[A-Za-z]+", prompt)[:12]).lower()
    return (
        f"Here is one way to approach it ({topic}...).\n\n"
        "The idea is to process the input in a single pass, keep only the state we need, and return a "
        "plain value so the function is easy to test.\n\n"
        f"```python\n{code}\n```\n\n"
        "The function is deterministic; edge cases such as empty input return an empty result."
    )


def judge(prompt: str) -> str:
    return "Equal" if bucket(prompt, "judge", 100) < 5 else "Not Equal"


def respond(prompt: str) -> str:
    """Route a request to the rule that plays it."""
    if "Your Judgement" in prompt:
        return judge(prompt)
    if GIVEN.search(prompt) or "Please increase the difficulty" in prompt:
        return evolve(prompt)
    return answer(prompt)


def count_tokens(text: str) -> int:
    """A rough token count (about 4 characters a token), enough for usage accounting."""
    return max(1, len(text) // 4)
