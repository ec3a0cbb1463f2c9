"""`evol dedup` and `evol decontam`: standalone cleaning of any JSON or JSONL dataset."""

from __future__ import annotations

from pathlib import Path

import typer

from evol.commands.app import command


def _split_list(values: list[str] | None) -> list[str]:
    """Accept both repeated options and comma-separated values."""
    return [part.strip() for v in values or [] for part in v.split(",") if part.strip()]


def check_paths(inp: Path, out: Path) -> None:
    """OUT must not be IN: the input would be overwritten by its own cleaned copy (ConfigError, exit 2)."""
    from evol.errors import ConfigError

    if out.exists() and inp.exists() and out.resolve() == inp.resolve():
        raise ConfigError(f"{out}: OUT is IN; write the cleaned records to another file")


def split_paths(values: list[Path]) -> list[Path]:
    """Repeated `--against` paths, and comma-separated ones when no file has the whole name."""
    return [Path(p) for v in values for p in ([v] if v.exists() else _split_list([str(v)]))]


def check_fields(path: Path, fields: list[str], *, every: bool) -> None:
    """Stop (DataError, exit 3) when the compared fields are not in the data, naming them: without this a
    dataset keyed differently would be compared on empty text and silently kept whole.

    `every`: each field must occur in some record (dedup compares them together); otherwise one is enough
    (decontam searches whichever a record has, e.g. the optional `input`).
    """
    from evol.errors import DataError
    from evol.io import read_json_or_jsonl

    seen: set[str] = set()
    for record in read_json_or_jsonl(path):
        seen.update(k for k, v in record.items() if isinstance(v, str) and v.strip())
    missing = [f for f in fields if f not in seen]
    if missing and (every or len(missing) == len(fields)):
        have = ", ".join(sorted(seen)[:20]) or "none"
        raise DataError(f"{path}: no record has a text field {', '.join(map(repr, missing))} "
                        f"(fields with text: {have}); choose them with --fields")


@command("dedup")
def dedup(
    inp: Path = typer.Argument(..., metavar="IN", help="JSON or JSONL dataset to deduplicate"),
    out: Path = typer.Argument(..., help="where kept records go; OUT-stem.removed.jsonl gets the rest"),
    threshold: float = typer.Option(0.7, help="exact Jaccard of word 5-gram sets to call two records near-dups"),
    fields: list[str] = typer.Option(["instruction"], help="fields compared, e.g. instruction,output"),
    against: list[Path] = typer.Option([], help="datasets already kept (seeds, earlier rounds); repeatable or "
                                       "comma-separated"),
    ngram: int = typer.Option(5, help="words per shingle"),
    num_perm: int = typer.Option(128, help="MinHash permutations"),
    seed: int = typer.Option(1, help="MinHash seed"),
    exact: bool = typer.Option(True, help="remove exact duplicates (normalized text) first"),
    lineage_field: str = typer.Option(
        "root_id", help="records sharing this field's value are never near-dups of each other (an evolved child "
        "resembles its ancestors by design; `evol export --lineage` writes root_id); '' compares everything"),
) -> None:
    """Remove exact and near-duplicate records, keeping the first; every removal says why."""
    from evol.commands.bars import record_bar
    from evol.commands.flags import settings_from_flags
    from evol.dedup.config import DedupConfig
    from evol.dedup.files import dedup_file, sidecar

    cfg = settings_from_flags(DedupConfig, threshold=threshold, fields=_split_list(fields), ngram=ngram,
                              num_perm=num_perm, seed=seed, exact=exact, lineage_field=lineage_field or None)
    check_paths(inp, out)
    check_fields(inp, cfg.fields, every=True)
    with record_bar("dedup") as advance:
        summary = dedup_file(inp, out, cfg, split_paths(against), advance)
    removed = ", ".join(f"{n} {reason}" for reason, n in summary["removed"].items()) or "none"
    typer.echo(
        f"{summary['records']} records: kept {summary['kept']} -> {out}; removed {removed} -> "
        f"{sidecar(out, 'removed.jsonl')}"
    )
    if cfg.lineage_field and not summary["lineage_records"]:
        typer.echo(f"note: no record has {cfg.lineage_field!r}: an evolved child and its own ancestors were compared "
                   "too (a run's train.json has no lineage; `evol export RUN --lineage` writes it)", err=True)


@command("decontam")
def decontam(
    inp: Path = typer.Argument(..., metavar="IN", help="JSON or JSONL dataset to decontaminate"),
    out: Path = typer.Argument(..., help="where clean records go; OUT-stem.removed.jsonl gets flagged ones"),
    benchmarks: list[str] = typer.Option(
        ["humaneval"], help="humaneval and/or JSONL paths (NAME=PATH), comma-separated"
    ),
    fields: list[str] = typer.Option(["instruction,input,output"], help="fields searched for benchmark text"),
    ngram: int = typer.Option(13, help="words per overlap n-gram"),
    paraphrase: bool = typer.Option(True, help="also flag close rewordings of benchmark problems"),
    paraphrase_threshold: float = typer.Option(0.75, help="idf-weighted share of a problem's words to flag"),
) -> None:
    """Remove records that contain or reword benchmark problems; writes a per-item hit report."""
    from evol.commands.bars import record_bar
    from evol.commands.flags import settings_from_flags
    from evol.decontam.config import DecontamConfig
    from evol.decontam.files import decontam_file
    from evol.dedup.files import sidecar

    cfg = settings_from_flags(DecontamConfig, benchmarks=_split_list(benchmarks), fields=_split_list(fields),
                              ngram=ngram, paraphrase=paraphrase, paraphrase_threshold=paraphrase_threshold)
    check_paths(inp, out)
    check_fields(inp, cfg.fields, every=False)
    with record_bar("decontam") as advance:
        report = decontam_file(inp, out, cfg, advance)
    methods = ", ".join(f"{method} {n}" for method, n in (report["by_method"] or {}).items())
    typer.echo(
        f"{report['records']} records: kept {report['kept']} -> {out}; flagged {report['flagged']}"
        f"{f' ({methods})' if methods else ''} -> {sidecar(out, 'removed.jsonl')}; report {sidecar(out, 'report.json')}"
    )
