"""The Python driver's runtime, part of every sandboxed Python interpreter (boot's source, and so the warm fork
server's, compiled once per server): a program calls it as `__evol_drive__(code, calls)` (the judge's Python
driver, evol/verification/drivers/python.py, is that one line).

`_evol_drive(code, calls)` execs the answer's code in a fresh module namespace, evaluates each call there (a
stdin case, `(text,)`, runs the code afresh with that stdin and takes its stdout as the value) and writes one
JSON record per case, in order, to the fd in $EVOL_RESULTS_FD. Everything it uses is bound before the answer
runs, so a patched builtin, a shadowed name or a fake `json` module cannot change how it writes; only values
of exact builtin types are encoded (no subclass, no custom `__eq__`), anything else is an error record. The
expected values are never here: the trusted parent compares.
"""

ANSWER_FILE = "answer.py"


def _evol_drive(code, calls):
    import _json
    import binascii
    import builtins
    import io
    import os
    import sys

    write, environ, compile_, eval_, exec_ = os.write, os.environ, compile, eval, exec
    type_, len_, str_, getattr_, id_, range_ = type, len, str, getattr, id, range
    name_error, attribute_error, system_exit = NameError, AttributeError, SystemExit
    int_repr, float_repr, dict_items, join = int.__repr__, float.__repr__, dict.items, ",".join
    quote, b64, bytes_io, text_io = _json.encode_basestring_ascii, binascii.b2a_base64, io.BytesIO, io.TextIOWrapper
    base_exception, inf = BaseException, float("inf")
    none_t, bool_t, int_t, float_t, str_t, bytes_t = type(None), bool, int, float, str, bytes
    list_t, tuple_t, set_t, frozenset_t, dict_t = list, tuple, set, frozenset, dict
    fd = int(environ.pop("EVOL_RESULTS_FD", "-1"))

    class Unsupported(Exception):
        pass

    def tagged(tag, body):
        return '{"$t":"' + tag + '","v":' + body + "}"

    def enc(x, depth):
        t = type_(x)
        if depth > 100:
            raise Unsupported("nested deeper than 100")
        if t is none_t:
            return "null"
        if t is bool_t:
            return "true" if x else "false"
        if t is int_t:
            return int_repr(x)
        if t is float_t:
            if x != x:
                return tagged("float", '"nan"')
            if x == inf or x == -inf:
                return tagged("float", '"inf"' if x > 0 else '"-inf"')
            return float_repr(x)
        if t is str_t:
            return quote(x)
        if t is list_t:
            return "[" + join([enc(e, depth + 1) for e in x]) + "]"
        if t is tuple_t or t is set_t or t is frozenset_t:
            tag = "tuple" if t is tuple_t else "set" if t is set_t else "frozenset"
            return tagged(tag, "[" + join([enc(e, depth + 1) for e in x]) + "]")
        if t is bytes_t:
            return tagged("bytes", quote(b64(x, newline=False).decode("ascii")))
        if t is dict_t:
            pairs = ["[" + enc(k, depth + 1) + "," + enc(v, depth + 1) + "]" for k, v in dict_items(x)]
            return tagged("dict", "[" + join(pairs) + "]")
        raise Unsupported("a value of type " + str_(getattr_(t, "__name__", "?")) + " is not plain data")

    def emit(line):
        data = (line + "\n").encode("utf-8", "surrogatepass")
        while data:
            data = data[write(fd, data):]

    def kind(exc):
        seen, cur = set_t(), exc
        while cur is not None and id_(cur) not in seen:
            if type_(cur).__name__ == "SandboxViolation":
                return "SandboxViolation"
            seen.add(id_(cur))
            cur = cur.__cause__ or cur.__context__
        return type_(exc).__name__

    def error(i, exc, where):
        if where is None:  # from the answer's code when one of its frames is in the traceback
            tb, where = exc.__traceback__, "call"
            while tb is not None:
                if tb.tb_frame.f_code.co_filename == ANSWER_FILE:
                    where = "answer"
                    break
                tb = tb.tb_next
        name = getattr_(exc, "name", None) if type_(exc) in (name_error, attribute_error) else None
        text = quote(str_(kind(exc)))
        extra = ',"name":' + quote(name) if type_(name) is str else ""
        return '{"i":' + int_repr(i) + ',"ok":false,"error":' + text + ',"where":"' + where + '"' + extra + "}"

    def load():
        namespace = {"__name__": "__main__", "__file__": os.path.join(os.getcwd(), ANSWER_FILE),
                     "__builtins__": builtins}
        exec_(compile_(code, ANSWER_FILE, "exec"), namespace)
        return namespace

    def run_stdin(text):
        """The program's stdout for `text` on its stdin (text and `.buffer` both work)."""
        saved, captured = (sys.stdin, sys.stdout), bytes_io()
        reader = text_io(bytes_io(text.encode("utf-8")), encoding="utf-8")
        writer = text_io(captured, encoding="utf-8", write_through=True)  # held: collecting it closes `captured`
        sys.stdin, sys.stdout = reader, writer
        try:
            load()
        except system_exit as exc:
            if exc.code not in (None, 0):
                raise
        finally:
            try:
                writer.flush()
            except base_exception:  # noqa: S110 - closed by the program: what was written stays
                pass
            sys.stdin, sys.stdout = saved
        return captured.getvalue().decode("utf-8", "replace") if not captured.closed else ""

    failed = namespace = None
    if any(type_(c) is str for c in calls):
        try:
            namespace = load()
        except base_exception as exc:  # the answer's own failure, whatever it is (SystemExit included)
            failed = exc
    for i in range_(len_(calls)):
        if failed is not None:
            emit(error(i, failed, "answer"))
            continue
        try:
            call = calls[i]
            value = eval_(compile_(call, "<case>", "eval"), namespace) if type_(call) is str else run_stdin(call[0])
            line = '{"i":' + int_repr(i) + ',"ok":true,"v":' + enc(value, 0) + "}"
        except Unsupported:
            line = '{"i":' + int_repr(i) + ',"ok":false,"error":"UnsupportedType","where":"answer"}'
        except base_exception as exc:
            line = error(i, exc, None)
        emit(line)
