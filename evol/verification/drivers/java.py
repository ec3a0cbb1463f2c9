"""Java: the driver is its own public class (`EvolDriver`, first in the file so the runner starts it; the answer's
top-level types lose `public`, its imports are hoisted, its `package` dropped). Its results stream is opened
in EvolDriver's static initializer, before any class of the answer's is initialised. Each call runs as a
Callable under catch (Throwable); its value is tagged by instanceof over the boxed types, CharSequence, arrays,
Optional, Map -> dict, Set -> set, other Iterables -> list, Map.Entry -> tuple, enums -> their name.

A call may name the answer's method bare (`add(1, 2)`) or under a class name the answer may not use
(`Solution.add(1, 2)`): it is qualified with the top-level class that declares the method, static or through a
new instance (`new Solution().add(1, 2)` for a LeetCode-style instance method)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from evol.verification.drivers import CallCase, calls, fill
from evol.verification.drivers.braces import bodies, depths, masked, shallow

DRIVER = r"""
public class EvolDriver {
    private static final java.io.OutputStream OUT = open();

    private static final class Unsupported extends RuntimeException {}

    private static java.io.OutputStream open() {
        int fd;
        try {
            fd = Integer.parseInt(System.getenv("EVOL_RESULTS_FD"));
        } catch (RuntimeException e) {
            Runtime.getRuntime().halt(120);
            return null;
        }
        try {
            return new java.io.FileOutputStream("/proc/self/fd/" + fd);
        } catch (java.io.IOException e) {
            try {  // the pipe's inode may not be open to this uid by path: reuse the descriptor itself
                java.lang.reflect.Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
                f.setAccessible(true);
                sun.misc.Unsafe u = (sun.misc.Unsafe) f.get(null);
                java.io.FileDescriptor d = new java.io.FileDescriptor();
                u.putInt(d, u.objectFieldOffset(java.io.FileDescriptor.class.getDeclaredField("fd")), fd);
                return new java.io.FileOutputStream(d);
            } catch (ReflectiveOperationException | RuntimeException x) {
                Runtime.getRuntime().halt(120);
                return null;
            }
        }
    }

