"""The single source of truth for the WizardCoder/Alpaca training prompt.

Export, the trainer and inference all build prompts here, so the text a model is trained on
is exactly the text it is later asked with.
"""

PROMPT_NO_INPUT = (
    "Below is an instruction that describes a task. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Response:"
)

PROMPT_WITH_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides further context. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:"
)

HUMANEVAL_PREFIX = "Create a Python script for this problem:\n"


def build_prompt(instruction: str, input: str = "") -> str:
    """Render the training/inference prompt for one instruction (and optional input)."""
    if input and input.strip():
        return PROMPT_WITH_INPUT.format(instruction=instruction, input=input)
    return PROMPT_NO_INPUT.format(instruction=instruction)


def build_target(output: str, eos_token: str = "") -> str:
    """The training target: the response text followed by EOS (added as a token id by the trainer)."""
    return output + eos_token


def humaneval_prompt(problem_prompt: str) -> str:
    """WizardCoder's HumanEval prompt: the problem inside the instruction template."""
    return build_prompt(HUMANEVAL_PREFIX + problem_prompt)
