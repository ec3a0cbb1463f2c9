"""Rust: a module with a `Tag` trait implemented for the std types (integers, floats, bool, char, strings,
Vec/slices/arrays/VecDeque -> list, tuples -> tuple, Option -> value or null, Result -> its Ok value or an error
record, HashMap/BTreeMap -> dict, HashSet/BTreeSet -> set, Box/Rc/references), and a `main` that runs each call
under catch_unwind. Both come before the answer, so its `macro_rules!` (a redefined `assert_eq!` or `format!`)
are not in their textual scope; the answer's inner attributes are hoisted and its `main` renamed. A result type
without a form is a compile error."""

from __future__ import annotations

import re
from collections.abc import Sequence

from evol.verification.drivers import CallCase, calls, fill
from evol.verification.drivers.braces import bodies

DRIVER = r"""
mod __evol {
    use ::std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
    use ::std::string::String;

    pub struct Failure(pub &'static str);

    pub trait Tag {
        fn tag(&self, o: &mut String);
    }

    pub fn text(o: &mut String, s: &str) {
        o.push('"');
        for c in s.chars() {
            match c {
                '"' => o.push_str("\\\""),
                '\\' => o.push_str("\\\\"),
                c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
                c => o.push(c),
            }
        }
        o.push('"');
    }

    fn real(o: &mut String, x: f64, shown: String) {
        if x.is_nan() {
            o.push_str("{\"$t\":\"float\",\"v\":\"nan\"}")
        } else if x.is_infinite() {
            o.push_str(if x > 0.0 { "{\"$t\":\"float\",\"v\":\"inf\"}" } else { "{\"$t\":\"float\",\"v\":\"-inf\"}" })
        } else {
            o.push_str(&shown)
        }
    }

    fn items<'a, T: Tag + 'a, I: Iterator<Item = &'a T>>(o: &mut String, it: I) {
        o.push('[');
        for (n, x) in it.enumerate() {
            if n > 0 {
                o.push(',');
            }
            x.tag(o);
        }
        o.push(']');
    }

    macro_rules! whole {
        ($($t:ty),*) => { $(impl Tag for $t { fn tag(&self, o: &mut String) { o.push_str(&self.to_string()) } })* };
    }
    whole!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

    impl Tag for f64 {
        fn tag(&self, o: &mut String) { real(o, *self, format!("{:?}", self)) }
    }
    impl Tag for f32 {
        fn tag(&self, o: &mut String) { real(o, *self as f64, format!("{:?}", self)) }
    }
    impl Tag for bool {
        fn tag(&self, o: &mut String) { o.push_str(if *self { "true" } else { "false" }) }
    }
    impl Tag for char {
        fn tag(&self, o: &mut String) { text(o, self.encode_utf8(&mut [0u8; 4])) }
    }
    impl Tag for str {
        fn tag(&self, o: &mut String) { text(o, self) }
    }
    impl Tag for String {
        fn tag(&self, o: &mut String) { text(o, self) }
    }
    impl Tag for () {
        fn tag(&self, o: &mut String) { o.push_str("null") }
    }
    impl<T: Tag + ?Sized> Tag for &T {
        fn tag(&self, o: &mut String) { (**self).tag(o) }
    }
    impl<T: Tag + ?Sized> Tag for &mut T {
        fn tag(&self, o: &mut String) { (**self).tag(o) }
    }
    impl<T: Tag + ?Sized> Tag for ::std::boxed::Box<T> {
        fn tag(&self, o: &mut String) { (**self).tag(o) }
    }
    impl<T: Tag + ?Sized> Tag for ::std::rc::Rc<T> {
        fn tag(&self, o: &mut String) { (**self).tag(o) }
    }
    impl<T: Tag> Tag for [T] {
        fn tag(&self, o: &mut String) { items(o, self.iter()) }
    }
    impl<T: Tag, const N: usize> Tag for [T; N] {
        fn tag(&self, o: &mut String) { items(o, self.iter()) }
    }
    impl<T: Tag> Tag for ::std::vec::Vec<T> {
        fn tag(&self, o: &mut String) { items(o, self.iter()) }
    }
    impl<T: Tag> Tag for VecDeque<T> {
        fn tag(&self, o: &mut String) { items(o, self.iter()) }
    }
    impl<T: Tag> Tag for ::std::option::Option<T> {
        fn tag(&self, o: &mut String) {
            match self {
                Some(x) => x.tag(o),
                None => o.push_str("null"),
            }
        }
    }
    impl<T: Tag, E> Tag for ::std::result::Result<T, E> {
        fn tag(&self, o: &mut String) {
            match self {
                Ok(x) => x.tag(o),
                Err(_) => ::std::panic::panic_any(Failure("Err")),
            }
        }
    }
    impl<T: Tag, S> Tag for HashSet<T, S> {
        fn tag(&self, o: &mut String) {
            o.push_str("{\"$t\":\"set\",\"v\":");
            items(o, self.iter());
            o.push('}');
        }
    }
    impl<T: Tag> Tag for BTreeSet<T> {
        fn tag(&self, o: &mut String) {
            o.push_str("{\"$t\":\"set\",\"v\":");
            items(o, self.iter());
            o.push('}');
        }
    }
    fn pairs<'a, K: Tag + 'a, V: Tag + 'a, I: Iterator<Item = (&'a K, &'a V)>>(o: &mut String, it: I) {
        o.push_str("{\"$t\":\"dict\",\"v\":[");
        for (n, (k, v)) in it.enumerate() {
            if n > 0 {
                o.push(',');
            }
            o.push('[');
            k.tag(o);
            o.push(',');
            v.tag(o);
            o.push(']');
        }
        o.push_str("]}");
    }
    impl<K: Tag, V: Tag, S> Tag for HashMap<K, V, S> {
        fn tag(&self, o: &mut String) { pairs(o, self.iter()) }
    }
    impl<K: Tag, V: Tag> Tag for BTreeMap<K, V> {
        fn tag(&self, o: &mut String) { pairs(o, self.iter()) }
    }
    macro_rules! tuple {
        ($($n:tt $t:ident),*) => {
            impl<$($t: Tag),*> Tag for ($($t,)*) {
                fn tag(&self, o: &mut String) {
                    o.push_str("{\"$t\":\"tuple\",\"v\":[");
                    $( if $n > 0 { o.push(','); } self.$n.tag(o); )*
                    o.push_str("]}");
                }
            }
        };
    }
    tuple!(0 A);
    tuple!(0 A, 1 B);
    tuple!(0 A, 1 B, 2 C);
    tuple!(0 A, 1 B, 2 C, 3 D);
    tuple!(0 A, 1 B, 2 C, 3 D, 4 E);
    tuple!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F);
    tuple!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G);
    tuple!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H);

    pub fn render<T: Tag>(v: &T) -> String {
        let mut o = String::new();
        v.tag(&mut o);
        o
    }

    pub fn case<F: FnOnce() -> String>(out: &mut ::std::fs::File, i: usize, f: F) {
        use ::std::io::Write;
        let line = match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(f)) {
            Ok(v) => format!("{{\"i\":{},\"ok\":true,\"v\":{}}}\n", i, v),
            Err(payload) => {
                let kind = payload.downcast_ref::<Failure>().map(|f| f.0).unwrap_or("panic");
                format!("{{\"i\":{},\"ok\":false,\"error\":\"{}\",\"where\":\"answer\"}}\n", i, kind)
            }
        };
        if out.write_all(line.as_bytes()).is_err() {
            ::std::process::exit(120);
        }
    }

    pub fn results() -> ::std::fs::File {
        let fd: i32 = match ::std::env::var("EVOL_RESULTS_FD").ok().and_then(|s| s.parse().ok()) {
            Some(fd) => fd,
            None => ::std::process::exit(120),
        };
        unsafe { <::std::fs::File as ::std::os::unix::io::FromRawFd>::from_raw_fd(fd) }
    }
}

fn main() {
    let mut __evol_out = __evol::results();
@CASES@
    ::std::process::exit(0);
}

"""

