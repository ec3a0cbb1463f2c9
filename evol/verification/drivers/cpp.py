"""C++17: the serializer comes first (so the answer's macros, `#define int long long` included, cannot touch it),
then the answer (its `main` renamed), then a `main` that runs each call in a lambda under try/catch (an error
record names the exception's class without its namespace: `out_of_range`). The value's
static type picks its tagged form (if constexpr over bool, char, integers, floats, strings, optional, pair/tuple,
maps, sets, and anything iterable); a type with no form is a compile error, never a guess."""

from __future__ import annotations

import re
from collections.abc import Sequence

from evol.verification.drivers import CallCase, calls, fill
from evol.verification.drivers.braces import bodies

PRELUDE = r"""#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cxxabi.h>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <unistd.h>
#include <utility>
namespace __evol {
inline const int fd = [] { const char* s = std::getenv("EVOL_RESULTS_FD"); return s ? std::atoi(s) : -1; }();
template <class T, class = void> struct has_mapped : std::false_type {};
template <class T> struct has_mapped<T, std::void_t<typename T::mapped_type>> : std::true_type {};
template <class T, class = void> struct has_key : std::false_type {};
template <class T> struct has_key<T, std::void_t<typename T::key_type>> : std::true_type {};
template <class T, class = void> struct iterable : std::false_type {};
template <class T>
struct iterable<T, std::void_t<decltype(std::begin(std::declval<const T&>()))>> : std::true_type {};
template <class T> struct is_optional : std::false_type {};
template <class T> struct is_optional<std::optional<T>> : std::true_type {};
template <class T, class = void> struct tuple_like : std::false_type {};
template <class T> struct tuple_like<T, std::void_t<decltype(std::tuple_size<T>::value)>> : std::true_type {};
template <class T> struct no_form : std::false_type {};

inline void text(std::string& o, std::string_view s) {
  o += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') { o += '\\'; o += static_cast<char>(c); }
    else if (c < 0x20) { char b[8]; std::snprintf(b, sizeof b, "\\u%04x", c); o += b; }
    else o += static_cast<char>(c);
  }
  o += '"';
}

inline void real(std::string& o, double x) {
  if (std::isnan(x)) { o += "{\"$t\":\"float\",\"v\":\"nan\"}"; return; }
  if (std::isinf(x)) { o += x > 0 ? "{\"$t\":\"float\",\"v\":\"inf\"}" : "{\"$t\":\"float\",\"v\":\"-inf\"}"; return; }
  char b[40];
  for (int p = 1; p <= 17; ++p) {
    std::snprintf(b, sizeof b, "%.*g", p, x);
    if (std::strtod(b, nullptr) == x) break;
  }
  o += b;
  if (!std::strpbrk(b, ".eE")) o += ".0";
}

template <class T> void tag(std::string& o, const T& v, int depth);

template <class T> void items(std::string& o, const T& v, int depth) {
  o += '[';
  bool first = true;
  for (const auto& x : v) { if (!first) o += ','; first = false; tag(o, x, depth + 1); }
  o += ']';
}

template <class T> void tag(std::string& o, const T& v, int depth) {
  using U = std::decay_t<T>;
  if (depth > 200) throw std::length_error("nested too deep");
  if constexpr (std::is_same_v<U, bool>) o += v ? "true" : "false";
  else if constexpr (std::is_same_v<U, char>) text(o, std::string_view(&v, 1));
  else if constexpr (std::is_integral_v<U>) o += std::to_string(v);
  else if constexpr (std::is_floating_point_v<U>) real(o, static_cast<double>(v));
  else if constexpr (std::is_same_v<U, std::nullptr_t> || std::is_same_v<U, std::nullopt_t>) o += "null";
  else if constexpr (std::is_convertible_v<const T&, std::string_view>) text(o, std::string_view(v));
  else if constexpr (is_optional<U>::value) { if (v) tag(o, *v, depth + 1); else o += "null"; }
  else if constexpr (has_mapped<U>::value) {
    o += "{\"$t\":\"dict\",\"v\":[";
    bool first = true;
    for (const auto& kv : v) {
      if (!first) o += ',';
      first = false;
      o += '['; tag(o, kv.first, depth + 1); o += ','; tag(o, kv.second, depth + 1); o += ']';
    }
    o += "]}";
  }
  else if constexpr (has_key<U>::value) { o += "{\"$t\":\"set\",\"v\":"; items(o, v, depth); o += '}'; }
  else if constexpr (iterable<U>::value) items(o, v, depth);
  else if constexpr (tuple_like<U>::value) {
    o += "{\"$t\":\"tuple\",\"v\":[";
    std::apply([&](const auto&... xs) { int n = 0; ((o += (n++ ? "," : ""), tag(o, xs, depth + 1)), ...); }, v);
    o += "]}";
  }
  else static_assert(no_form<U>::value, "evol: the call's result has no JSON form");
}

inline void send(const std::string& line) {
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n <= 0) std::_Exit(120);
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

inline std::string name(const std::type_info& t) {
  int status = 0;
  char* s = abi::__cxa_demangle(t.name(), nullptr, nullptr, &status);
  std::string out = status == 0 && s ? s : t.name();
  std::free(s);
  std::size_t cut = out.rfind("::");
  return cut == std::string::npos || out.find('<') != std::string::npos ? out : out.substr(cut + 2);
}

template <class F> void one(int i, F f) {
  std::string line = "{\"i\":" + std::to_string(i);
  try {
    std::string v;
    tag(v, f(), 0);
    line += ",\"ok\":true,\"v\":" + v + "}\n";
  } catch (const std::exception& e) {
    std::string kind;
    text(kind, name(typeid(e)));
    line += ",\"ok\":false,\"error\":" + kind + ",\"where\":\"answer\"}\n";
  } catch (...) {
    line += ",\"ok\":false,\"error\":\"unknown\",\"where\":\"answer\"}\n";
  }
  send(line);
}
}  // namespace __evol
#define main __evol_answer_main
"""

MAIN = r"""
#undef main
signed main() {
@CASES@
  std::_Exit(0);
}
"""


CLASS = r"\b(?:class|struct)\s+(\w+)[^;{()]*\{"
BARE = re.compile(r"\s*([A-Za-z_]\w*)\s*\(")
STATEMENT_START = re.compile(r"[;{}]|\b(?:public|private|protected)\s*:(?!:)")


def qualified(call: str, code: str) -> str:
    """A bare call of a member the answer declares in a class and nowhere at top level (LeetCode's `class
    Solution`): `Solution::f(...)` when static, else `Solution().f(...)`."""
    head = BARE.match(call)
    if head is None:
        return call
    name = head.group(1)
    declared = re.compile(rf"\b{name}\s*\(")
    for owner, body, top in bodies(code, CLASS):
        if declared.search(top):
            return call  # a free function of that name
        found = declared.search(body)
        if found and name != owner:
            start = max((m.end() for m in STATEMENT_START.finditer(body, 0, found.start())), default=0)
            static = re.search(r"\bstatic\b", body[start:found.start()])
            return f"{owner}{'::' if static else '().'}{call.lstrip()}"
    return call


def program(code: str, cases: Sequence[CallCase]) -> str:
    """Serializer, the answer (its main renamed), then one lambda per case."""
    lines = [f"  __evol::one({i}, [&]() {{ return (\n{qualified(call, code)}\n); }});"
             for i, call in enumerate(calls(cases))]
    return PRELUDE + "#line 1\n" + code.rstrip() + "\n" + fill(MAIN, cases="\n".join(lines))
