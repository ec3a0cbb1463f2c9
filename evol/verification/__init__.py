"""Verified evolution: test cases from the teacher's reply, run on an answer by the trusted judge.

Everything here is pure (no LLM, no I/O) except `judge.run_cases`/`judge.check`, which run one program in the
sandbox.
"""

from evol.verification.cases import Case, from_asserts, script
from evol.verification.code import answer_code
from evol.verification.judge import Verdict, check, judge, run_cases
from evol.verification.tests_reply import parse_cases, parse_tests

__all__ = ["Case", "Verdict", "answer_code", "check", "from_asserts", "judge", "parse_cases", "parse_tests",
           "run_cases", "script"]
