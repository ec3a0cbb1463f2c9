"""The sim's content: a rule-based rewrite for evolution prompts, tests and answers from its task world
(evol/sim/tasks.py) otherwise.

Everything here is a pure function of the request text, so the same request always gets the same reply.
A small, fixed share of replies are deliberately bad (copied template words, no change, refusals, broken
code) so the pipeline's elimination and filters have real work to do.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import replace

from evol.sim.tasks import Rates, Task, bucket, roll

GIVEN = re.compile(r"#(?:Given Test|The Given Prompt|Given Prompt)#:?\s*\n(.*?)\n\s*#(?:Rewritten|Created)",
                   re.S)

TESTS_MARK = "You are writing tests for a programming task"
REFEREE_MARK = "You are the referee for the tests of a programming task"
MORE_INPUTS_MARK = "a subtly wrong solution still passes them"
MORE_INPUTS = [[6], [1, 1], [8, -2, 8, 0], [2, 2, 2], [10, 4, 7], [0, -1], [5, 3, 5, 3, 1]]
DISPUTE = re.compile(r"^Input (\d+): (.*)\n  A: (.*)\n  B: (.*)$", re.M)
TASK = re.compile(r"#Task#:\s*\n(.*?)\n#End of Task#", re.S)
JOINT_MARK = "\n\nAnswer the task above. Then, in a separate last fenced code block"

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

def evolve(prompt: str, seed: object = None) -> str:
    """Apply the method the prompt asks for to the instruction it carries (`seed`, when given, varies the draw)."""
    match = GIVEN.search(prompt)
    given = match.group(1).strip() if match else prompt.strip()[-400:]
    draw = prompt if seed is None else f"{prompt}\x1f{seed}"
    roll = bucket(draw, "fail", 100)
    if roll < 3:
        return "#Rewritten Prompt#:\n" + given  # copies template words: eliminated
    if roll < 6:
        return given  # no information gain: eliminated
    pick = bucket(draw, "pick", 1 << 30)
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


def answer(prompt: str, seed: object = None, instruction: str | None = None, rates: Rates | None = None) -> str:
    """An explanation plus a fenced solution of the sim's task for the instruction (a few deliberately bad:
    refusals, syntax errors; and, varying with the request's seed, bugs and crashes)."""
    rates = rates or Rates.from_env()
    instruction = prompt if instruction is None else instruction
    roll = bucket(prompt, "answer", 100)
    if roll < 3:
        return "I'm sorry, but as an AI I cannot help with that request."
    task = Task.of(instruction)
    code = task.code(f"{prompt}\x1f{seed}", rates)
    if roll < 5:
        code = code.replace("):\n", ")\n", 1).replace(") {\n", ") \n", 1)  # a syntax error: broken code
    topic = " ".join(re.findall(r"[A-Za-z]+", instruction)[:12]).lower()
    return (
        f"Here is one way to approach it ({topic}...).\n\n"
        "The idea is to process the input in a single pass, keep only the state we need, and return a "
        "plain value so the function is easy to test.\n\n"
        f"```{task.language}\n{code}```\n\n"
        "The function is deterministic; edge cases such as empty input return an empty result."
    )


def tests(prompt: str) -> str:
    """Tests for the task a tests prompt carries (written from the instruction alone)."""
    match = TASK.search(prompt)
    instruction = match.group(1) if match else prompt
    return Task.of(instruction).tests(prompt, Rates.from_env())


def answer_with_tests(prompt: str, seed: object = None) -> str:
    """A joint reply: the answer, then a `# Tests` block."""
    instruction = prompt.split(JOINT_MARK, 1)[0].strip()
    reply = answer(prompt, seed, instruction)
    task, rates = Task.of(instruction), Rates.from_env()
    block = task.joint_tests(prompt, rates)
    if block.startswith("```"):
        comment = "//" if task.language == "javascript" else "#"
        head, _, rest = block.partition("\n")
        block = f"{head}\n{comment} Tests\n{rest}"
    return f"{reply}\n\n{block}"


def referee(prompt: str) -> str:
    """Rulings on contested cases: the output the task's right reading gives (the sim knows it). The referee
    misreads the task as an answer would (`Rates.answer_misread`, or `Rates.referee_misread` for a referee on
    a model of its own; its own draw; a task everyone misreads alike
    fools it too), and then sides with the misreading's values."""
    match = TASK.search(prompt)
    task, rates = Task.of(match.group(1) if match else prompt), Rates.from_env()
    own = rates.referee_misread if rates.referee_misread >= 0 else rates.answer_misread
    misread = roll(prompt, "referee_misread", own)
    reading = replace(Rates(**dict.fromkeys(Rates.__dataclass_fields__, 0.0)), shared_misread=rates.shared_misread,
                      tests_misread=1.0 if misread else 0.0)
    cases, _ = task.cases(prompt, reading)
    truth = {c["call"]: f"raises {c['raises']}" if c.get("raises") else c["expected"] for c in cases}
    out = []
    for n, call, a, b in DISPUTE.findall(prompt):
        right = truth.get(call.strip().strip("`"))
        choice = next((label for label, text in (("A", a), ("B", b)) if right is not None and _same(text, right)),
                      "neither")
        out.append({"input": int(n), "choice": choice})
    return "I worked each input out from the task.\n\n```json\n" + json.dumps({"rulings": out}) + "\n```"


def more_inputs(prompt: str) -> str:
    """New inputs for weak tests: calls of the task's function on small lists (some replies unparsable)."""
    match = TASK.search(prompt)
    task, rates = Task.of(match.group(1) if match else prompt), Rates.from_env()
    if roll(prompt, "tests_unparsable", rates.tests_unparsable):
        return "More tests would help: try bigger inputs."
    want = int(m.group(1)) if (m := re.search(r"Write (\d+) more inputs", prompt)) else 3
    get = "[0]" if "ops" in task.needs else ""
    return json.dumps({"calls": [f"{task.name}({xs}){get}" for xs in MORE_INPUTS[:want]]})


def _same(shown: str, expected: str) -> bool:
    try:
        return ast.literal_eval(shown.strip()) == ast.literal_eval(expected)
    except (ValueError, SyntaxError):
        return shown.strip() == expected.strip()


def judge(prompt: str) -> str:
    return "Equal" if bucket(prompt, "judge", 100) < 5 else "Not Equal"


def respond(prompt: str, seed: object = None) -> str:
    """Route a request to the rule that plays it (`seed`: the request's sampling seed, if any).

    A prompt no rule knows (a new stage's, a recipe's own) is answered as a task: the sim serves any stage.
    """
    if "Your Judgement" in prompt:
        return judge(prompt)
    if MORE_INPUTS_MARK in prompt:  # before the tests rule: it is a tests writer's prompt too
        return more_inputs(prompt)
    if TESTS_MARK in prompt:
        return tests(prompt)
    if REFEREE_MARK in prompt:
        return referee(prompt)
    if JOINT_MARK in prompt:
        return answer_with_tests(prompt, seed)
    if GIVEN.search(prompt) or "Please increase the difficulty" in prompt:
        return evolve(prompt, seed)
    return answer(prompt, seed)


def count_tokens(text: str) -> int:
    """A rough token count (about 4 characters a token), enough for usage accounting."""
    return max(1, len(text) // 4)
