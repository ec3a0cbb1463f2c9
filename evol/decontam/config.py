"""Settings of benchmark decontamination (a pydantic model; unknown keys are errors)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DecontamConfig(BaseModel):
    """Benchmark decontamination: n-gram overlap, whole short docstrings, and near-paraphrases."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    benchmarks: list[str] = Field(
        default_factory=lambda: ["humaneval"], description='"humaneval", a JSON/JSONL path, or NAME=PATH'
    )
    fields: list[str] = Field(default_factory=lambda: ["instruction", "input", "output"], min_length=1)
    ngram: int = Field(13, ge=4, le=64)
    max_items_per_ngram: int = Field(
        1, ge=1, description="ignore n-grams that occur in more than this many items of one benchmark"
    )
    docstring_min_words: int = Field(4, ge=1, description="shortest docstring the substring test uses")
    paraphrase: bool = True
    paraphrase_fields: list[str] = Field(default_factory=lambda: ["instruction"])
    paraphrase_threshold: float = Field(
        0.75, gt=0.0, le=1.0, description="idf-weighted share of a benchmark item's words found in the record"
    )
    paraphrase_min_weight: float = Field(
        10.0, ge=0.0, description="idf mass of the matched words a paraphrase flag also needs (rare words in common)"
    )
    paraphrase_min_words: int = Field(
        5, ge=1, description="benchmark items with fewer distinct content words are not paraphrase-checked"
    )
    max_paraphrase_ratio: float = Field(
        4.0, gt=0.0, description="skip records whose content words outnumber the item's this many times over"
    )
