"""Right-pad a batch: ids with the pad token, labels with -100, so padding never reaches the loss."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from evol.train.data import IGNORE_INDEX


@dataclass
class SFTCollator:
    """Pads ``input_ids``/``labels`` (and ``position_ids`` for packed rows) to the longest row in the batch.

    Unpacked batches get an ``attention_mask``; packed batches get none, so the model builds its block-diagonal
    mask from ``position_ids`` (the padding tail is a segment of its own, with labels -100).
    ``flatten`` (packed rows only) concatenates the whole batch into one unpadded row: flash-attention reads
    per-example boundaries from ``position_ids`` only when the batch has a single row.
    """

    pad_token_id: int
    pad_to_multiple_of: int | None = None
    flatten: bool = False

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        """Stack ``features`` into padded tensors."""
        if self.flatten and "position_ids" in features[0]:
            return {
                key: torch.tensor([[t for f in features for t in f[key]]], dtype=torch.long)
                for key in ("input_ids", "labels", "position_ids")
            }
        longest = max(len(f["input_ids"]) for f in features)
        if self.pad_to_multiple_of:
            m = self.pad_to_multiple_of
            longest = (longest + m - 1) // m * m
        packed = "position_ids" in features[0]
        n = len(features)
        input_ids = torch.full((n, longest), self.pad_token_id, dtype=torch.long)
        labels = torch.full((n, longest), IGNORE_INDEX, dtype=torch.long)
        extra = torch.zeros((n, longest), dtype=torch.long)
        for row, f in enumerate(features):
            k = len(f["input_ids"])
            input_ids[row, :k] = torch.tensor(f["input_ids"], dtype=torch.long)
            labels[row, :k] = torch.tensor(f["labels"], dtype=torch.long)
            if packed:
                extra[row, :k] = torch.tensor(f["position_ids"], dtype=torch.long)
                extra[row, k:] = torch.arange(longest - k)
            else:
                extra[row, :k] = 1
        batch = {"input_ids": input_ids, "labels": labels}
        batch["position_ids" if packed else "attention_mask"] = extra
        return batch
