"""The attack table: the same seven attacks in every language, a planted scene, and a judge of harm.

Used by tests/sandbox/test_attacks.py and bench/bench_eval.py, so both judge the same things. The scene
(`planted`, root only) puts a root-only secret (0600, root's) and a world-unreadable file of another
user (0600, uid 4242) in /etc, a victim folder in /var/tmp, and a loopback listener on an ephemeral
port. Harm is judged on the host, never on what the program says: a connection reached the listener,
a planted secret's token came out, the victim folder changed, processes of the run's uid outlived it,
or the output tail was not capped.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import tempfile
import time
from collections.abc import Container, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from evol.sandbox.outcome import TAIL
from evol.sandbox.policy import Limits, RunResult

ATTACKS = (
    "network",
    "fork bomb",
    "memory bomb",
    "infinite loop",
    "write outside the work dir",
    "read the planted secret",
    "output flood",
)
LIMITS = Limits(timeout_s=2.0, memory_mb=512, file_size_mb=2, allow_fork=True)
OTHER_UID = 4242

_C_INCLUDES = "#include <cstdio>\n#include <cstdlib>\n#include <cstring>\n#include <unistd.h>\n"
PROGRAMS: dict[str, dict[str, str]] = {
    "python": {
        "network": "import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1).send(b'hi')",
        "fork bomb": "import os\nwhile True:\n    os.fork()",
        "memory bomb": "chunks = []\nwhile True:\n    chunks.append(bytearray(64 * 2**20))",
        "infinite loop": "while True:\n    pass",
        "write outside the work dir": (
            "open('{victim}/evil', 'w').write('x')\nopen('{victim}/keep.txt', 'a').write('x')"
        ),
        "read the planted secret": (
            "import ctypes\nlibc = ctypes.CDLL(None)\nfor path in (b'{secret}', b'{private}'):\n"
            "    fd = libc.open(path, 0)\n    buf = ctypes.create_string_buffer(200)\n"
            "    libc.read(fd, buf, 199)\n    print(fd, buf.value.decode())\n"
            "print(open('{secret}').read(), open('{private}').read())"
        ),
        "output flood": "import sys\nwhile True:\n    sys.stdout.write('x' * 2**20)",
    },
    "javascript": {
        "network": "require('net').connect({port}, '127.0.0.1').on('connect', function () { this.write('hi'); "
        "process.exit(0); }).on('error', (e) => { console.error(e.message); process.exit(1); });",
        "fork bomb": "const cp = require('child_process');\nwhile (true) { cp.spawn('sleep', ['100']); }",
        "memory bomb": "const a = [];\nwhile (true) { a.push(Buffer.alloc(64 * 1024 * 1024, 1)); }",
        "infinite loop": "while (true) {}",
        "write outside the work dir": "const fs = require('fs');\nfs.writeFileSync('{victim}/evil', 'x');\n"
        "fs.appendFileSync('{victim}/keep.txt', 'x');",
        "read the planted secret": "const fs = require('fs');\nconsole.log(fs.readFileSync('{secret}', 'utf8'));\n"
        "console.log(fs.readFileSync('{private}', 'utf8'));",
        "output flood": "const s = 'x'.repeat(1 << 20);\nwhile (true) { require('fs').writeSync(1, s); }",
    },
    "bash": {
        "network": "exec 3<>/dev/tcp/127.0.0.1/{port} && echo hi >&3",
        "fork bomb": "while :; do sleep 100 & done",
        "memory bomb": "x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done",
        "infinite loop": "while :; do :; done",
        "write outside the work dir": "echo x > {victim}/evil; echo x >> {victim}/keep.txt",
        "read the planted secret": "cat {secret} {private}",
        "output flood": "yes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    },
    "sql": {
        "network": ".shell bash -c 'exec 3<>/dev/tcp/127.0.0.1/{port} && echo hi >&3'",
        "fork bomb": ".shell bash -c 'b() {{ b | b & }}; b'",
        "memory bomb": "WITH RECURSIVE c(i, x) AS (SELECT 1, zeroblob(10000000) UNION ALL "
        "SELECT i + 1, zeroblob(10000000) FROM c) SELECT count(*) FROM (SELECT x FROM c ORDER BY random());",
        "infinite loop": "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) SELECT count(*) FROM c;",
        "write outside the work dir": "ATTACH '{victim}/evil' AS e;\nCREATE TABLE e.t(x);",
        "read the planted secret": "SELECT readfile('{secret}'), readfile('{private}');\n.read {secret}",
        "output flood": "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) "
        "SELECT printf('%.1000c', 'x') FROM c;",
    },
    "cpp": {
        "network": _C_INCLUDES + "#include <arpa/inet.h>\n#include <sys/socket.h>\nint main() {{ "
        "int s = socket(AF_INET, SOCK_STREAM, 0); sockaddr_in a{{}}; a.sin_family = AF_INET; "
        'a.sin_port = htons({port}); inet_pton(AF_INET, "127.0.0.1", &a.sin_addr); '
        'if (connect(s, (sockaddr*)&a, sizeof a) != 0) {{ perror("connect"); return 1; }} '
        'return write(s, "hi", 2) == 2 ? 0 : 1; }}',
        "fork bomb": _C_INCLUDES + "int main() {{ while (true) fork(); }}",
        "memory bomb": _C_INCLUDES + "int main() {{ while (true) {{ char* p = (char*)malloc(64 << 20); "
        'if (!p) {{ fputs("malloc failed", stderr); return 1; }} memset(p, 1, 64 << 20); }} }}',
        "infinite loop": "int main() {{ volatile unsigned long i = 0; while (true) i++; }}",
        "write outside the work dir": _C_INCLUDES + 'int main() {{ FILE* f = fopen("{victim}/evil", "w"); '
        'FILE* g = fopen("{victim}/keep.txt", "a"); if (!f || !g) {{ perror("fopen"); return 1; }} '
        'fputs("x", f); fputs("x", g); }}',
        "read the planted secret": _C_INCLUDES + 'int main() {{ const char* ps[] = {{"{secret}", '
        '"{private}"}}; for (const char* p : ps) {{ FILE* f = fopen(p, "r"); '
        'if (!f) {{ perror(p); return 1; }} char b[200] = {{}}; fread(b, 1, 199, f); puts(b); }} }}',
        "output flood": _C_INCLUDES + "int main() {{ static char b[1 << 20]; memset(b, 'x', sizeof b); "
        "while (true) if (fwrite(b, 1, sizeof b, stdout) == 0) return 1; }}",
    },
    "go": {
        "network": 'package main\nimport ("net"; "os")\nfunc main() {{ c, err := net.Dial("tcp", '
        '"127.0.0.1:{port}"); if err != nil {{ println(err.Error()); os.Exit(1) }}; c.Write([]byte("hi")) }}',
        "fork bomb": 'package main\nimport "os/exec"\nfunc main() {{ for {{ exec.Command("sleep", "100").Start() }} }}',
        "memory bomb": "package main\nfunc main() {{ a := [][]byte{{}}; for {{ b := make([]byte, 64<<20); "
        "for i := range b {{ b[i] = 1 }}; a = append(a, b) }} }}",
        "infinite loop": "package main\nfunc main() {{ i := 0; for {{ i++ }} }}",
        "write outside the work dir": 'package main\nimport "os"\nfunc main() {{ if err := os.WriteFile('
        '"{victim}/evil", []byte("x"), 0644); err != nil {{ panic(err) }} }}',
        "read the planted secret": 'package main\nimport ("fmt"; "os")\nfunc main() {{ for _, p := range '
        '[]string{{"{secret}", "{private}"}} {{ b, err := os.ReadFile(p); if err != nil {{ panic(err) }}; '
        "fmt.Println(string(b)) }} }}",
        "output flood": 'package main\nimport ("os"; "strings")\nfunc main() {{ s := []byte(strings.Repeat('
        '"x", 1<<20)); for {{ if _, err := os.Stdout.Write(s); err != nil {{ os.Exit(1) }} }} }}',
    },
    "rust": {
        "network": 'use std::io::Write;\nfn main() {{ let mut s = std::net::TcpStream::connect("127.0.0.1:{port}")'
        '.unwrap(); s.write_all(b"hi").unwrap(); }}',
        "fork bomb": 'fn main() {{ loop {{ let _ = std::process::Command::new("sleep").arg("100").spawn(); }} }}',
        "memory bomb": "fn main() {{ let mut a = Vec::new(); loop {{ a.push(vec![1u8; 64 << 20]); }} }}",
        "infinite loop": "fn main() {{ let mut i: u64 = 0; loop {{ i = std::hint::black_box(i + 1); }} }}",
        "write outside the work dir": 'fn main() {{ std::fs::write("{victim}/evil", "x").unwrap(); }}',
        "read the planted secret": 'fn main() {{ for p in ["{secret}", "{private}"] {{ '
        'println!("{{}}", std::fs::read_to_string(p).unwrap()); }} }}',
        "output flood": "use std::io::Write;\nfn main() {{ let b = vec![b'x'; 1 << 20]; let mut o = std::io::stdout(); "
        "loop {{ o.write_all(&b).unwrap(); }} }}",
    },
    "java": {
        "network": "public class Main {{ public static void main(String[] a) throws Exception {{ "
        'new java.net.Socket("127.0.0.1", {port}).getOutputStream().write(1); }} }}',
        "fork bomb": "public class Main {{ public static void main(String[] a) throws Exception {{ "
        'while (true) new ProcessBuilder("sleep", "100").start(); }} }}',
        "memory bomb": "public class Main {{ public static void main(String[] a) {{ java.util.List<byte[]> l = "
        "new java.util.ArrayList<>(); while (true) l.add(new byte[64 << 20]); }} }}",
        "infinite loop": "public class Main {{ static volatile long i; public static void main(String[] a) {{ "
        "while (true) i++; }} }}",
        "write outside the work dir": "public class Main {{ public static void main(String[] a) throws Exception {{ "
        'java.nio.file.Files.writeString(java.nio.file.Path.of("{victim}/evil"), "x"); }} }}',
        "read the planted secret": "public class Main {{ public static void main(String[] a) throws Exception {{ "
        'for (String p : new String[] {{"{secret}", "{private}"}}) '
        "System.out.println(java.nio.file.Files.readString(java.nio.file.Path.of(p))); }} }}",
        "output flood": 'public class Main {{ public static void main(String[] a) {{ String s = "x".repeat(1 << 20); '
        "while (true) {{ System.out.print(s); if (System.out.checkError()) System.exit(1); }} }} }}",
    },
}


@dataclass
class Scene:
    """What the attacks aim at, planted on the host."""

    secret: Path
    private: Path
    victim: Path
    listener: socket.socket
    tokens: tuple[str, str]

    @property
    def port(self) -> int:
        return self.listener.getsockname()[1]

    def program(self, language: str, attack: str) -> str:
        """The attack's source with the scene filled in ({{ and }} in the table are literal braces)."""
        text = PROGRAMS[language][attack]
        for name, value in (
            ("port", self.port),
            ("victim", self.victim),
            ("secret", self.secret),
            ("private", self.private),
        ):
            text = text.replace("{" + name + "}", str(value))
        return text.replace("{{", "{").replace("}}", "}")

    def harms(self, result: RunResult, uids: Container[int] | None = None, servers: int = 0) -> list[str]:
        """What reached the host (empty: nothing). `uids`: the run's uids, none of whose processes may remain
        but the `servers` warm fork servers (`Sandbox.servers()`)."""
        found = []
        try:
            conn, _ = self.listener.accept()
            conn.close()
            found.append("a connection reached the host")
        except BlockingIOError:
            pass
        text = result.stdout + result.stderr
        names = ("secret", "private file")
        found += [f"{name} read" for name, token in zip(names, self.tokens, strict=True) if token in text]
        entries = sorted(p.name for p in self.victim.iterdir())
        if entries != ["keep.txt"] or (self.victim / "keep.txt").read_text() != "precious":
            found.append(f"victim folder changed: {entries}")
        if len(result.stdout) > TAIL or len(result.stderr) > TAIL:
            found.append("output not capped")
        if uids is not None and (left := _processes_of(uids, servers)) > servers:
            found.append(f"{left - servers} processes outlived the run")
        return found


