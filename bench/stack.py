"""Stacking a fleet's outputs (issue 12): 300 machines x 1 MB of script output each, read from evidence files.

Prints the time to the first stacked view (whole outputs grouped), to the line stack, and to both in one
reading (what the stack view computes), exact and with the default masks (banner, host, time, pid, guid: how
the view opens), and the peak memory of the process doing it, against a plain ``sort | uniq -c`` of the same
files measured in the same run. Targets: first view within 2x of ``sort | uniq -c``; peak memory <= 200 MiB.

    python bench/stack.py [--machines 300] [--size-mb 1]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from lrtui.engine.stacking import DEFAULT_MASKS, MachineOutput, group_and_stack, group_outputs, stack_lines
root = Path(sys.argv[1])
outputs = [MachineOutput(p.stem, p) for p in sorted(root.glob("*.txt"))]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = {"base_kib": base}
for label, masks in (("exact", ()), ("masked", DEFAULT_MASKS)):
    t0 = time.perf_counter()
    groups = group_outputs(outputs, masks)
    t1 = time.perf_counter()
    lines = stack_lines(outputs, masks)
    t2 = time.perf_counter()
    group_and_stack(outputs, masks)
    t3 = time.perf_counter()
    out[label] = {"groups": len(groups), "largest": groups[0].size, "distinct_lines": len(lines.lines),
                  "group_s": t1 - t0, "lines_s": t2 - t1, "view_s": t3 - t2}
out["peak_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(out))
"""


def make_outputs(root: Path, machines: int, size: int, seed: int = 12) -> None:
    """Process listings like the demo's: the same processes everywhere, PIDs and times that differ per
    machine, and a few machines with something extra (an unknown autorun, an odd port)."""
    rng = random.Random(seed)
    procs = [f"C:\\Windows\\System32\\svc{i:04d}.exe -k netsvcs -p" for i in range(400)]
    for m in range(machines):
        host = f"ws{m:04d}.corp.example"
        out = [f"Machine: WS{m:04d}", f"Start time: 2024060208{m % 60:02d}00", "ProcessId ParentProcessId Name"]
        while sum(len(x) + 1 for x in out) < size:
            for p in procs:
                out.append(f"{rng.randint(100, 60000):>9} {rng.randint(4, 9000):>15} {p}")
        if m % 97 == 5:
            out.append(f"{rng.randint(100, 60000):>9} {1234:>15} C:\\Users\\Public\\upd.exe --beacon {host}")
        (root / f"{host}.txt").write_text("\n".join(out) + "\n", encoding="utf-8")


def sort_uniq(root: Path) -> float:
    files = sorted(str(p) for p in root.glob("*.txt"))
    t0 = time.perf_counter()
    sort = subprocess.Popen(["sort", *files], stdout=subprocess.PIPE, env={**os.environ, "LC_ALL": "C"})
    subprocess.run(["uniq", "-c"], stdin=sort.stdout, stdout=subprocess.DEVNULL, check=True)
    sort.wait()
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--machines", type=int, default=300)
    ap.add_argument("--size-mb", type=float, default=1.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="lrtui-stack-") as tmp:
        root = Path(tmp)
        make_outputs(root, args.machines, int(args.size_mb * 1024 * 1024))
        first = sort_uniq(root)
        run = subprocess.run([sys.executable, "-c", CHILD, str(root)], capture_output=True, text=True, check=True)
        r = json.loads(run.stdout.strip().splitlines()[-1])
        baseline = min(first, sort_uniq(root))  # before and after: the faster (the machine may be shared)
    peak_mib = r["peak_kib"] / 1024
    print(f"machines: {args.machines} x {args.size_mb} MB each; sort | uniq -c: {baseline:.2f} s")
    for label in ("exact", "masked"):
        x = r[label]
        print(f"{label:>6}: groups {x['groups']} (largest {x['largest']}), distinct lines {x['distinct_lines']}")
        print(f"        first stacked view {x['group_s']:6.2f} s  ratio {x['group_s'] / baseline:5.2f}"
              f"   line stack {x['lines_s']:6.2f} s  ratio {x['lines_s'] / baseline:5.2f}"
              f"   both in one pass (the view) {x['view_s']:6.2f} s  ratio {x['view_s'] / baseline:5.2f}")  # fmt: skip
    print("target: the first view (groups, exact and masked) within 2x of sort | uniq -c")
    print(f"peak memory: {peak_mib:.0f} MiB (interpreter and imports {r['base_kib'] / 1024:.0f} MiB; target <= 200)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
