"""Prompt templates as plain-text files: loading, placeholder validation at start-up, hashing."""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evol.errors import ConfigError
from evol.resources import shipped

DEFAULT_PROMPTS_DIR = shipped("prompts")  # package data in a wheel, the repository's prompts/ in a checkout

# Each template and the exact placeholders it must use: a missing or unknown one fails at start-up.
TEMPLATE_FIELDS: dict[str, frozenset[str]] = {
    "evolve_code": frozenset({"method", "instruction"}),
    "evolve_depth": frozenset({"method", "instruction"}),
    "evolve_breadth": frozenset({"instruction"}),
    "answer": frozenset({"instruction"}),
    "judge_equal": frozenset({"parent", "child"}),
    "tests": frozenset({"instruction", "language"}),
    "answer_with_tests": frozenset({"instruction", "language"}),
    "referee": frozenset({"instruction", "disputes"}),
    "more_inputs": frozenset({"instruction", "calls", "n"}),
}
# The extra templates verification needs, by `verify.mode`.
VERIFY_TEMPLATES = {"separate": ("tests",), "joint": ("answer_with_tests",)}

def verification_extras(verify: Any) -> tuple[str, ...]:
    """The shipped templates a `[verify]` section calls for beyond its mode's: the referee's, more inputs'."""
    if not verify.enabled:
        return ()
    return (("referee",) if verify.referee.enabled else ()) + (
        ("more_inputs",) if verify.mutants > 0 and verify.more_cases > 0 else ())


# Method families: the folder of method sentences and the template they fill.
FAMILIES: dict[str, tuple[str, str]] = {"code": ("evolve_code", ""), "depth": ("evolve_depth", "depth_")}


@dataclass(frozen=True)
class Prompt:
    """A template a stage renders (the stage table names them): a shipped one by name; one a stage brings
    with its placeholders, and the folder it lives in when that is not the run's prompts folder."""

    name: str
    fields: frozenset[str] | None = None  # None: a shipped template, its fields in TEMPLATE_FIELDS
    folder: Path | None = None


@dataclass(frozen=True)
class Template:
    """One loaded template; `sha` identifies its exact text and is stored in every record it made."""

    name: str
    path: Path
    text: str

    @property
    def sha(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:12]

    def render(self, **values: str) -> str:
        return self.text.format(**values)


@dataclass(frozen=True)
class Method:
    """An evolution method: its template and the sentence that tells the LLM how to evolve."""

    name: str
    template: str
    text: str


def placeholders(text: str, path: Path) -> set[str]:
    """The `{names}` a template uses; a malformed brace is a ConfigError naming the file."""
    try:
        return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError as exc:
        raise ConfigError(f"{path}: bad placeholder syntax ({exc}); write literal braces as {{{{ }}}}") from None


def load_template(name: str, prompts_dir: Path = DEFAULT_PROMPTS_DIR,
                  fields: frozenset[str] | None = None) -> Template:
    """Load and validate one template file `<prompts_dir>/<name>.txt` (`fields`: a stage's own template's)."""
    path = Path(prompts_dir) / f"{name}.txt"
    if not path.is_file():
        raise ConfigError(f"{path}: prompt template not found")
    text = path.read_text(encoding="utf-8")
    wanted = fields if fields is not None else TEMPLATE_FIELDS.get(name)
    if wanted is None:
        raise ConfigError(f"{path}: not a shipped template; the stage that renders it must give its fields")
    used = placeholders(text, path)
    if used - wanted:
        raise ConfigError(f"{path}: unknown placeholder(s) {sorted(used - wanted)}; allowed: {sorted(wanted)}")
    if wanted - used:
        raise ConfigError(f"{path}: missing placeholder(s) {sorted(wanted - used)}")
    return Template(name, path, text)


def discover_methods(prompts_dir: Path = DEFAULT_PROMPTS_DIR) -> dict[str, Method]:
    """Every evolution method shipped as a file under `prompts/methods/<family>/`, plus `breadth`."""
    methods: dict[str, Method] = {"breadth": Method("breadth", "evolve_breadth", "")}
    for family, (template, prefix) in FAMILIES.items():
        for path in sorted((Path(prompts_dir) / "methods" / family).glob("*.txt")):
            text = path.read_text(encoding="utf-8").strip()
            if not text:
                raise ConfigError(f"{path}: empty method description")
            if placeholders(text, path):
                raise ConfigError(f"{path}: a method description takes no placeholders")
            methods[prefix + path.stem] = Method(prefix + path.stem, template, text)
    return methods


class PromptSet:
    """All templates and the chosen methods, validated together at start-up."""

    def __init__(self, method_names: list[str], prompts_dir: Path = DEFAULT_PROMPTS_DIR,
                 verify: str | None = None, extra: tuple[Prompt, ...] = (), also: tuple[str, ...] = ()) -> None:
        """`extra`: the templates of the run's other stages (those not shipped bring their fields); `also`: shipped
        templates the run's settings call for (`verification_extras`)."""
        available = discover_methods(prompts_dir)
        unknown = [m for m in method_names if m not in available]
        if unknown:
            raise ConfigError(f"evolve.methods: unknown method(s) {unknown}; available: {sorted(available)}")
        self.methods = {m: available[m] for m in method_names}
        needed = {"answer", "judge_equal"} | {m.template for m in self.methods.values()}
        needed |= set(VERIFY_TEMPLATES.get(verify or "", ())) | set(also)
        self.templates = {name: load_template(name, prompts_dir) for name in sorted(needed)}
        for prompt in extra:
            if prompt.name not in self.templates and prompt.fields is not None:
                self.templates[prompt.name] = load_template(prompt.name, prompt.folder or prompts_dir, prompt.fields)

    def evolve_prompt(self, method: str, instruction: str) -> tuple[str, str]:
        """The rendered evolution prompt for a method and the sha of the template used."""
        spec = self.methods[method]
        template = self.templates[spec.template]
        values = {"instruction": instruction}
        if spec.text:
            values["method"] = spec.text
        return template.render(**values), template.sha

    def render(self, name: str, **values: str) -> str:
        return self.templates[name].render(**values)

    def sha(self, name: str) -> str:
        return self.templates[name].sha
