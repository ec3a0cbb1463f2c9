"""Round bookkeeping: what goes on to the next round, and the funnel counts."""

from __future__ import annotations

from evol.records import child_id, make_seed
from evol.round import next_pool, round_stats

SEEDS = [make_seed(f"Write a function number {i} that sorts a list of integers.") for i in range(4)]


def child(parent: dict, status: str, stage: str | None = None, reason: str | None = None) -> dict:
    return {"id": child_id(parent["id"], 1), "parent_id": parent["id"], "root_id": parent["id"], "round": 1,
            "method": "add_constraints", "status": status, "stage": stage, "reason": reason,
            "usage": {"evolve": {"prompt_tokens": 3, "completion_tokens": 2}}}


def test_failed_evolutions_carry_their_parent_or_are_dropped() -> None:
    kept = [child(SEEDS[0], "ok")]
    rejected = [child(SEEDS[1], "rejected", "eliminate", "no_information_gain"),
                child(SEEDS[2], "rejected", "dedup", "near_dup"),
                child(SEEDS[3], "rejected", "answer", "llm_error:timeout")]
    carried = next_pool(1, SEEDS, kept, rejected, carry_failed=True)
    assert [r["id"] for r in carried] == [kept[0]["id"], SEEDS[1]["id"], SEEDS[3]["id"]]  # dups are not retried
    assert next_pool(1, SEEDS, kept, rejected, carry_failed=False) == kept


def test_round_zero_carries_the_seed_itself() -> None:
    refused = {**SEEDS[0], "status": "rejected", "stage": "filter", "reason": "refusal"}
    assert next_pool(0, SEEDS[:1], [], [refused], carry_failed=True) == SEEDS[:1]


def test_stats_count_every_stage() -> None:
    records = [child(SEEDS[0], "ok"), child(SEEDS[1], "rejected", "eliminate", "too_short"),
               child(SEEDS[2], "rejected", "dedup", "near_dup"),
               child(SEEDS[3], "rejected", "evolve", "llm_error:auth")]
    stats = round_stats(1, records, 1.5)
    assert (stats["pool"], stats["kept"], stats["eliminated"], stats["deduplicated"], stats["llm_errors"]) == (
        4, 1, 1, 1, 1)
    assert stats["reasons"] == {"llm_error:auth": 1, "near_dup": 1, "too_short": 1}
    assert stats["methods_kept"] == {"add_constraints": 1} and stats["tokens"]["evolve_prompt_tokens"] == 12


def test_a_seed_that_failed_verification_is_no_parent_unless_its_tried_answer_goes_along() -> None:
    failed = {**SEEDS[0], "status": "rejected", "stage": "verify", "reason": "failed_tests", "code": "x = 1",
              "language": "python", "verification": {"status": "failed_tests"}}
    assert next_pool(0, SEEDS[:2], [SEEDS[1]], [failed], carry_failed=True, verified_only=True) == [SEEDS[1]]
    _, carried = next_pool(0, SEEDS[:2], [SEEDS[1]], [failed], carry_failed=True)
    assert carried["id"] == SEEDS[0]["id"] and carried["code"] == "x = 1" and "status" not in carried
    assert carried["verification"] == {"status": "failed_tests"}  # its children are checked against that code
