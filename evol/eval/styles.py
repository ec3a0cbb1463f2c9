"""How a HumanEval problem is asked and how the answer becomes code: evol's own way, or WizardCoder's exactly.

evol (the default): the training prompt (``evol.template``) around "Create a Python script for this problem:" and
the problem, and ``evol.eval.postprocess.extract_code`` (robust: picks the block that defines the entry point,
drops test scaffolding such as top-level prints).

wizardcoder: what WizardCoder's public ``humaneval_gen.py`` and ``process_humaneval.py --add_prompt`` did, so that
pass@1 is comparable with the published 57.3 (sampled) / 59.8 (greedy). The scripts changed over time; this
follows the revisions of nlpxucan/WizardLM read for it: humaneval_gen.py at 080166c7 (the one with
``--greedy_decode``, which the README's 59.8 reproduction runs; an earlier revision, d352ab04, had two newlines)
and process_humaneval.py at c75efca4 (revision eab8734b cuts at the bare ``__name__ == "__main__"`` instead,
leaving a dangling ``if``):

- prompt: its own copy of the template, with THREE newlines before ``### Instruction:``, and the problem's
  4-space runs turned into tabs;
- generation: the text after ``### Response:`` up to any further ``### Response:``, tabs turned back into
  4 spaces (humaneval_gen.py does this before saving);
- post-processing: carriage returns removed; when a fenced ```python block is present, the text from that fence,
  stripped, with every ```python marker removed, cut at the next fence and stripped (an unclosed block is kept
  whole); then cut at ``if __name__ == "__main__":`` and at ``# Example usage``, each stripped. Everything else
  stays, e.g. a top-level ``print(...)`` after the function, which then runs with the tests.

One deviation: where the original script raises (``__name__ == "__main__"`` present without the exact line
``if __name__ == "__main__":``, so its ``str.index`` fails and the whole run stops), this keeps the completion
as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from evol.eval.postprocess import extract_code
from evol.template import HUMANEVAL_PREFIX
from evol.template import humaneval_prompt as evol_humaneval_prompt

PromptStyle = Literal["evol", "wizardcoder"]
PostprocessStyle = Literal["evol", "wizardcoder"]
STYLES: tuple[str, ...] = ("evol", "wizardcoder")

WIZARDCODER_PROMPT = (
    "Below is an instruction that describes a task. Write a response that appropriately completes the request."
    "\n\n\n### Instruction:\n{instruction}\n\n### Response:"
)
RESPONSE_MARK = "### Response:"
FENCE_PY, FENCE = "```python", "```"
MAIN_LINE = 'if __name__ == "__main__":'
MAIN_TEST = '__name__ == "__main__"'
EXAMPLE_MARK = "# Example usage"


def humaneval_prompt(problem_prompt: str, style: PromptStyle = "evol") -> str:
    """The full text sent to a completions endpoint (or a local model) for one HumanEval problem."""
    if style == "wizardcoder":
        return WIZARDCODER_PROMPT.format(instruction=HUMANEVAL_PREFIX + problem_prompt.replace("    ", "\t"))
    return evol_humaneval_prompt(problem_prompt)


def decode_response(text: str, style: PromptStyle = "evol") -> str:
    """The model's text as the prompt style's generation script saved it."""
    if style == "wizardcoder":
        return text.split(RESPONSE_MARK)[0].replace("\t", "    ")
    return text


def wizardcoder_postprocess(completion: str) -> str:
    """``process_humaneval.py --add_prompt``: the fenced block, then cut at the main guard and the usage marker."""
    completion = completion.replace("\r", "")
    if FENCE_PY in completion:
        completion = completion[completion.index(FENCE_PY) :].strip().replace(FENCE_PY, "")
        if FENCE in completion:
            completion = completion[: completion.index(FENCE)].strip()
    if MAIN_TEST in completion and MAIN_LINE in completion:
        completion = completion[: completion.index(MAIN_LINE)].strip()
    if EXAMPLE_MARK in completion:
        completion = completion[: completion.index(EXAMPLE_MARK)].strip()
    return completion


def postprocessor(style: PostprocessStyle = "evol") -> Callable[[str, str | None], str]:
    """``f(raw, entry_point) -> code`` for the style."""
    if style == "wizardcoder":
        return lambda raw, _entry_point: wizardcoder_postprocess(raw)
    return extract_code