INNER_ATTRIBUTE = re.compile(r"^[ \t]*#!\[.*?\][ \t]*$\n?", re.M)
ANSWER_MAIN = re.compile(r"\bfn\s+main\s*\(")


IMPL = r"\bimpl\b(?:\s*<[^{;]*?>)?\s+(?:[\w:]+(?:<[^{;]*?>)?\s+for\s+)?(\w+)(?:\s*<[^{;]*?>)?\s*\{"
BARE = re.compile(r"\s*([a-z_]\w*)\s*\(")


def qualified(call: str, code: str) -> str:
    """A bare call of an associated function (no `self`) the answer declares in an `impl` block and not as a free
    `fn` (LeetCode's `impl Solution`): `Solution::f(...)`."""
    head = BARE.match(call)
    if head is None:
        return call
    name = head.group(1)
    for owner, body, top in bodies(code, IMPL):
        if re.search(rf"\bfn\s+{name}\b", top):
            return call
        found = re.search(rf"\bfn\s+{name}\s*(?:<[^(]*>)?\s*\(\s*(&\s*('\w+\s+)?(mut\s+)?)?(mut\s+)?self\b|"
                          rf"\bfn\s+{name}\s*(?:<[^(]*>)?\s*\(", body)
        if found and found.group(0).endswith("self"):
            return call  # a method: the call has to name its receiver
        if found:
            return f"{owner}::{call.lstrip()}"
    return call


def program(code: str, cases: Sequence[CallCase]) -> str:
    """The answer's inner attributes, the driver, then the answer (its main renamed)."""
    attributes = "".join(m.group(0).rstrip() + "\n" for m in INNER_ATTRIBUTE.finditer(code))
    body = ANSWER_MAIN.sub("fn __evol_answer_main(", INNER_ATTRIBUTE.sub("", code))
    lines = [f"    __evol::case(&mut __evol_out, {i}, || {{ let v = {{\n{qualified(call, code)}\n}}; "
             "__evol::render(&v) });" for i, call in enumerate(calls(cases))]
    return attributes + fill(DRIVER, cases="\n".join(lines)) + body.rstrip() + "\n"
