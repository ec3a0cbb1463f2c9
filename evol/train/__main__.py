"""``python -m evol.train --config PATH [--model M] [--data D] [--out O] [--resume [CKPT]]``.

Meant to be started by the deepspeed launcher (``make train``), which adds ``--local_rank=N``; the rank is
also in the LOCAL_RANK environment variable, which is what transformers reads.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from evol.errors import EvolError


def build_parser() -> argparse.ArgumentParser:
    """The command line; ``--model/--data/--out`` override the config's model.name, data.path, train.output_dir."""
    p = argparse.ArgumentParser(
        prog="python -m evol.train",
        description="Fine-tune a StarCoder-family model on evolved data (HF Trainer + DeepSpeed).",
    )
    p.add_argument("--config", default="pipelines/train_starcoder.toml", help="TOML recipe")
    p.add_argument("--model", help="model id or local path (overrides [model] name)")
    p.add_argument("--data", help="train.json / .jsonl from an evol run (overrides [data] path)")
    p.add_argument("--out", help="output directory (overrides [train] output_dir)")
    p.add_argument("--deepspeed", help="DeepSpeed JSON (overrides [deepspeed] config; '' disables DeepSpeed)")
    p.add_argument(
        "--resume",
        nargs="?",
        const="latest",
        default=None,
        help="resume from the newest checkpoint in the output dir, or from the given checkpoint directory",
    )
    p.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="override any key")
    p.add_argument("--local_rank", "--local-rank", type=int, default=None, help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    """Parse, validate the config (cheap, before torch is imported), then train."""
    args = build_parser().parse_args(argv)
    rank = int(os.environ.get("RANK", "0"))
    logging.basicConfig(
        level=logging.INFO if rank == 0 else logging.WARNING,
        format=f"%(asctime)s [rank{rank}] %(name)s: %(message)s",
    )
    try:
        from evol.train.config import load_config

        overrides = {"model.name": args.model, "data.path": args.data, "train.output_dir": args.out,
                     "deepspeed.config": args.deepspeed}
        cfg = load_config(args.config, overrides=overrides, sets=args.set)
        from evol.train.run import train

        train(cfg, config_path=args.config, resume=args.resume)
    except EvolError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
