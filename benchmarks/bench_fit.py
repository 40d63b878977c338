#!/usr/bin/env python3
"""Benchmark of the FIT decoder (issue 5's speed target).

    python benchmarks/bench_fit.py                 # shared files + a generated 1-hour run
    python benchmarks/bench_fit.py --runs 9 --export 1000

1. Records per second of ``backcoach.adapters.activities.fit`` against the named baseline
   "fitdecode" (``fitdecode.FitReader``, iterating the data messages and reading every field
   value of each record message, its default CRC check on) over the same bytes: every FIT
   activity file in ../shared/data/fit (the broken ones too: each decoder counts the records
   it delivered before the break) plus one generated 1-hour 1 Hz run from tests/fit_writer.py.
   Ours is timed twice: ``summarise_fit`` (what an import does: decode, CRC, summary) and
   ``iter_records`` (a dict per record, the closest match to what fitdecode hands out).
   Medians of --runs runs, in one process pinned to one core where the OS allows it.
   Target: summarise_fit at >= 2x fitdecode's records per second.
2. With --export N: N one-hour 1 Hz FIT runs written in memory (by fit_writer, seeded;
   no activities.csv, zip or gzip: bench_strava_import.py times a whole export),
   each summarised with summarise_fit; the time to write them is printed too.
   fitdecode is not run on it (at its speed 1,000 hours of runs take minutes).

Run it with the project's interpreter (.venv/bin/python) so ``backcoach`` and fitdecode are
importable.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIT_DIR = ROOT.parent / "shared" / "data" / "fit"
sys.path.insert(0, str(ROOT / "tests"))

import fitdecode  # noqa: E402
from fit_writer import synthetic_run, write_fit  # noqa: E402

from backcoach.adapters.activities.fit import iter_records, summarise_fit  # noqa: E402
from backcoach.domain.running import ActivityFileError, NotAnActivityError  # noqa: E402

TARGET_RATIO = 2.0
START = datetime(2024, 5, 1, 6, 30, tzinfo=UTC)


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
            return "pinned to one core"
        except OSError:
            pass
    return "not pinned"


def load_files() -> list[tuple[str, bytes]]:
    files = []
    if FIT_DIR.is_dir():
        for path in sorted(FIT_DIR.glob("*.fit")):
            data = path.read_bytes()
            try:
                summarise_fit(data, path.name)
            except NotAnActivityError:
                continue  # MonitoringFile.fit: not an activity, no records to time
            except ActivityFileError:
                pass
            files.append((path.name, data))
    files.append(("generated 1-hour 1 Hz run", write_fit(synthetic_run(3600), start=START)))
    return files


def ours_summary(data: bytes) -> int:
    try:
        return summarise_fit(data, "bench.fit").points
    except ActivityFileError:
        return 0


def ours_records(data: bytes) -> int:
    count = 0
    try:
        for _record in iter_records(data):
            count += 1
    except ActivityFileError:
        pass
    return count


def baseline_fitdecode(data: bytes) -> int:
    count = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with fitdecode.FitReader(io.BytesIO(data)) as reader:
                for frame in reader:
                    if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "record":
                        count += 1
                        for field in frame.fields:
                            _ = field.value
        except fitdecode.FitError:
            pass
    return count


def timed(decode: Callable[[bytes], int], data: bytes, runs: int) -> tuple[float, int]:
    """(median seconds, records) of decoding data runs times, after one warm-up."""
    records = decode(data)
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        decode(data)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), records


def bench_decoders(runs: int) -> None:
    files = load_files()
    decoders: list[tuple[str, Callable[[bytes], int]]] = [
        ("summarise_fit", ours_summary),
        ("iter_records", ours_records),
        ("fitdecode", baseline_fitdecode),
    ]
    totals = {name: [0.0, 0] for name, _ in decoders}
    print(
        f"FIT decoding: {len(files)} files ({'../shared/data/fit + ' if len(files) > 1 else ''}"
        f"a generated 1-hour run), median of {runs} runs each, {pin_to_one_core()}"
    )
    print(
        f"  {'file':<40} {'records':>8} {'summarise_fit':>14} {'iter_records':>13} {'fitdecode':>10}"
    )
    for name, data in files:
        cells = []
        count = 0
        for decoder_name, decode in decoders:
            seconds, records = timed(decode, data, runs)
            totals[decoder_name][0] += seconds
            totals[decoder_name][1] += records
            count = max(count, records)
            cells.append(f"{seconds * 1000:.2f} ms")
        print(f"  {name:<40} {count:>8,} {cells[0]:>14} {cells[1]:>13} {cells[2]:>10}")
    rates = {name: records / seconds for name, (seconds, records) in totals.items()}
    for name, (seconds, records) in totals.items():
        label = (
            f"baseline {name} {fitdecode.__version__}"
            if name == "fitdecode"
            else f"backcoach {name}"
        )
        print(
            f"  {label:<28} {records:>8,} records in {seconds * 1000:8.1f} ms = {rates[name]:>10,.0f} records/s"
        )
    ratio = rates["summarise_fit"] / rates["fitdecode"]
    verdict = "passes" if ratio >= TARGET_RATIO else "FAILS"
    print(
        f"  summarise_fit vs fitdecode: {ratio:.1f}x the records per second"
        f" (target >= {TARGET_RATIO:.0f}x: {verdict})"
    )
    print(f"  iter_records vs fitdecode: {rates['iter_records'] / rates['fitdecode']:.1f}x")


def bench_export(count: int) -> None:
    start = time.perf_counter()
    files = [
        write_fit(synthetic_run(3600, seed=i), start=START + timedelta(days=i))
        for i in range(count)
    ]
    written = time.perf_counter() - start
    size = sum(len(f) for f in files)
    start = time.perf_counter()
    records = sum(summarise_fit(data, f"{i}.fit").points for i, data in enumerate(files))
    seconds = time.perf_counter() - start
    print(
        f"export: {count:,} one-hour runs ({size / 1e6:.0f} MB) written by fit_writer in"
        f" {written:.1f} s; imported with summarise_fit in {seconds:.1f} s"
        f" = {records / seconds:,.0f} records/s, {count / seconds:.0f} files/s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs per file and decoder")
    parser.add_argument(
        "--export", type=int, default=0, metavar="N", help="also import N generated 1-hour runs"
    )
    args = parser.parse_args()
    bench_decoders(args.runs)
    if args.export:
        bench_export(args.export)
    return 0


if __name__ == "__main__":
    sys.exit(main())
