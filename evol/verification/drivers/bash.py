"""Bash: a case's call is a command line; its value is its stdout (trailing newlines dropped, as `$(...)` does)
when it exits 0, else an error record "exit:N" (a command that is not defined: "NameError", "where": "call").
Each call runs in its own subshell with stdin from /dev/null.

Before the cases the driver takes the shell back from the answer: POSIX mode (set by assignment, no command
looked up) makes `unset`, `trap` and `set` special builtins found before any function of the answer's, so its
`printf`/`builtin`/`exit` functions, aliases and EXIT/ERR/DEBUG traps are dropped; the fd was read into a
readonly variable before the answer ran.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from evol.verification.drivers import CallCase, calls, fill

TEMPLATE = r"""readonly __evol_fd="${EVOL_RESULTS_FD:?}"
@CODE@
POSIXLY_CORRECT=y
unset -f builtin command printf unalias shopt local exit type
trap - EXIT ERR DEBUG RETURN
set +euo pipefail
set +o posix
unalias -a
shopt -u expand_aliases extdebug
__evol_json() {
  local s=$1 c i
  s=${s//\\/\\\\}; s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}; s=${s//$'\t'/\\t}; s=${s//$'\r'/\\r}
  for i in 1 2 3 4 5 6 7 8 11 12 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31; do
    builtin printf -v c "\\$(builtin printf '%03o' "$i")"
    s=${s//"$c"/$(builtin printf '\\u%04x' "$i")}
  done
  builtin printf '"%s"' "$s"
}
__evol_case() {
  if (( $2 == 0 )); then
    builtin printf '{"i":%d,"ok":true,"v":%s}\n' "$1" "$(__evol_json "$3")" >&"$__evol_fd"
  else
    builtin printf '{"i":%d,"ok":false,"error":"exit:%d","where":"answer"}\n' "$1" "$2" >&"$__evol_fd"
  fi
}
__evol_known() { [[ -n "$(type -t -- "$1")" ]]; }
__evol_missing() {
  builtin printf '{"i":%d,"ok":false,"error":"NameError","where":"call","name":%s}\n' \
    "$1" "$(__evol_json "$2")" >&"$__evol_fd"
}
@CASES@
exit 0
"""

COMMAND = re.compile(r"([A-Za-z_][\w-]*)(?=\s|$)")  # the command a call runs, when it is a plain word


def program(code: str, cases: Sequence[CallCase]) -> str:
    """The answer's script, then one subshell per case."""
    lines = []
    for i, call in enumerate(calls(cases)):
        run = f"__evol_out=$( {{\n{call}\n}} </dev/null ); __evol_case {i} $? \"$__evol_out\""
        word = COMMAND.match(call)
        lines.append(f"if __evol_known {word.group(1)}; then {run}; else __evol_missing {i} {word.group(1)}; fi"
                     if word else run)
    return fill(TEMPLATE, code=code.rstrip(), cases="\n".join(lines))
