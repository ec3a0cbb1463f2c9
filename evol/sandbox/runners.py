"""The language runners, one entry each: names and aliases, tools, source file, compile and run words.

Everything that knows a language reads this table: the sandbox (`languages.py` runs an entry), the aliases
of fence tags and seed `lang` values (verification), `evol sandbox doctor`, and the Debian packages that
`scripts/test-deps.sh` installs (`python3 evol/sandbox/runners.py --packages`). Adding a language is one
entry here (plus code in `languages.py` only if it needs a step no other runner has). Standard library only:
the script reads it before anything is installed.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Runner:
    """How one language runs. Words of `compile`/`run` may hold {build}, {src} and {main} (Java's class)."""

    name: str
    aliases: tuple[str, ...]
    tools: tuple[str, ...]  # the first is what `run` starts; all must be on PATH
    filename: str
    run: tuple[str, ...]
    compile: tuple[str, ...] = ()
    package: str = ""  # the Debian package with the tools (scripts/test-deps.sh installs it)
    env: dict[str, str] = field(default_factory=dict)
    nproc_floor: int = 0  # threads a runtime starts on its own
    memory_floor_mb: int = 0  # address space a runtime reserves up front (V8, Go, JVM); heaps stay memory_mb / 2
    stdin_source: bool = False  # the source goes to the tool's stdin (sqlite3: -init would skip -safe)
    results_on_stdout: bool = False  # cannot open the results fd (sqlite3 -safe): its stdout is the channel

    def available(self) -> bool:
        return all(shutil.which(tool) for tool in self.tools)

    def missing(self) -> str | None:
        """None when every tool is on PATH, else the install command."""
        absent = [tool for tool in self.tools if shutil.which(tool) is None]
        return f"{', '.join(absent)} not on PATH (install: apt-get install -y {self.package})" if absent else None


RUNNERS: dict[str, Runner] = {
    r.name: r
    for r in (
        Runner("python", ("py", "python3", "py3"), (), "main.py", ()),  # sys.executable, always there
        Runner(
            "javascript",
            ("js", "node", "nodejs"),
            ("node",),
            "main.js",
            ("node", "--max-old-space-size={heap}", "{build}/{src}"),
            package="nodejs",
            memory_floor_mb=2048,
            nproc_floor=32,
        ),
        Runner(
            "bash", ("sh", "shell"), ("bash",), "main.sh", ("bash", "{build}/{src}"), package="bash"
        ),
        Runner(
            "sql",
            ("sqlite", "sqlite3"),
            ("sqlite3",),
            "main.sql",
            ("sqlite3", "-safe", "-bail", ":memory:"),  # safe: no .shell, readfile, ATTACH of files
            package="sqlite3",
            stdin_source=True,
            results_on_stdout=True,
        ),
        Runner(
            "cpp",
            ("c++", "cxx", "cc"),
            ("g++",),
            "main.cpp",
            ("{build}/prog",),
            compile=("g++", "-O1", "-std=c++17", "-o", "{build}/prog", "{build}/{src}"),
            package="g++",
        ),
        Runner(
            "go",
            ("golang",),
            ("go",),
            "main.go",
            ("{build}/prog",),
            compile=("go", "build", "-o", "{build}/prog", "{build}/{src}"),
            package="golang-go",
            memory_floor_mb=1024,  # the Go runtime reserves ~700 MB of address space at start
            env={"GOCACHE": "/tmp/.gocache", "GOPATH": "/tmp/.gopath", "GO111MODULE": "off"},
            nproc_floor=64,
        ),
        Runner(
            "rust",
            ("rs",),
            ("rustc",),
            "main.rs",
            ("{build}/prog",),
            compile=("rustc", "--edition", "2021", "-C", "opt-level=1", "-o", "{build}/prog", "{build}/{src}"),
            package="rustc",
            nproc_floor=64,
        ),
        Runner(
            "java",
            (),
            ("java", "javac"),
            "Main.java",
            (
                "java",
                "-Xmx{heap}m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-XX:ReservedCodeCacheSize=64m",
                "-XX:CompressedClassSpaceSize=64m",
                "-XX:-UsePerfData",
                "-cp",
                "{build}",
                "{main}",
            ),
            compile=("javac", "-J-XX:+UseSerialGC", "-J-XX:TieredStopAtLevel=1", "-d", "{build}", "{build}/{src}"),
            package="default-jdk-headless",
            memory_floor_mb=1536,  # the JVM reserves heap + code cache + class space at start
            nproc_floor=64,
        ),
    )
}


def aliases() -> dict[str, str]:
    """Every name and alias (lower case) -> its runner's name."""
    return {alias: r.name for r in RUNNERS.values() for alias in (r.name, *r.aliases)}


def canonical_language(name: str) -> str | None:
    """The canonical language name for `name` or one of its aliases (case-insensitive); None if unknown."""
    return aliases().get(name.strip().lower()) if isinstance(name, str) else None


def runner_for(language: str) -> Runner | None:
    canonical = canonical_language(language)
    return RUNNERS[canonical] if canonical else None


def packages() -> list[str]:
    """`tool:package` for every runner's tool: what scripts/test-deps.sh checks and installs."""
    return [f"{tool}:{r.package}" for r in RUNNERS.values() for tool in r.tools]


if __name__ == "__main__":  # run as a file (python3 evol/sandbox/runners.py --packages): stdlib only
    import sys

    if sys.argv[1:] != ["--packages"]:
        sys.exit("usage: runners.py --packages")
    print("\n".join(packages()))