@contextmanager
def planted() -> Iterator[Scene]:
    """Plant the scene (needs root: the secret must be root's and the private file another user's)."""
    token = secrets.token_hex(8)
    tokens = (f"SECRET-{token}", f"PRIVATE-{token}")
    secret, private = Path(f"/etc/evol-secret-{token}"), Path(f"/etc/evol-private-{token}")
    victim = Path(tempfile.mkdtemp(prefix="evol-victim-", dir="/var/tmp"))
    os.chmod(victim, 0o755)
    (victim / "keep.txt").write_text("precious")
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    try:
        for path, text, uid in ((secret, tokens[0], 0), (private, tokens[1], OTHER_UID)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, text.encode())
            os.fchown(fd, uid, uid)
            os.close(fd)
        yield Scene(secret, private, victim, listener, tokens)
    finally:
        listener.close()
        secret.unlink(missing_ok=True)
        private.unlink(missing_ok=True)
        shutil.rmtree(victim, ignore_errors=True)


def _processes_of(uids: Container[int], allowed: int, grace_s: float = 5.0) -> int:
    """Processes of `uids`, polled until at most `allowed` remain or `grace_s` passed (killed ones need reaping)."""
    deadline = time.monotonic() + grace_s
    while True:
        count = sum(_owner(entry) in uids for entry in os.scandir("/proc") if entry.name.isdigit())
        if count <= allowed or time.monotonic() > deadline:
            return count
        time.sleep(0.05)


def _owner(entry: os.DirEntry[str]) -> int | None:
    try:
        return entry.stat().st_uid
    except OSError:
        return None
