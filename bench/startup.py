"""Time to first frame: ``lrtui --demo`` against a bare Textual app (Header + 30-row DataTable + Footer).

Both run in a pseudo-terminal (80x24), alternately, several times in the same run. The clock starts just
before the process is spawned and stops when the first complete frame has been written: Textual wraps every
frame in synchronized-output markers (ESC[?2026h ... ESC[?2026l) once the terminal says it supports them (we
answer its query as tmux and modern terminals do); we wait for the first end marker after which the screen
shows the app's marker text (the bare app's first table row, lrtui's tab strip).

Prints each run, the medians and the ratio (target: lrtui / bare <= 1.15).

    python bench/startup.py [--runs 15] [--size 80x24]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SYNC_END = b"\x1b[?2026l"
SYNC_QUERY = b"\x1b[?2026$p"
SYNC_REPLY = b"\x1b[?2026;2$y"  # "supported, currently reset": as tmux >= 3.4, kitty, WezTerm... answer

BARE_APP = """
from textual.app import App
from textual.widgets import DataTable, Footer, Header


class Bare(App):
    def compose(self):
        yield Header()
        yield DataTable()
        yield Footer()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("Name", "OS", "Health", "Risk")
        table.add_rows([(f"host-{i:03d}", "Windows11", "Active", "Low") for i in range(30)])


Bare().run()
"""


def first_frame_seconds(
    cmd: list[str], marker: bytes, size: tuple[int, int], env: dict[str, str], timeout: float = 30.0
) -> float:
    """Spawn ``cmd`` on a pty of ``size``; seconds until a frame containing ``marker`` is complete."""
    master, slave = pty.openpty()
    cols, rows = size
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO, start_new_session=True,
                            close_fds=True)  # fmt: skip
    os.close(slave)
    seen = bytearray()
    try:
        while True:
            left = timeout - (time.perf_counter() - start)
            if left <= 0:
                raise TimeoutError(f"no frame with {marker!r} after {timeout}s: {bytes(seen[-400:])!r}")
            ready, _, _ = select.select([master], [], [], min(left, 0.5))
            if not ready:
                if proc.poll() is not None:
                    raise RuntimeError(f"{cmd} exited ({proc.returncode}): {bytes(seen[-800:])!r}")
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                raise RuntimeError(f"{cmd} closed the terminal: {bytes(seen[-800:])!r}") from None
            if SYNC_QUERY in chunk:  # answer like a modern terminal, so frames are bracketed
                os.write(master, SYNC_REPLY)
            seen += chunk
            end = seen.rfind(SYNC_END)
            if end != -1 and marker in seen[:end]:
                return time.perf_counter() - start
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        os.close(master)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--size", default="80x24")
    ns = parser.parse_args(argv)
    size = tuple(int(x) for x in ns.size.lower().split("x"))
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="lrtui-bench-") as tmp:
        bare = Path(tmp) / "bare_app.py"
        bare.write_text(BARE_APP)
        # PYTHONDONTWRITEBYTECODE would make every edited module compile from source on each run (an installed
        # lrtui has its .pyc files); the warm-up run below writes them.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("LRTUI_", "TEXTUAL_")) and k != "PYTHONDONTWRITEBYTECODE"}  # fmt: skip
        env.update({"TERM": "xterm-256color", "COLORTERM": "truecolor", "LRTUI_HOME": str(Path(tmp) / "home")})
        subjects = {
            "bare": ([python, str(bare)], b"host-0"),
            "lrtui": ([python, "-m", "lrtui", "--demo"], b"Sequence"),
        }
        for cmd, marker in subjects.values():  # warm the OS file cache and .pyc files once
            first_frame_seconds(cmd, marker, size, env)
        times: dict[str, list[float]] = {name: [] for name in subjects}
        for i in range(ns.runs):
            order = list(subjects) if i % 2 == 0 else list(reversed(subjects))
            for name in order:
                cmd, marker = subjects[name]
                t = first_frame_seconds(cmd, marker, size, env)
                times[name].append(t)
                print(f"run {i + 1:2d}  {name:6s} {t * 1000:7.1f} ms", flush=True)
    med = {name: statistics.median(v) for name, v in times.items()}
    ratio = med["lrtui"] / med["bare"]
    print(f"median  bare {med['bare'] * 1000:.1f} ms   lrtui --demo {med['lrtui'] * 1000:.1f} ms")
    print(f"ratio lrtui/bare = {ratio:.3f}  (target <= 1.15: {'PASS' if ratio <= 1.15 else 'FAIL'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
