"""Local generation with transformers from a checkpoint folder: no server, never the hub."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evol.errors import ConfigError
from evol.eval.backends import GenRequest, GenResult, OnResult, Sampling


class HFBackend:
    """Batched `model.generate` (left padding). Greedy when temperature is 0."""

    name = "hf"

    def __init__(self, checkpoint: str | Path, *, batch_size: int = 8, device: str | None = None) -> None:
        self.checkpoint = Path(checkpoint)
        if not (self.checkpoint / "config.json").exists():
            raise ConfigError(f"--backend hf needs a local checkpoint folder with config.json: {checkpoint}")
        self.batch_size = max(1, batch_size)
        self.device = device
        self._model: Any = None
        self._tok: Any = None

    def _load(self) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
        tok = AutoTokenizer.from_pretrained(self.checkpoint, local_files_only=True)
        tok.padding_side = "left"
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token
        dtype = torch.bfloat16 if self.device.startswith("cuda") else torch.float32
        model = AutoModelForCausalLM.from_pretrained(self.checkpoint, local_files_only=True, dtype=dtype)
        self._model, self._tok = model.to(self.device).eval(), tok

    def generate(self, requests: Sequence[GenRequest], sampling: Sampling, on_result: OnResult) -> None:
        import torch

        if self._model is None:
            self._load()
        if sampling.seed is not None:
            torch.manual_seed(sampling.seed)
        for start in range(0, len(requests), self.batch_size):
            for result in self._batch(list(requests[start : start + self.batch_size]), sampling):
                on_result(result)

    def _batch(self, batch: list[GenRequest], sampling: Sampling) -> list[GenResult]:
        import torch

        tok, model = self._tok, self._model
        enc = tok([r.prompt for r in batch], return_tensors="pt", padding=True).to(self.device)
        kwargs: dict[str, Any] = {"max_new_tokens": sampling.max_tokens, "pad_token_id": tok.pad_token_id}
        if sampling.temperature > 0:
            kwargs.update(do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p)
        else:
            kwargs.update(do_sample=False)
        with torch.inference_mode():
            out = model.generate(**enc, **kwargs)
        width = enc["input_ids"].shape[1]
        results = []
        for i, req in enumerate(batch):
            new = out[i, width:].tolist()
            eos = tok.eos_token_id
            hit_eos = eos is not None and eos in new
            if hit_eos:
                new = new[: new.index(eos)]
            text = tok.decode(new, skip_special_tokens=True)
            finish = "stop" if hit_eos else "length"
            for stop in sampling.stop:
                if stop in text:
                    text, finish = text[: text.index(stop)], "stop"
            prompt_tokens = int(enc["attention_mask"][i].sum())
            results.append(
                GenResult(
                    req.key,
                    req.sample_index,
                    text,
                    finish,
                    {"prompt_tokens": prompt_tokens, "completion_tokens": len(new)},
                )
            )
        return results
