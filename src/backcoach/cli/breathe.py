"""``backcoach breathe``: slow, calm breathing, paced by a bar in the terminal.

The bar grows while you breathe in (40% of each breath) and shrinks while you breathe out
(60%), with "Breathe in" / "Breathe out" and a breath counter. ``q`` stops, ``p`` pauses.
The pace is pure data from :mod:`backcoach.domain.session`; time comes from the same
injectable clock as ``backcoach routine`` (``BACKCOACH_FAST_CLOCK=1``, for tests only,
makes it run at once; see :mod:`backcoach.cli.routine`).
"""

from __future__ import annotations

import os
import sys
import textwrap
from typing import IO, Final

from backcoach.cli.errors import EXIT_OK, UserError
from backcoach.cli.routine import LINE, WIDTH, Clock, Keys, make_clock
from backcoach.domain.session import (
    BREATHE_IN,
    MAX_BREATHS,
    MAX_PACE,
    MIN_BREATHS,
    MIN_PACE,
    breath_cue,
    breath_phases,
)

BAR: Final = 30
TICK: Final = 0.05  # redraws a second: about 20, so the bar moves smoothly

_BOLD = "\033[1m"
_RESET = "\033[0m"


def check(breaths: int, pace: float) -> None:
    if not MIN_BREATHS <= breaths <= MAX_BREATHS:
        raise UserError(
            f"--breaths: choose from {MIN_BREATHS} to {MAX_BREATHS} breaths (got {breaths})"
        )
    if not MIN_PACE <= pace <= MAX_PACE:  # also rejects nan
        raise UserError(
            f"--pace: choose from {MIN_PACE:g} to {MAX_PACE:g} seconds a breath (got {pace:g})"
        )


def _seconds(value: float) -> str:
    return f"{round(value, 1):g}"


def cue_line(number: int, breaths: int, phase: str, bar: int) -> str:
    label = "Breathe in " if phase == BREATHE_IN else "Breathe out"
    counter = f"Breath {number} of {breaths}".ljust(len(f"Breath {breaths} of {breaths}"))
    return f"  {counter}   {label}   [{'#' * bar}{' ' * (BAR - bar)}]"


def pace_breaths(out: IO[str], keys: Keys, clock: Clock, breaths: int, pace: float) -> int:
    """Pace ``breaths`` breaths; returns how many were finished (q stops early)."""
    total = breaths * pace
    start = clock.now()
    paused = 0.0
    shown = ""
    while True:
        key = keys.poll()
        if key == "q":
            break
        if key == "p":
            out.write("\r" + "  Paused. Press p to go on (q to stop).".ljust(LINE))
            out.flush()
            shown = ""
            began = clock.now()
            key = keys.wait()
            while key not in (None, "p", "q", "\n", " "):
                key = keys.wait()
            paused += clock.now() - began
            if key == "q":
                break
        offset = clock.now() - start - paused
        if offset >= total:
            out.write("\r" + cue_line(breaths, breaths, "out", 0).ljust(LINE) + "\n")
            out.flush()
            return breaths
        cue = breath_cue(pace, offset, BAR)
        text = cue_line(cue.breath + 1, breaths, cue.phase, cue.bar)
        if text != shown:
            out.write("\r" + text.ljust(LINE))
            out.flush()
            shown = text
        clock.sleep(min(TICK, total - offset))
    out.write("\n")
    out.flush()
    return min(breaths, int((clock.now() - start - paused) // pace))


def run(breaths: int, pace: float) -> int:
    check(breaths, pace)
    out = sys.stdout
    color = out.isatty() and not os.environ.get("NO_COLOR")
    breathe_in, breathe_out = breath_phases(pace)
    title = f"{breaths} SLOW BREATH{'S' if breaths != 1 else ''}"
    out.write((f"{_BOLD}{title}{_RESET}" if color else title) + "\n")
    out.write(
        textwrap.fill(
            "Sit or lie comfortably and let your shoulders drop. Breathe in gently through "
            "your nose while the bar grows, and out slowly while it shrinks: "
            f"in for {_seconds(breathe_in.seconds)} seconds, "
            f"out for {_seconds(breathe_out.seconds)}.",
            WIDTH,
        )
        + "\n"
    )
    with Keys() as keys:
        out.write(f"Press q to stop, p to pause.{' Then Enter.' if not keys.is_tty else ''}\n\n")
        out.flush()
        done = pace_breaths(out, keys, make_clock(), breaths, pace)
    if done == breaths:
        out.write(f"\nWell done: {breaths} slow breath{'s' if breaths != 1 else ''}. ")
        out.write("Notice how your body feels now.\n")
    else:
        out.write(f"\nStopped after {done} of {breaths} breaths. That still helps.\n")
    out.flush()
    return EXIT_OK
