#!/usr/bin/env python3
"""Benchmark for the GPX reader (issue 5's speed target).

    python benchmarks/bench_gpx.py                  # default runs
    python benchmarks/bench_gpx.py --runs 21 --hours 2

Points per second of ours (``backcoach.adapters.activities.xml_tracks.summarise_gpx``:
expat with callbacks, straight into a SummaryBuilder, the whole summary computed) against
the named baseline "gpxpy" (``gpxpy.parse(text)``, then every track point visited: the
parse alone, no totals computed), on the same bytes:

- every GPX file in ../shared/data/gpx (those with no track point are timed per file but
  count no points), and
- a generated run of N hours at 1 Hz (seeded) as a GPS watch exports it: position,
  elevation, time, and Garmin TrackPointExtension heart rate and cadence.

For context only (no target), the last column compares with what the same summary costs
with gpxpy: the parse plus ``length_2d()``, ``get_uphill_downhill()``, ``get_duration()``
and ``get_moving_data()`` ("gpxpy+totals").

Each measurement is the median of ``--runs`` runs (ours and gpxpy alternate, so drift in
the machine's speed falls on both); small files are repeated inside a run until it takes
about 20 ms. The process is pinned to one core where the OS allows it.
Target: ours >= 3x gpxpy's points per second, on the shared files together and on the
generated run.

Run it with the project's interpreter (.venv/bin/python): it needs ``backcoach`` and
gpxpy (a dev dependency) importable.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import gpxpy

from backcoach.adapters.activities.xml_tracks import summarise_gpx
from backcoach.domain.running import NotAnActivityError

TARGET_RATIO = 3.0
SHARED_GPX = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "gpx"
MIN_RUN_SECONDS = 0.02


def generate_run(hours: float, seed: int = 5) -> bytes:
    """A 1 Hz run exported the way Garmin and Strava write GPX 1.1 (seeded)."""
    rng = random.Random(seed)
    points = round(hours * 3600)
    start = datetime(2024, 5, 1, 6, 0, 0, tzinfo=UTC)
    lat, lon, ele, heading = 46.05, 14.50, 300.0, 0.0
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gpx creator="Garmin Connect" version="1.1" xmlns="http://www.topografix.com/GPX/1/1"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"'
        ' xsi:schemaLocation="http://www.topografix.com/GPX/1/1'
        ' http://www.topografix.com/GPX/1/1/gpx.xsd">',
        "  <metadata>",
        f"    <time>{start:%Y-%m-%dT%H:%M:%S}.000Z</time>",
        "  </metadata>",
        "  <trk>",
        "    <name>Morning Run</name>",
        "    <type>running</type>",
        "    <trkseg>",
    ]
    for i in range(points):
        heading += rng.gauss(0, 0.05)
        step = rng.uniform(2.5, 3.5)  # metres per second
        lat += step * math.cos(heading) / 111_195
        lon += step * math.sin(heading) / (111_195 * math.cos(math.radians(lat)))
        ele += rng.gauss(0, 0.3)
        when = start + timedelta(seconds=i)
        lines += [
            f'      <trkpt lat="{lat:.7f}" lon="{lon:.7f}">',
            f"        <ele>{ele:.1f}</ele>",
            f"        <time>{when:%Y-%m-%dT%H:%M:%S}.000Z</time>",
            "        <extensions>",
            "          <gpxtpx:TrackPointExtension>",
            f"            <gpxtpx:hr>{rng.randint(135, 175)}</gpxtpx:hr>",
            f"            <gpxtpx:cad>{rng.randint(84, 92)}</gpxtpx:cad>",
            "          </gpxtpx:TrackPointExtension>",
            "        </extensions>",
            "      </trkpt>",
        ]
    lines += ["    </trkseg>", "  </trk>", "</gpx>", ""]
    return "\n".join(lines).encode()


def ours(data: bytes) -> int:
    try:
        return summarise_gpx(data, "bench").points
    except NotAnActivityError:
        return 0


def baseline_text(data: bytes) -> str:
    # gpxpy takes text, and fails on a byte-order mark or blank space before <?xml: both
    # are removed here, outside the timing (ours does it inside).
    return data.decode("utf-8-sig").lstrip()


def baseline(text: str) -> int:
    return sum(1 for _ in gpxpy.parse(text).walk(only_points=True))


def baseline_totals(text: str) -> int:
    gpx = gpxpy.parse(text)
    gpx.length_2d()
    gpx.get_uphill_downhill()
    gpx.get_duration()
    gpx.get_moving_data()
    return sum(1 for _ in gpx.walk(only_points=True))


def repeats_for(call: Callable[[], object]) -> int:
    start = time.perf_counter()
    call()
    once = max(time.perf_counter() - start, 1e-6)
    return max(1, math.ceil(MIN_RUN_SECONDS / once))


def timed(call: Callable[[], object], repeats: int) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        call()
    return (time.perf_counter() - start) / repeats


def measure(data: bytes, runs: int) -> tuple[int, float, float, float]:
    """(points, our median seconds, gpxpy's, gpxpy+totals') for one file."""
    text = baseline_text(data)
    points = ours(data)
    if baseline(text) != points:
        raise SystemExit(f"point counts differ: ours {points}, gpxpy {baseline(text)}")

    def run_ours() -> int:
        return ours(data)

    def run_baseline() -> int:
        return baseline(text)

    def run_totals() -> int:
        return baseline_totals(text)

    calls = (run_ours, run_baseline, run_totals)
    repeats = [repeats_for(call) for call in calls]
    seconds: list[list[float]] = [[], [], []]
    for i in range(runs):
        order = (0, 1, 2) if i % 2 else (2, 1, 0)  # alternate, so drift falls on all
        for k in order:
            seconds[k].append(timed(calls[k], repeats[k]))
    ours_t, base_t, totals_t = (statistics.median(s) for s in seconds)
    return points, ours_t, base_t, totals_t


def rate(points: int, seconds: float) -> str:
    return f"{points / seconds:>12,.0f}" if points else f"{'-':>12}"


def row(label: str, points: int, ours_t: float, base_t: float, totals_t: float) -> None:
    print(
        f"{label:<34}{points:>8,}{rate(points, ours_t)}  {rate(points, base_t)}"
        f"{base_t / ours_t:>7.2f}x{totals_t / ours_t:>16.2f}x"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15, help="runs per file (median)")
    parser.add_argument("--hours", type=float, default=1.0, help="length of the generated run")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    print(
        f"GPX reading: ours (expat, summarise_gpx) vs baseline gpxpy {gpxpy.__version__}"
        " (gpxpy.parse(text), then every track point)"
    )
    print(f"medians of {args.runs} runs, Python {sys.version.split()[0]}")
    print(
        f"{'file':<34}{'points':>8}{'ours pts/s':>14}{'gpxpy pts/s':>14}{'ratio':>8}"
        f"{'vs gpxpy+totals':>17}"
    )
    files = sorted(SHARED_GPX.glob("*.gpx")) if SHARED_GPX.is_dir() else []
    if not files:
        print(f"  ({SHARED_GPX} is not present: shared files skipped)")
    total_points = 0
    total_ours = total_base = total_totals = 0.0
    for path in files:
        points, ours_t, base_t, totals_t = measure(path.read_bytes(), args.runs)
        total_points += points
        total_ours += ours_t
        total_base += base_t
        total_totals += totals_t
        row(path.name, points, ours_t, base_t, totals_t)
    ratios: list[float] = []
    if files:
        ratios.append(total_base / total_ours)
        row("shared files together", total_points, total_ours, total_base, total_totals)
    points, ours_t, base_t, totals_t = measure(generate_run(args.hours), args.runs)
    ratios.append(base_t / ours_t)
    row(f"generated {args.hours:g} h at 1 Hz, hr+cad (seed 5)", points, ours_t, base_t, totals_t)
    worst = min(ratios)
    verdict = "passes" if worst >= TARGET_RATIO else "FAILS"
    print(
        f"target: ours >= {TARGET_RATIO:g}x gpxpy's points per second; worst {worst:.2f}x: {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
