"""The package's layers as data: which part of `evol` may import which.

A part is a subpackage (`llm`, `stages`, ...) or a top-level module (`pipeline`, `rundir`, ...); `evol` is
the package's own `__init__`. `ALLOWED[part]` lists every part it imports, deferred imports and
`importlib.import_module("evol....")` strings included. The arrows make no cycle, so each part sits on a
layer above everything it imports. `tests/test_layers.py` holds the code to this table both ways (an
import missing from it fails, and so does an arrow nothing uses); `python -m evol.layers` draws it, and
docs/architecture.md shows that drawing.
"""

from __future__ import annotations

import textwrap

ALLOWED: dict[str, tuple[str, ...]] = {
    "__main__": ("cli",),
    "evol": ("api", "version"),
    "cli": ("commands",),
    "commands": ("calls", "config", "decontam", "dedup", "errors", "eval", "io", "llm", "pipeline", "plan",
                 "preflight", "pricing", "progress", "recipes", "report", "reward", "rundir", "sandbox", "sim",
                 "stages"),
    "api": ("io", "pipeline", "progress", "recipes", "records", "report", "rundir"),
    "plan": ("config", "llm", "pipeline", "records", "rundir", "seeds", "stages"),
    "progress": ("report", "stages"),
    "pipeline": ("calls", "config", "datafields", "decontam", "dedup", "errors", "export", "io", "llm", "loops",
                 "preflight", "pricing", "prompts", "records", "resources", "round", "round_pending", "rundir",
                 "runview", "sandbox", "seeds", "sim", "stages", "version"),
    "report": ("errors", "export", "io", "pricing", "records", "rundir", "stages", "text"),
    "round": ("calls", "errors", "io", "records", "round_pending", "rundir", "stages"),
    "round_pending": ("errors", "records", "stages"),
    "calls": ("calls_migrations", "config", "errors", "llm", "rundir"),
    "recipes": ("config", "resources"),
    "stages": ("config", "errors", "llm", "prompts", "pyparse", "records", "sandbox", "text", "verification"),
    "config": ("config_file", "datafields", "decontam", "dedup", "errors", "llm", "sandbox"),
    "decontam": ("dedup", "errors", "io"),
    "export": ("errors", "io", "records", "rundir"),
    "dedup": ("errors", "io"),
    "eval": ("errors", "io", "llm", "loops", "pyparse", "sandbox", "template", "verification"),
    "reward": ("eval", "sandbox", "verification"),
    "preflight": ("errors", "llm", "sim", "stages"),
    "pricing": ("config_file", "errors", "llm"),
    "rundir": ("config_file", "errors", "io"),
    "seeds": ("errors", "io", "records"),
    "train": ("config_file", "errors", "io", "template"),
    "calls_migrations": (),
    "config_file": ("errors",),
    "io": ("errors",),
    "llm": ("errors",),
    "prompts": ("errors", "resources"),
    "sandbox": ("datafields", "errors", "pyparse"),
    "sim": ("errors", "lifetime", "llm", "verification"),
    "verification": ("pyparse", "sandbox", "text"),
    "datafields": (),
    "errors": (),
    "layers": (),
    "lifetime": (),
    "loops": (),
    "pyparse": (),
    "records": (),
    "resources": (),
    "runview": (),
    "template": (),
    "text": (),
    "version": (),
}


def layers(allowed: dict[str, tuple[str, ...]] = ALLOWED) -> dict[str, int]:
    """Each part's layer: 0 imports no other part, else one above the highest part it imports.

    Raises ValueError on a cycle or an arrow to a part the table does not list.
    """
    out: dict[str, int] = {}
    visiting: set[str] = set()

    def layer(part: str) -> int:
        if part in out:
            return out[part]
        if part not in allowed:
            raise ValueError(f"{part}: not in the layer table")
        if part in visiting:
            raise ValueError(f"{part}: the allowed arrows make a cycle through it")
        visiting.add(part)
        out[part] = 1 + max((layer(dst) for dst in allowed[part]), default=-1)
        visiting.discard(part)
        return out[part]

    for part in allowed:
        layer(part)
    return out


def drawing(allowed: dict[str, tuple[str, ...]] = ALLOWED, width: int = 110) -> str:
    """The package graph, top layer first: each part with the parts it may import."""
    rank = layers(allowed)
    lines = []
    for part in sorted(allowed, key=lambda p: (-rank[p], p)):
        head = f"{rank[part]:>2}  {part:<13}" + (" -> " if allowed[part] else "")
        lines += textwrap.wrap(" ".join(sorted(allowed[part])), width, initial_indent=head,
                               subsequent_indent=" " * len(head)) or [head.rstrip()]
    return "\n".join(lines)


if __name__ == "__main__":
    print(drawing())
