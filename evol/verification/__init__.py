"""Verified evolution: parse the teacher's tests, run an answer against them, judge what happened.

Everything here is pure (no LLM, no I/O) except `check`, which runs one program in the sandbox.
"""

from evol.verification.code import answer_code
from evol.verification.harness import Verdict, build_program, judge
from evol.verification.tests_reply import parse_tests

__all__ = ["Verdict", "answer_code", "build_program", "judge", "parse_tests"]
