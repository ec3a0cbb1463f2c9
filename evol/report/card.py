"""The dataset card (README.md) written next to an exported dataset: what is in it, how it was made, terms."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from evol.records import Record
from evol.report.rundata import RunData
from evol.report.totals import run_totals

BUNDLED_SEEDS = {"data/seeds/code_seeds.jsonl": "CC0-1.0 (evol's hand-written seed set; see data/seeds/README.md)"}
SIZES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"))


def seed_license(path: str) -> str:
    """What is known about the license of one seed source."""
    for suffix, text in BUNDLED_SEEDS.items():
        if path.replace("\\", "/").endswith(suffix):
            return text
    if path.startswith("hf:"):
        name = path[3:].split(":")[0]
        return f"see the dataset's own card: https://huggingface.co/datasets/{name}"
    return "unknown: check the license of this file before publishing"


def size_category(n: int) -> str:
    return next((label for limit, label in SIZES if n < limit), "1M<n<10M")


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|:---|" + "|".join("---:" for _ in header[1:]) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def build_card(run: RunData, records: list[Record], *, include_seeds: bool, license_id: str = "other",
               columns: tuple[str, ...] = ("instruction", "output"), hub: bool = False) -> str:
    """Markdown with YAML front matter (Hugging Face dataset card) for the exported `records`.

    `hub` adds the `configs` block that points the Hub's loader at the files `push_to_hub` uploads.
    """
    totals = run_totals(run)
    cfg = run.config
    per_round = Counter(int(r.get("round", 0)) for r in records)
    by_method = Counter(str(r.get("method")) for r in records if int(r.get("round", 0)) > 0)
    sampling = cfg.get("sampling", {})
    methods = cfg.get("evolve", {}).get("methods", {})
    seeds = cfg.get("seeds", {}).get("paths", [])
    decontam = cfg.get("decontam", {})
    front = [
        "---", f"license: {license_id}",
        *(["license_name: teacher-terms-and-seed-licenses"] if license_id == "other" else []),
        "language:", "- en", "task_categories:", "- text-generation", "tags:", "- code", "- evol-instruct",
        "- synthetic", "size_categories:", f"- {size_category(len(records))}", f"pretty_name: {run.name}",
        *(["configs:", "- config_name: default", "  data_files:", "  - split: train", "    path: data/train-*"]
          if hub else []), "---",
    ]
    teacher = f"`{run.model}`" + ("" if run.model == run.configured_model
                                  else f" (configured as `{run.configured_model}`)")
    steps = ["answers were filtered"]
    if cfg.get("dedup", {}).get("enabled"):
        steps.append("near-duplicates removed")
    if decontam.get("enabled"):
        steps.append("items overlapping a benchmark removed")
    if cfg.get("verify", {}).get("enabled"):
        steps.append("every answer run against tests the teacher wrote from the instruction alone, in a sandbox "
                     "(`code`, `tests`, `verification_status`, `difficulty` columns)")
    extra = [c for c in columns if c not in ("instruction", "output")]
    layout = 'the WizardCoder "78k" layout' + (f", plus the columns {', '.join(extra)}" if extra else "")
    simulated = ("\n> **SYNTHETIC, NOT FOR TRAINING.** This run used evol's offline simulator instead of a real "
                 "teacher model: the instructions are rule-based rewrites and the answers are canned.\n"
                 if run.simulated else "")
    unfinished = (f"\n> **Unfinished run** (status `{run.status}`): only rounds 0..{len(run.rounds) - 1} are "
                  "included.\n" if not run.finished else "")
    body = f"""
# {run.name}

Code instruction-tuning data grown with `evol` by Code Evol-Instruct (the WizardCoder recipe):
{totals['seeds']} seed instructions were rewritten into harder ones over {totals['rounds']} rounds by a teacher
model and answered by the same teacher; {', '.join(steps)}.
{simulated}{unfinished}
## Contents

One split, `train`, with **{len(records):,} rows**: `instruction` and `output` ({layout}).
Seeds (round 0) are {"included" if include_seeds else "not included"}.

### Rows per round

{_table(("round", "rows", "pool", "rejected"), [(st["round"], per_round.get(st["round"], 0), st["pool"],
        st["pool"] - st["kept"]) for st in run.stats])}

### Evolution methods (rows kept)

{_table(("method", "weight", "drawn", "rows"), [(m, methods.get(m, ""), totals["methods"].get(m, 0),
        by_method.get(m, 0)) for m in sorted(set(methods) | set(totals["methods"]))]) if totals["methods"] else "-"}

Rejections over the run: {", ".join(f"{k} {v}" for k, v in totals["rejected_by_stage"].items()) or "none"}
(reasons: {", ".join(f"{k} {v}" for k, v in totals["reasons"].items()) or "none"}).

## How it was made

| | |
|---|---|
| teacher model (served) | `{run.model}` |
| endpoint model name (config) | `{run.configured_model}` |
| sampling | temperature {sampling.get("temperature", "?")}, top_p {sampling.get("top_p", "?")}, \
max_tokens {sampling.get("max_tokens", "?")} |
| rounds | {totals["rounds"]} |
| seeds | {", ".join(f"`{s}`" for s in seeds) or "?"} |
| near-dedup | {"on, threshold " + str(cfg.get("dedup", {}).get("threshold")) if cfg.get("dedup", {}).get("enabled")
                 else "off"} |
| decontamination | {", ".join(decontam.get("benchmarks", [])) if decontam.get("enabled") else "off"} |
| tokens | {totals["prompt_tokens"]:,} prompt + {totals["completion_tokens"]:,} completion |
| config digest | `{run.manifest.get("config_digest", "?")}` (data digest `{run.manifest.get("data_digest", "?")}`) |
| evol version | {run.manifest.get("evol_version", "?")} |
| exported | {dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")} |

## Terms of use of the teacher's outputs

Every instruction after round 0 and every output was written by the teacher model {teacher}.
Outputs of a commercial model (for example OpenAI's) are subject to its provider's terms of use, which may
restrict using them to develop competing models or redistributing them. Check those terms before you train
on or publish this data; this card does not grant rights the provider's terms withhold.

## License

- Seed instructions: {"; ".join(f"`{s}`: {seed_license(s)}" for s in seeds) or "unknown"}.
- Generated instructions and outputs: `{license_id}` as declared above, subject to the teacher's terms of
  use (previous section).

## Citation

WizardCoder: Luo et al., *WizardCoder: Empowering Code Large Language Models with Evol-Instruct*, 2023.
WizardLM: Xu et al., *WizardLM: Empowering Large Language Models to Follow Complex Instructions*, 2023.
"""
    return "\n".join(front) + "\n" + body.lstrip("\n")
