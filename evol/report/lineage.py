"""Lineage: parent/child links between records, chains back to the seed, and whole families."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from evol.errors import DataError
from evol.records import Record


@dataclass
class Lineage:
    """Every record by id, and the children of each id in round order."""

    by_id: dict[str, Record]

    def __post_init__(self) -> None:
        self.children: dict[str, list[Record]] = defaultdict(list)
        for record in self.by_id.values():
            if record.get("parent_id"):
                self.children[str(record["parent_id"])].append(record)
        for kids in self.children.values():
            kids.sort(key=lambda r: (int(r.get("round", 0)), str(r.get("id"))))

    def resolve(self, ident: str) -> Record:
        """The record with this id, or with this unique id prefix."""
        if ident in self.by_id:
            return self.by_id[ident]
        matches = [k for k in self.by_id if k.startswith(ident)] if ident else []
        if len(matches) == 1:
            return self.by_id[matches[0]]
        if matches:
            raise DataError(f"id {ident!r} is ambiguous: {', '.join(sorted(matches)[:5])}...")
        raise DataError(f"no record with id {ident!r} in this run (seed ids look like s-<hash>, evolved ones "
                        "r<round>-<hash>; see round-NN/kept.jsonl or the lineage section of `evol report`)")

    def chain(self, record: Record) -> list[Record]:
        """The record's ancestors from its seed down to itself."""
        out = [record]
        seen = {record.get("id")}
        while (parent := out[-1].get("parent_id")) and parent in self.by_id and parent not in seen:
            seen.add(parent)
            out.append(self.by_id[parent])
        return out[::-1]

    def root(self, record: Record) -> Record:
        root_id = record.get("root_id")
        return self.by_id.get(root_id, self.chain(record)[0]) if root_id else self.chain(record)[0]

    def sample_chains(self, kept_last: list[Record], n: int = 3, min_len: int = 2) -> list[list[Record]]:
        """Up to `n` chains ending in kept records of the last round, longest first, spread over seeds."""
        chains = [self.chain(r) for r in kept_last]
        chains = [c for c in chains if len(c) >= min_len]
        chains.sort(key=lambda c: (-len(c), str(c[-1].get("id"))))
        picked: list[list[Record]] = []
        roots: set[str] = set()
        for chain in chains:
            if chain[0].get("id") not in roots:
                picked.append(chain)
                roots.add(str(chain[0].get("id")))
            if len(picked) == n:
                break
        return picked


def outcome(record: Record) -> str:
    """"kept", or where and why the record was rejected (with the duplicate or benchmark it matched)."""
    if not record.get("stage") and not record.get("reason"):
        return "kept"
    text = f"rejected at {record.get('stage', '?')}: {record.get('reason', '?')}"
    extra = []
    if record.get("dup_of"):
        extra.append(f"dup of {record['dup_of']}")
    if record.get("benchmark"):
        extra.append(f"{record['benchmark']} {record.get('benchmark_id', '')}".strip())
    if isinstance(record.get("similarity"), int | float):
        extra.append(f"similarity {record['similarity']:.2f}")
    return text + (f" ({', '.join(extra)})" if extra else "")
