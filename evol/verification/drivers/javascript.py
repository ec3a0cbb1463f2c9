"""JavaScript (node): the answer runs inside a function whose argument, built first, holds the driver's own
`fs.writeSync`, fd and serializer, so hoisted answer declarations (`function require`, a patched `process`)
cannot reach them. Each case is a thunk; a Promise result is awaited; a throw is an error record ("where": "call" with
"error": "NameError" when the name the call starts from is not defined)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from evol.verification.drivers import CallCase, calls, fill

PRELUDE = r"""
(function (__evol_d) {
@CODE@
;__evol_d.run([
@CASES@
], @CALLEES@);
}).call(this, (function () {
  const fs = require("fs"), proc = process, write = fs.writeSync, fd = Number(proc.env.EVOL_RESULTS_FD);
  const str = JSON.stringify, isArray = Array.isArray, isInteger = Number.isInteger, keys = Object.keys;
  const MapT = Map, SetT = Set, PromiseT = Promise, exit = proc.exit.bind(proc), isView = ArrayBuffer.isView;
  const bytes = Buffer.from.bind(Buffer);
  const mapEntries = Function.prototype.call.bind(Map.prototype.entries);
  const setValues = Function.prototype.call.bind(Set.prototype.values);
  const unsupported = { evolUnsupported: true };
  function num(v) {
    if (v !== v) return '{"$t":"float","v":"nan"}';
    if (v === Infinity) return '{"$t":"float","v":"inf"}';
    if (v === -Infinity) return '{"$t":"float","v":"-inf"}';
    return str(v);
  }
  function list(items, depth) {
    let out = "[";
    for (let i = 0; i < items.length; i++) out += (i ? "," : "") + tag(items[i], depth + 1);
    return out + "]";
  }
  function tag(v, depth) {
    if (depth > 100) throw unsupported;
    if (v === null || v === undefined) return "null";
    switch (typeof v) {
      case "boolean": return v ? "true" : "false";
      case "number": return num(v);
      case "bigint": return v.toString();
      case "string": return str(v);
    }
    if (typeof v !== "object") throw unsupported;
    if (isArray(v) || isView(v)) return list(v, depth);
    if (v instanceof MapT) {
      const pairs = [];
      for (const [k, x] of mapEntries(v)) pairs[pairs.length] = [k, x];
      let out = '{"$t":"dict","v":[';
      for (let i = 0; i < pairs.length; i++)
        out += (i ? "," : "") + "[" + tag(pairs[i][0], depth + 1) + "," + tag(pairs[i][1], depth + 1) + "]";
      return out + "]}";
    }
    if (v instanceof SetT) {
      const items = [];
      for (const x of setValues(v)) items[items.length] = x;
      return '{"$t":"set","v":' + list(items, depth) + "}";
    }
    const names = keys(v);
    let out = '{"$t":"dict","v":[';
    for (let i = 0; i < names.length; i++)
      out += (i ? "," : "") + "[" + str(names[i]) + "," + tag(v[names[i]], depth + 1) + "]";
    return out + "]}";
  }
  function send(line) {
    const data = bytes(line + "\n", "utf8");
    let done = 0;
    while (done < data.length) done += write(fd, data, done, data.length - done);
  }
  function kind(e) {
    if (e === unsupported) return "UnsupportedType";
    try { return (e && e.constructor && typeof e.constructor.name === "string") ? e.constructor.name : typeof e; }
    catch (_) { return "Error"; }
  }
  function missing(e, callee) {
    try { return callee !== "" && e instanceof ReferenceError && e.message === callee + " is not defined"; }
    catch (_) { return false; }
  }
  async function run(thunks, callees) {
    for (let i = 0; i < thunks.length; i++) {
      let line;
      try {
        let v = thunks[i]();
        if (v instanceof PromiseT) v = await v;
        line = '{"i":' + i + ',"ok":true,"v":' + tag(v, 0) + "}";
      } catch (e) {
        line = missing(e, callees[i])
          ? '{"i":' + i + ',"ok":false,"error":"NameError","where":"call","name":' + str(callees[i]) + "}"
          : '{"i":' + i + ',"ok":false,"error":' + str(String(kind(e))) + ',"where":"answer"}';
      }
      send(line);
    }
    exit(0);
  }
  return { run: run };
})());
"""

CALLEE = re.compile(r"\s*(?:new\s+)?([A-Za-z_$][\w$]*)\s*[(.\[]")
EXPORT = re.compile(r"^(\s*)export\s+(?:default\s+(?=(?:async\s+)?function\b|class\b))?", re.M)


def program(code: str, cases: Sequence[CallCase]) -> str:
    """The answer's code (ES `export` keywords dropped) and one thunk per case."""
    thunks = ",\n".join(f"() => (\n{call}\n)" for call in calls(cases))
    callees = json.dumps([callee(call) for call in calls(cases)])
    return fill(PRELUDE, cases=thunks, callees=callees, code=EXPORT.sub(r"\1", code))


def callee(call: str) -> str:
    """The name a call starts from (`f` of `f(1).x`), or "" (then a ReferenceError is the answer's)."""
    found = CALLEE.match(call)
    return found.group(1) if found else ""