    private static void text(StringBuilder o, String s) {
        o.append('"');
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c == '"' || c == '\\') o.append('\\').append(c);
            else if (c < 0x20) o.append(String.format("\\u%04x", (int) c));
            else o.append(c);
        }
        o.append('"');
    }

    private static void real(StringBuilder o, double x, String shown) {
        if (Double.isNaN(x) || Double.isInfinite(x)) {
            String name = Double.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
            o.append("{\"$t\":\"float\",\"v\":\"").append(name).append("\"}");
        } else o.append(shown);
    }

    private static void items(StringBuilder o, Iterable<?> xs, int d) {
        o.append('[');
        boolean first = true;
        for (Object x : xs) {
            if (!first) o.append(',');
            first = false;
            tag(o, x, d + 1);
        }
        o.append(']');
    }

    private static void tag(StringBuilder o, Object v, int d) {
        if (d > 200) throw new Unsupported();
        if (v == null) o.append("null");
        else if (v instanceof Boolean) o.append(((Boolean) v).booleanValue() ? "true" : "false");
        else if (v instanceof Character) text(o, String.valueOf(((Character) v).charValue()));
        else if (v instanceof Byte || v instanceof Short || v instanceof Integer || v instanceof Long
                 || v instanceof java.math.BigInteger) o.append(v.toString());
        else if (v instanceof Double) real(o, (Double) v, Double.toString((Double) v));
        else if (v instanceof Float) real(o, (Float) v, Float.toString((Float) v));
        else if (v instanceof java.math.BigDecimal) o.append(((java.math.BigDecimal) v).toString());
        else if (v instanceof CharSequence) text(o, v.toString());
        else if (v instanceof java.util.Optional) {
            java.util.Optional<?> p = (java.util.Optional<?>) v;
            if (p.isPresent()) tag(o, p.get(), d + 1); else o.append("null");
        } else if (v instanceof java.util.Map) {
            o.append("{\"$t\":\"dict\",\"v\":[");
            boolean first = true;
            for (java.util.Map.Entry<?, ?> e : ((java.util.Map<?, ?>) v).entrySet()) {
                if (!first) o.append(',');
                first = false;
                o.append('[');
                tag(o, e.getKey(), d + 1);
                o.append(',');
                tag(o, e.getValue(), d + 1);
                o.append(']');
            }
            o.append("]}");
        } else if (v instanceof java.util.Set) {
            o.append("{\"$t\":\"set\",\"v\":");
            items(o, (Iterable<?>) v, d);
            o.append('}');
        } else if (v instanceof Iterable) items(o, (Iterable<?>) v, d);
        else if (v.getClass().isArray()) {
            o.append('[');
            for (int k = 0, n = java.lang.reflect.Array.getLength(v); k < n; k++) {
                if (k > 0) o.append(',');
                tag(o, java.lang.reflect.Array.get(v, k), d + 1);
            }
            o.append(']');
        } else if (v instanceof java.util.Map.Entry) {
            java.util.Map.Entry<?, ?> e = (java.util.Map.Entry<?, ?>) v;
            o.append("{\"$t\":\"tuple\",\"v\":[");
            tag(o, e.getKey(), d + 1);
            o.append(',');
            tag(o, e.getValue(), d + 1);
            o.append("]}");
        } else if (v instanceof Enum) text(o, ((Enum<?>) v).name());
        else throw new Unsupported();
    }

    private static void send(String line) {
        try {
            OUT.write(line.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            OUT.flush();
        } catch (java.io.IOException e) {
            Runtime.getRuntime().halt(120);
        }
    }

    private static void run(int i, java.util.concurrent.Callable<Object> call) {
        StringBuilder o = new StringBuilder("{\"i\":").append(i);
        try {
            StringBuilder v = new StringBuilder();
            tag(v, call.call(), 0);
            o.append(",\"ok\":true,\"v\":").append(v).append("}\n");
        } catch (Unsupported e) {
            o.append(",\"ok\":false,\"error\":\"UnsupportedType\",\"where\":\"answer\"}\n");
        } catch (Throwable t) {
            o.append(",\"ok\":false,\"error\":");
            text(o, t.getClass().getSimpleName());
            o.append(",\"where\":\"answer\"}\n");
        }
        send(o.toString());
    }

    public static void main(String[] args) {
@CASES@
        Runtime.getRuntime().halt(0);
    }
}
"""

TYPE = re.compile(r"\b(?:class|interface|enum|record)\s+(\w+)[^{;]*\{")
MODIFIERS = (r"(?:@\w+(?:\([^()]*\))?\s+)*"
             r"((?:\b(?:public|protected|private|static|final|synchronized|abstract|native|strictfp)\s+)*)")
METHOD = re.compile(MODIFIERS + r"(?:<[^<>(){};]*>\s*)?([\w.$]+(?:\s*<[^(){};=]*>)?(?:\s*\[\s*\])*)\s+(\w+)\s*\(")
HEAD = re.compile(r"\s*(?:(\w+)\s*\.\s*)?(\w+)\s*\(")
NOT_TYPES = frozenset({"new", "return", "throw", "else", "case"})


@dataclass(frozen=True)
class Method:
    owner: str
    static: bool


def methods(code: str) -> dict[str, list[Method]]:
    """The methods each top-level type of `code` declares, by name."""
    found: dict[str, list[Method]] = {}
    for owner, body, _ in bodies(code, TYPE.pattern):
        for m in METHOD.finditer(body):
            if m.group(2) not in NOT_TYPES:
                found.setdefault(m.group(3), []).append(Method(owner, "static" in m.group(1).split()))
    return found


def qualified(call: str, code: str, table: dict[str, list[Method]] | None = None) -> str:
    """`call` with its head qualified by the answer's class that declares the method (see the module doc)."""
    table = methods(code) if table is None else table
    head = HEAD.match(call)
    if head is None or call.lstrip().startswith("new ") or head.group(2) not in table:
        return call
    owner, name = head.group(1), head.group(2)
    owners = {m.owner for ms in table.values() for m in ms}
    if owner is not None and owner not in owners and owner[:1].islower():
        return call  # a variable or package, not a class name
    choices = [m for m in table[name] if owner in (None, m.owner)] or table[name]
    method = next((m for m in choices if m.static), choices[0])
    prefix = method.owner if method.static else f"new {method.owner}()"
    return f"{prefix}.{name}{call[head.end() - 1:]}"


def program(code: str, cases: Sequence[CallCase]) -> str:
    """Hoisted imports, EvolDriver, then the answer (no package, top-level types package-private)."""
    text = masked(code)
    top = shallow(text, depths(text), 0)
    body = list(code)
    imports: list[str] = []
    for m in re.finditer(r"\b(package|import)\b[^;{}]*;", top):
        if m.group(1) == "import":
            imports.append(code[m.start():m.end()])
        body[m.start():m.end()] = " " * (m.end() - m.start())
    for m in re.finditer(r"\bpublic\b(?=(?:\s+(?:final|abstract|sealed|strictfp|static)\b)*\s+"
                         r"(?:class|interface|enum|record|@interface)\b)", top):
        body[m.start():m.end()] = " " * 6
    table = methods(code)
    lines = [f"        run({i}, () -> (\n{qualified(call, code, table)}\n));" for i, call in enumerate(calls(cases))]
    return "\n".join(imports) + "\n" + fill(DRIVER, cases="\n".join(lines)) + "".join(body).rstrip() + "\n"
