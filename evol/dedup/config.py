"""Settings of exact + near-dedup (a pydantic model; unknown keys are errors)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class DedupConfig(BaseModel):
    """Exact then MinHash-LSH near-dedup of records, across rounds."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    fields: list[str] = Field(default_factory=lambda: ["instruction"], min_length=1)
    threshold: float = Field(0.7, gt=0.0, le=1.0, description="exact Jaccard of word n-gram sets to call a near-dup")
    ngram: int = Field(5, ge=1, le=32)
    num_perm: int = Field(128, ge=8, le=1024)
    seed: int = 1
    exact: bool = True
    lineage_field: str | None = Field(
        "root_id",
        description="records sharing this field's value are never near-dups of each other: an evolved child "
        "resembles its own ancestors by design (None compares everything)",
    )
    lsh_recall: float = Field(
        0.985, gt=0.0, lt=1.0, description="chance that a pair exactly at the threshold becomes a candidate"
    )
    bands: int | None = Field(None, ge=2, description="override the bands chosen from lsh_recall (needs rows)")
    rows: int | None = Field(None, ge=1)
    backend: Literal["numpy", "datasketch"] = "numpy"
    storage_config: dict[str, Any] | None = Field(
        None,
        description='datasketch MinHashLSH storage_config; {"type": "redis", "redis": {"host": ..., "port": ...}, '
        '"basename": ...} keeps the whole index in Redis so several workers share it',
    )

    @field_validator("fields")
    @classmethod
    def _no_blank_fields(cls, v: list[str]) -> list[str]:
        if any(not f.strip() for f in v):
            raise ValueError("field names must not be blank")
        return v

    @model_validator(mode="after")
    def _storage_needs_datasketch(self) -> DedupConfig:
        if self.storage_config is not None and self.backend != "datasketch":
            raise ValueError('storage_config is only used with backend = "datasketch"')
        kind = (self.storage_config or {}).get("type", "dict")
        if kind not in ("dict", "redis"):
            raise ValueError(f'storage_config type {kind!r}: only "dict" and "redis" keep a whole index')
        if kind == "redis" and not (self.storage_config or {}).get("basename"):
            raise ValueError("a Redis storage_config needs a basename: the workers sharing an index name it alike")
        if (self.bands is None) != (self.rows is None):
            raise ValueError("set both bands and rows, or neither")
        return self

    def shared(self) -> bool:
        """True when the index lives in Redis (datasketch backend with a Redis storage_config)."""
        return self.backend == "datasketch" and (self.storage_config or {}).get("type") == "redis"

    def band_shape(self) -> tuple[int, int]:
        """(bands, rows) for the LSH, chosen for recall unless set explicitly."""
        from evol.dedup.minhash import choose_bands

        if self.bands is not None and self.rows is not None:
            if self.bands * self.rows > self.num_perm:
                raise ValueError(f"bands*rows={self.bands * self.rows} exceeds num_perm={self.num_perm}")
            return self.bands, self.rows
        return choose_bands(self.threshold, self.num_perm, self.lsh_recall)
