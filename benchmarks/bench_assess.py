#!/usr/bin/env python3
"""Benchmarks for the assessment command (issue 2's speed targets).

    python benchmarks/bench_assess.py            # both, default sizes
    python benchmarks/bench_assess.py --cases 20000 --runs 15

1. Batch throughput: ``backcoach assess --batch FILE --json`` on N generated cases (seeded),
   pinned to one core where ``taskset`` exists. Target: >= 20,000 cases per second.
   Baseline printed beside it: ``python -c "json.loads"`` of the same lines (the
   parse-only floor), so the ratio says how much the engine adds on top of reading JSON.
2. Start-up: median wall time of a whole ``backcoach assess --case FILE --json`` process
   against ``python -c pass`` with the same interpreter. Target: ratio <= 6.

Run it with the project's interpreter (.venv/bin/python) so ``backcoach`` is importable.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_CASES_PER_SECOND = 20_000
TARGET_STARTUP_RATIO = 6.0


def catalog() -> list[dict[str, object]]:
    out = subprocess.run(
        [sys.executable, "-m", "backcoach", "findings", "--json"], capture_output=True, check=True
    )
    findings: list[dict[str, object]] = json.loads(out.stdout)
    return findings


def generate_cases(n: int, findings: list[dict[str, object]], rng: random.Random) -> list[str]:
    """Cases shaped like finished interviews (seeded, so every run assesses the same cases).

    Every warning-sign question is answered, nearly always "no" (2% yes, 3% don't know);
    of the other questions about half are asked, a quarter of those answered yes. That is
    what `backcoach assess --save` writes, and what clinicians' case collections look like.
    """
    danger = [str(f["id"]) for f in findings if f["phase"] == "danger"]
    other = [str(f["id"]) for f in findings if f["phase"] != "danger"]
    lines = []
    for i in range(n):
        answers = {}
        for fid in danger:
            answers[fid] = rng.choices(("absent", "present", "unknown"), weights=(95, 2, 3))[0]
        for fid in rng.sample(other, k=len(other) // 2):
            answers[fid] = rng.choices(("absent", "present", "unknown"), weights=(70, 25, 5))[0]
        case = {
            "id": f"case-{i}",
            "age": rng.randint(16, 95),
            "sex": rng.choice(("female", "male", "other")),
            "pain_intensity": rng.randint(0, 10),
            "duration_days": rng.randint(0, 400),
            "findings": answers,
        }
        lines.append(json.dumps(case))
    return lines


def pinned(command: list[str]) -> list[str]:
    taskset = shutil.which("taskset")
    return [taskset, "-c", "0", *command] if taskset else command


def timed(command: list[str], stdin_path: Path | None = None) -> float:
    start = time.perf_counter()
    if stdin_path is None:
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    else:
        with stdin_path.open("rb") as fh:
            subprocess.run(command, check=True, stdin=fh, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def bench_batch(n: int, workdir: Path) -> None:
    rng = random.Random(42)
    path = workdir / "cases.jsonl"
    path.write_text("\n".join(generate_cases(n, catalog(), rng)) + "\n")
    run = pinned([sys.executable, "-m", "backcoach", "assess", "--batch", str(path), "--json"])
    timed(run)  # warm the content cache and the OS file cache
    runs = sorted(timed(run) for _ in range(3))
    seconds = runs[1]  # the median of three: this machine's speed drifts from run to run
    parse_only = pinned(
        [sys.executable, "-c", "import json,sys\nfor line in sys.stdin.buffer: json.loads(line)"]
    )
    floor = sorted(timed(parse_only, path) for _ in range(3))[1]
    rate = n / seconds
    print(
        f"batch: {n:,} cases in {seconds:.2f} s (median of {', '.join(f'{r:.2f}' for r in runs)} s)"
        f" on one core = {rate:,.0f} cases/s"
    )
    print(
        f"  vs target {TARGET_CASES_PER_SECOND:,}/s: ratio {rate / TARGET_CASES_PER_SECOND:.2f} (>= 1 passes)"
    )
    print(
        f"  vs json.loads-only baseline ({n / floor:,.0f} lines/s): engine takes {seconds / floor:.1f}x the parse time"
    )


def bench_startup(runs: int, workdir: Path) -> None:
    case = workdir / "case.json"
    case.write_text(json.dumps({"age": 29, "sex": "female", "findings": {"runner": "present"}}))
    command = [sys.executable, "-m", "backcoach", "assess", "--case", str(case), "--json"]
    entry = shutil.which("backcoach", path=str(Path(sys.executable).parent))
    if entry:
        command = [entry, "assess", "--case", str(case), "--json"]
    baseline = [sys.executable, "-c", "pass"]
    timed(command)
    ours = statistics.median(timed(command) for _ in range(runs))
    base = statistics.median(timed(baseline) for _ in range(runs))
    print(
        f"start-up: `{Path(command[0]).name} assess --case FILE --json` median {ours * 1000:.1f} ms;"
    )
    print(f"  baseline `python -c pass` median {base * 1000:.1f} ms")
    print(f"  ratio {ours / base:.2f} (target <= {TARGET_STARTUP_RATIO:.0f})")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=100_000, help="cases in the batch run")
    parser.add_argument("--runs", type=int, default=30, help="process starts to time")
    parser.add_argument("--only", choices=("batch", "startup"), help="run one benchmark")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "startup"):
            bench_startup(args.runs, Path(tmp))
        if args.only in (None, "batch"):
            bench_batch(args.cases, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
