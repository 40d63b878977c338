#!/usr/bin/env python3
"""Benchmark: a whole Strava bulk export imported end to end (issue 5's target).

    python benchmarks/bench_strava_import.py                 # 1,000 one-hour runs at 1 Hz
    python benchmarks/bench_strava_import.py --runs 200 --formats gpx.gz,fit.gz

Generates (seeded, with tests/strava_export.py) an export of N one-hour runs recorded at
1 Hz with an English activities.csv, zips it, then times ``backcoach runs import
EXPORT.zip --json`` as one process on one core (``taskset -c 0`` where it exists) into an
empty record, and reads its peak memory (``ru_maxrss`` of the child). Targets: under 60
seconds, under 300 MB. Then it profiles the same import in-process (cProfile, on a fresh
record) and prints where the time goes: reading the zip, decoding each format, the
summaries, and the database.

Baseline printed beside it, as a yardstick for the machine: ``python -c pass``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 60.0
TARGET_MB = 300.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000, help="activities (1000)")
    parser.add_argument("--hours", type=float, default=1.0, help="hours per run (1)")
    parser.add_argument(
        "--formats", default="gpx.gz,fit.gz", help="file formats in turn (gpx.gz,fit.gz)"
    )
    parser.add_argument("--no-profile", action="store_true", help="skip the profile")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from strava_export import write_benchmark_export, write_zip

    work = Path(tempfile.mkdtemp(prefix="bench-strava-"))
    try:
        started = time.perf_counter()
        folder = work / "export"
        formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
        write_benchmark_export(folder, args.runs, hours=args.hours, formats=formats)
        archive = work / "export.zip"
        write_zip(folder, archive)  # deflated, as Strava zips it
        size = archive.stat().st_size / 1e6
        print(f"export: {args.runs} runs of {args.hours:g} h at 1 Hz ({', '.join(formats)}), "
              f"zip {size:.0f} MB, written in {time.perf_counter() - started:.1f} s")  # fmt: skip
        baseline = _whole([sys.executable, "-c", "pass"], work / "none", {})[0]
        seconds, peak_mb, report = _whole(
            [sys.executable, "-m", "backcoach", "runs", "import", str(archive), "--json"],
            work / "home",
            {},
        )
        data = json.loads(report)
        print(f"import:  {seconds:.1f} s whole process, peak memory {peak_mb:.0f} MB; "
              f"imported {data['imported']}, duplicates {data['duplicates']}, "
              f"errors {len(data['errors'])}, skipped {len(data['skipped'])}")  # fmt: skip
        print(f"baseline python -c pass: {baseline * 1000:.0f} ms "
              f"(ratio {seconds / baseline:.0f})")  # fmt: skip
        points = args.runs * args.hours * 3600
        print(f"         {points / seconds:,.0f} points per second, "
              f"{args.runs / seconds:.1f} activities per second")  # fmt: skip
        if data["imported"] != args.runs or data["errors"]:
            raise SystemExit(f"not every run was imported: {report}")  # no verdict then
        verdict = "pass" if seconds < TARGET_SECONDS else "MISS"
        print(f"target:  under {TARGET_SECONDS:.0f} s: {verdict}")
        verdict = "pass" if peak_mb < TARGET_MB else "MISS"
        print(f"target:  under {TARGET_MB:.0f} MB: {verdict}")
        if not args.no_profile:
            _profile(archive, work / "profile-home")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _whole(command: list[str], home: Path, extra: dict[str, str]) -> tuple[float, float, str]:
    """Wall time and peak resident memory (MB) of one child process, on one core."""
    env = {**os.environ, "BACKCOACH_HOME": str(home), **extra}
    env.pop("DATABASE_URL", None)
    if shutil.which("taskset"):
        command = ["taskset", "-c", "0", *command]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, env=env, check=True)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest child so far: the import is the largest.
    return seconds, max(peak_kb, before) / 1024, done.stdout.decode()


def _profile(archive: Path, home: Path) -> None:
    os.environ["BACKCOACH_HOME"] = str(home)
    from backcoach.cli.main import main as backcoach

    profile = cProfile.Profile()
    sink = io.StringIO()
    saved = sys.stdout
    sys.stdout = sink
    try:
        profile.runcall(backcoach, ["runs", "import", str(archive), "--json"])
    finally:
        sys.stdout = saved
    stats = pstats.Stats(profile)
    total = max(stats.total_tt, 1e-9)  # type: ignore[attr-defined]
    groups = {
        "FIT decoding": "activities/fit.py",
        "GPX and TCX decoding": "activities/xml_tracks.py",
        "summaries (distance, climb, moving time)": "domain/running.py",
        "zip, gzip and activities.csv": "activities/strava.py",
        "database (Django, SQLite)": "django/",
    }
    print("\nwhere the time goes (cProfile, in-process; own time by file):")
    own: dict[str, float] = dict.fromkeys(groups, 0.0)
    other = 0.0
    for (file, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        for name, marker in groups.items():
            if marker in file:
                own[name] += tottime
                break
        else:
            other += tottime
    for name, seconds in sorted(own.items(), key=lambda item: -item[1]):
        print(f"  {name:<44} {seconds:6.1f} s  {100 * seconds / total:4.0f}%")
    print(
        f"  {'everything else (zlib, expat, Python)':<44} {other:6.1f} s  {100 * other / total:4.0f}%"
    )


if __name__ == "__main__":
    sys.exit(main())
