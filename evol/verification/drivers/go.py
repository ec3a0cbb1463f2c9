"""Go: the driver's imports are aliased (`__evol_os "os"`) so they never clash with the answer's, its writer is a
package variable (initialised before any `init` of the answer's), and the answer's `main` is renamed. Each call
goes through a variadic helper, so a function returning several values gives a tuple; a panic is recovered into
an error record "panic", and a non-nil trailing `error` result one of kind "error" (a nil one is dropped).
Values are walked with reflect: slices/arrays -> list, maps -> dict, structs -> dict of fields, pointers and
interfaces -> what they hold (nil -> null)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from evol.verification.drivers import CallCase, calls, fill

IMPORTS = """
import (
\t__evol_math "math"
\t__evol_os "os"
\t__evol_reflect "reflect"
\t__evol_strconv "strconv"
)
"""

DRIVER = r"""

var __evol_out = func() *__evol_os.File {
	fd, err := __evol_strconv.Atoi(__evol_os.Getenv("EVOL_RESULTS_FD"))
	if err != nil {
		return nil
	}
	return __evol_os.NewFile(uintptr(fd), "results")
}()

type __evol_unsupported struct{}

type __evol_failed struct{ err error }

func __evol_values(vs ...interface{}) []interface{} { return vs }

func __evol_text(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

func __evol_tag(b []byte, v __evol_reflect.Value, depth int) []byte {
	if depth > 200 {
		panic("nested too deep")
	}
	if !v.IsValid() {
		return append(b, "null"...)
	}
	switch v.Kind() {
	case __evol_reflect.Bool:
		return __evol_strconv.AppendBool(b, v.Bool())
	case __evol_reflect.Int, __evol_reflect.Int8, __evol_reflect.Int16, __evol_reflect.Int32, __evol_reflect.Int64:
		return __evol_strconv.AppendInt(b, v.Int(), 10)
	case __evol_reflect.Uint, __evol_reflect.Uint8, __evol_reflect.Uint16, __evol_reflect.Uint32,
		__evol_reflect.Uint64, __evol_reflect.Uintptr:
		return __evol_strconv.AppendUint(b, v.Uint(), 10)
	case __evol_reflect.Float32, __evol_reflect.Float64:
		f := v.Float()
		switch {
		case __evol_math.IsNaN(f):
			return append(b, `{"$t":"float","v":"nan"}`...)
		case __evol_math.IsInf(f, 1):
			return append(b, `{"$t":"float","v":"inf"}`...)
		case __evol_math.IsInf(f, -1):
			return append(b, `{"$t":"float","v":"-inf"}`...)
		}
		bits := 64
		if v.Kind() == __evol_reflect.Float32 {
			bits = 32
		}
		s := __evol_strconv.FormatFloat(f, 'g', -1, bits)
		b = append(b, s...)
		for i := 0; i < len(s); i++ {
			if s[i] == '.' || s[i] == 'e' {
				return b
			}
		}
		return append(b, ".0"...)
	case __evol_reflect.String:
		return __evol_text(b, v.String())
	case __evol_reflect.Ptr, __evol_reflect.Interface:
		if v.IsNil() {
			return append(b, "null"...)
		}
		return __evol_tag(b, v.Elem(), depth+1)
	case __evol_reflect.Slice, __evol_reflect.Array:
		if v.Kind() == __evol_reflect.Slice && v.IsNil() {
			return append(b, "[]"...)
		}
		b = append(b, '[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = __evol_tag(b, v.Index(i), depth+1)
		}
		return append(b, ']')
	case __evol_reflect.Map:
		b = append(b, `{"$t":"dict","v":[`...)
		it := v.MapRange()
		for n := 0; it.Next(); n++ {
			if n > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = __evol_tag(b, it.Key(), depth+1)
			b = append(b, ',')
			b = __evol_tag(b, it.Value(), depth+1)
			b = append(b, ']')
		}
		return append(b, "]}"...)
	case __evol_reflect.Struct:
		b = append(b, `{"$t":"dict","v":[`...)
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = __evol_text(b, t.Field(i).Name)
			b = append(b, ',')
			b = __evol_tag(b, v.Field(i), depth+1)
			b = append(b, ']')
		}
		return append(b, "]}"...)
	}
	panic(__evol_unsupported{})
}

func __evol_send(line []byte) {
	if __evol_out == nil {
		__evol_os.Exit(120)
	}
	for len(line) > 0 {
		n, err := __evol_out.Write(line)
		if err != nil {
			__evol_os.Exit(120)
		}
		line = line[n:]
	}
}

func __evol_case(i int, f func() []interface{}) {
	line := append([]byte(`{"i":`), __evol_strconv.Itoa(i)...)
	defer func() {
		if r := recover(); r != nil {
			kind := "panic"
			if _, ok := r.(__evol_unsupported); ok {
				kind = "UnsupportedType"
			} else if _, ok := r.(__evol_failed); ok {
				kind = "error"
			}
			line = __evol_text(append(line, `,"ok":false,"error":`...), kind)
			__evol_send(append(line, `,"where":"answer"}`+"\n"...))
		}
	}()
	vs := f()
	if n := len(vs); n > 1 {
		if e, isErr := vs[n-1].(error); isErr || vs[n-1] == nil {
			if isErr {
				panic(__evol_failed{e})
			}
			vs = vs[:n-1]
		}
	}
	var v []byte
	if len(vs) == 1 {
		v = __evol_tag(nil, __evol_reflect.ValueOf(vs[0]), 0)
	} else {
		v = append(v, `{"$t":"tuple","v":[`...)
		for k, x := range vs {
			if k > 0 {
				v = append(v, ',')
			}
			v = __evol_tag(v, __evol_reflect.ValueOf(x), 1)
		}
		v = append(v, "]}"...)
	}
	__evol_send(append(append(append(line, `,"ok":true,"v":`...), v...), "}\n"...))
}

func main() {
@CASES@
	__evol_os.Exit(0)
}
"""

PACKAGE = re.compile(r"^\s*package\s+\w+[ \t]*;?[ \t]*$", re.M)
ANSWER_MAIN = re.compile(r"\bfunc\s+main\s*\(")


def program(code: str, cases: Sequence[CallCase]) -> str:
    """`package main`, the driver's aliased imports, the answer (its main renamed), the driver."""
    body = ANSWER_MAIN.sub("func __evol_answer_main(", code)
    found = PACKAGE.search(body)
    if found:
        body = body[: found.start()] + "package main\n" + IMPORTS + body[found.end():]
    else:
        body = "package main\n" + IMPORTS + body
    lines = [f"\t__evol_case({i}, func() []interface{{}} {{ return __evol_values(\n{call},\n) }})"
             for i, call in enumerate(calls(cases))]
    return body.rstrip() + "\n" + fill(DRIVER, cases="\n".join(lines))
