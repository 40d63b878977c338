"""``backcoach routine``: today's exercise routine, guided step by step in the terminal.

It shows the week's routine, waits for Enter, then walks through each exercise: a
get-ready countdown, the repetitions with a hold timer or a steady count, rests between
sets, and a terminal bell (``\\a``) at the end of each hold and each set (not with
``--quiet``). Keys work without Enter on a terminal: ``p`` pause or go on, ``s`` skip
the exercise, ``q`` quit. When standard input is not a terminal, the same letters work
followed by Enter, and a closed input simply lets the routine run. At the end it prints
a summary and keeps the session in the person's record (the database).

The steps and their timings are pure data from :mod:`backcoach.domain.session`; this
module only shows them, and time comes from an injectable :class:`Clock`.

Environment:

``BACKCOACH_HOME``
    the data folder holding the record (see :mod:`backcoach.adapters.paths`).
``BACKCOACH_FAST_CLOCK=1``
    for tests only: time runs on a fake clock whose ``sleep`` returns at once and moves
    the fake time on, so a 10-minute routine runs in well under a second. Pauses still
    wait for a key.
"""

from __future__ import annotations

import contextlib
import math
import os
import select
import sys
import textwrap
import time
from collections.abc import Sequence
from datetime import date
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Final, Protocol

from backcoach.cli.errors import EXIT_OK, UserError
from backcoach.domain.session import (
    GET_READY,
    REP,
    REST,
    SWITCH_SIDES,
    TIMED,
    SessionLog,
    Step,
    duration_text,
    exercise_steps,
    session_steps,
    summary_text,
    total_seconds,
)

if TYPE_CHECKING:
    from backcoach.domain.plan import Plan, RoutineItem, Week

WIDTH: Final = 78
LINE: Final = 64  # the in-place countdown line is padded to this width
TICK: Final = 0.1  # seconds between key checks and redraws
EXIT_STOPPED: Final = 130  # Ctrl-C, as the shell reports it
EXIT_NOT_RECORDED: Final = 1

FAST_CLOCK_ENV: Final = "BACKCOACH_FAST_CLOCK"
NO_ROUTINE_WAITING: Final = "No exercise routine for now: a clinician should see you first."
KEYS_HELP: Final = "Keys: p pause, s skip this exercise, q quit."

_BOLD = "\033[1m"
_RESET = "\033[0m"

# What a step ended with.
DONE: Final = "done"
SKIP: Final = "skip"
QUIT: Final = "quit"


# --- time -------------------------------------------------------------------------------------


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


class FastClock:
    """A fake clock for tests: sleeping moves the time on and returns at once."""

    def __init__(self, start: float = 0.0) -> None:
        self.time = start

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.time += max(0.0, seconds)


def make_clock() -> Clock:
    """The real clock, or the fast one when ``BACKCOACH_FAST_CLOCK=1`` (tests only)."""
    if os.environ.get(FAST_CLOCK_ENV, "") not in ("", "0"):
        return FastClock()
    return RealClock()


# --- keys -------------------------------------------------------------------------------------


class Keys:
    """Key presses from standard input, as a context manager.

    On a terminal, keys arrive without Enter (cbreak mode: no echo, no line editing,
    Ctrl-C still interrupts), and leaving the ``with`` block always restores the
    terminal's mode, also after Ctrl-C or an error. Otherwise the input is read as it
    comes (typed lines); at its end no more keys arrive. Letters are lower-cased; Enter
    is ``"\\n"``; Ctrl-D on a terminal reads as ``"q"``.
    """

    def __init__(self, stream: IO[str] | None = None) -> None:
        stream = sys.stdin if stream is None else stream
        self._fd: int | None = None
        try:
            if stream is not None and not stream.closed:
                self._fd = stream.fileno()
        except (AttributeError, OSError, ValueError):
            self._fd = None
        self.is_tty = self._fd is not None and os.isatty(self._fd)
        self._saved: list[Any] | None = None
        self._pending: list[str] = []
        self._closed = self._fd is None

    def __enter__(self) -> Keys:
        if self.is_tty and self._fd is not None:
            try:
                import termios

                saved = termios.tcgetattr(self._fd)
                mode = [*saved[:6], list(saved[6])]
                mode[3] &= ~(termios.ECHO | termios.ICANON)
                mode[6][termios.VMIN] = 1
                mode[6][termios.VTIME] = 0
                # TCSANOW, not TCSAFLUSH: keys typed ahead are kept.
                termios.tcsetattr(self._fd, termios.TCSANOW, mode)
                self._saved = saved
            except (ImportError, OSError):
                self.is_tty = False  # no terminal control here: read typed lines instead
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.restore()

    def restore(self) -> None:
        if self._saved is not None and self._fd is not None:
            import termios

            with contextlib.suppress(OSError):  # the terminal may have gone away
                termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
            self._saved = None

    def poll(self) -> str | None:
        """A key if one was pressed, else None, without waiting."""
        return self._next(0.0)

    def wait(self) -> str | None:
        """Wait for a key; None once the input has ended."""
        return self._next(None)

    def _next(self, timeout: float | None) -> str | None:
        if not self._pending and not self._closed:
            self._read(timeout)
        return self._pending.pop(0) if self._pending else None

    def _read(self, timeout: float | None) -> None:
        assert self._fd is not None
        try:
            ready, _, _ = select.select([self._fd], [], [], timeout)
            if not ready:
                return
            data = os.read(self._fd, 256)
        except OSError:
            data = b""
        if not data:
            self._closed = True
            return
        for char in data.decode("utf-8", errors="ignore").lower():
            if char == "\x04" and self.is_tty:
                char = "q"
            self._pending.append("\n" if char == "\r" else char)


# --- the guide --------------------------------------------------------------------------------


class Coach:
    """Shows one step at a time on ``out``, with a countdown line updated in place."""

    def __init__(self, out: IO[str], keys: Keys, clock: Clock, *, quiet: bool, color: bool) -> None:
        self.out, self.keys, self.clock = out, keys, clock
        self.quiet, self.color = quiet, color
        self.paused = 0.0  # seconds spent paused, not counted as exercise time
        self._shown = ""

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def para(self, text: str, indent: str = "", hanging: str | None = None) -> None:
        rest = indent if hanging is None else hanging
        self.say(textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=rest))

    def bold(self, text: str) -> str:
        return f"{_BOLD}{text}{_RESET}" if self.color else text

    def line(self, text: str) -> None:
        """Replace the current line (no newline)."""
        if text != self._shown:
            self.out.write("\r" + text.ljust(LINE))
            self.out.flush()
            self._shown = text

    def end_line(self, text: str) -> None:
        self.line(text)
        self.out.write("\n")
        self.out.flush()
        self._shown = ""

    def bell(self) -> None:
        if not self.quiet:
            self.out.write("\a")
            self.out.flush()

    def header(self, number: int, count: int, item: RoutineItem) -> None:
        exercise = item.exercise
        steps = exercise_steps(item.dose)
        self.say()
        self.say("-" * WIDTH)
        self.say(f"EXERCISE {number} OF {count}, about {duration_text(total_seconds(steps))}")
        self.say(self.bold(exercise.name.upper()))
        self.say(self.bold("=" * len(exercise.name)))
        self.para(f"Today: {today_text(item)}.")
        for n, text in enumerate(exercise.steps, start=1):
            self.para(text, f"  {n}. ", "     ")
        self.para(exercise.stop_if)
        self.say(KEYS_HELP)
        self.say()

    def run_step(self, step: Step) -> str:
        """Count the step down; DONE, SKIP or QUIT."""
        end = self.clock.now() + step.seconds
        while True:
            key = self.keys.poll()
            if key == "p":
                started = self.clock.now()
                outcome = self.pause()
                waited = self.clock.now() - started
                self.paused += waited
                end += waited
                if outcome != DONE:
                    return outcome
            elif key in ("s", "q"):
                outcome = SKIP if key == "s" else QUIT
                self.end_line("  Skipped." if outcome == SKIP else "  Stopped.")
                return outcome
            left = end - self.clock.now()
            if left <= 0:
                break
            self.line(step_text(step, left))
            self.clock.sleep(min(TICK, left))
        if step.bell:
            self.bell()
        if step.kind != REP or step.ends_set:
            self.end_line(finished_text(step))
        return DONE

    def pause(self) -> str:
        """Wait for a key: p (or Enter) goes on; s and q as usual."""
        shown = self._shown
        self.line("  Paused. Press p to go on (s skip, q quit).")
        while True:
            key = self.keys.wait()
            if key in (None, "p", "\n", " "):
                self.line(shown)
                return DONE
            if key in ("s", "q"):
                self.end_line("  Skipped." if key == "s" else "  Stopped.")
                return SKIP if key == "s" else QUIT


def _counts(step: Step) -> str:
    parts = []
    if step.sides:
        parts.append(f"Side {step.side} of {step.sides}")
    if step.sets > 1:
        parts.append(f"Set {step.set} of {step.sets}")
    if step.reps > 1:
        parts.append(f"Rep {step.rep} of {step.reps}")
    return "   ".join(parts)


def step_text(step: Step, left: float) -> str:
    """The countdown line for a step with ``left`` seconds to go."""
    secs = max(1, math.ceil(left - 1e-9))
    if step.kind == GET_READY:
        return f"  Get ready... {secs}"
    if step.kind == SWITCH_SIDES:
        return f"  Change to the other side... {secs}"
    if step.kind == REST:
        return f"  Rest... {secs}   (then set {step.set} of {step.sets})"
    if step.kind == TIMED:
        minutes, seconds = divmod(secs, 60)
        counts = _counts(step)
        return f"  {counts + ':   ' if counts else ''}Keep going, {minutes}:{seconds:02d} left"
    counts = _counts(step)
    if step.hold and left <= step.hold:
        what = f"Hold... {secs}"
    elif step.hold:
        what = "Move slowly into position"
    else:
        what = "Move slowly" if step.reps > 1 else f"Move slowly... {secs}"
    return f"  {counts}   {what}" if counts else f"  {what}"


def finished_text(step: Step) -> str:
    if step.kind == GET_READY:
        return "  Get ready... go!"
    if step.kind == SWITCH_SIDES:
        return "  Other side: go!"
    if step.kind == REST:
        return "  Rest over."
    if step.kind == TIMED:
        return "  Time is up. Well done."
    where = [f"side {step.side} of {step.sides}"] if step.sides else []
    if step.sets > 1:
        where.append(f"set {step.set} of {step.sets}")
    done = f"{step.reps} of {step.reps} done" if step.reps > 1 else "done"
    return f"  {', '.join(where).capitalize()}: {done}." if where else f"  {done.capitalize()}."


def today_text(item: RoutineItem) -> str:
    """The dose a guided session does: the low end of a range, once (this session)."""
    from backcoach.domain.exercises import dose_text

    return dose_text(item.dose._replace(reps_max=None, times_per_day=0))


def guide(
    routine: Sequence[RoutineItem],
    out: IO[str],
    keys: Keys,
    clock: Clock,
    *,
    quiet: bool = False,
    color: bool = False,
) -> tuple[SessionLog, bool]:
    """Walk through the routine. Returns the log and whether Ctrl-C stopped it."""
    coach = Coach(out, keys, clock, quiet=quiet, color=color)
    steps = session_steps([item.dose for item in routine])
    log = SessionLog(planned=tuple(item.exercise.id for item in routine))
    started = clock.now()
    interrupted = False
    try:
        for index, item in enumerate(routine):
            coach.header(index + 1, len(routine), item)
            outcome = DONE
            for step in steps:
                if step.item == index:
                    outcome = coach.run_step(step)
                    if outcome != DONE:
                        break
            if outcome == DONE:
                log = log.with_done(item.exercise.id)
            elif outcome == SKIP:
                log = log.with_skipped(item.exercise.id)
            else:
                log = log.with_quit()
                break
    except KeyboardInterrupt:
        coach.end_line("  Stopped.")
        log = log.with_quit()
        interrupted = True
    return log.with_seconds(clock.now() - started - coach.paused), interrupted


# --- recording --------------------------------------------------------------------------------


def session_record(log: SessionLog, *, day: date, plan: Plan, week: Week) -> dict[str, Any]:
    return {
        "kind": "routine",
        "date": day.isoformat(),
        "plan_starts": plan.starts.isoformat(),
        "plan_week": week.number,
        "exercises_planned": list(log.planned),
        "exercises_done": list(log.done),
        "exercises_skipped": list(log.skipped),
        "quit_early": log.quit_early,
        "seconds": log.seconds,
    }


def record_session(record: dict[str, Any]) -> None:
    """Keep the session in the person's record. UserError when it cannot be kept."""
    from backcoach.cli.store import open_user_store
    from backcoach.storage.errors import StoreError

    try:
        open_user_store().add_routine_session(record)
    except StoreError as exc:
        raise UserError(str(exc)) from None


# --- the command ------------------------------------------------------------------------------


def run(case_path: str | None, start: str | None, quiet: bool, today: date) -> int:
    from backcoach.cli.plan import make_plan, plan_source
    from backcoach.domain.preferences import make_preferences

    source = plan_source(case_path, start, today)
    plan = make_plan(source.assessment, make_preferences(), source.starts, None)
    out = sys.stdout
    color = out.isatty() and not os.environ.get("NO_COLOR")
    if plan.kind == "none":
        from backcoach.cli.plan import render_plan

        out.write(render_plan(plan, 1))
        return EXIT_OK
    week = _week(plan, today, source.step)
    if not week.routine:
        if plan.kind == "while_you_wait":
            out.write(NO_ROUTINE_WAITING + "\n\n" + textwrap.fill(_waiting_action(plan), WIDTH))
            out.write("\n")
        else:
            out.write("Your plan has no exercises this week.\n")
        return EXIT_OK
    clock = make_clock()
    with Keys() as keys:
        _intro(out, plan, week, line_input=not keys.is_tty, color=color)
        if not _wait_for_start(keys, out):
            out.write("Stopped before the start. Nothing was recorded.\n")
            return EXIT_OK
        log, interrupted = guide(week.routine, out, keys, clock, quiet=quiet, color=color)
    names = {item.exercise.id: item.exercise.name for item in week.routine}
    out.write("\n" + textwrap.fill(summary_text(log, names), WIDTH) + "\n")
    if log.not_reached:
        out.write(f"Not done: {', '.join(names[e] for e in log.not_reached)}.\n")
    status = EXIT_STOPPED if interrupted else EXIT_OK
    try:
        record_session(session_record(log, day=today, plan=plan, week=week))
    except UserError as exc:
        print(f"backcoach: could not record this session: {exc}", file=sys.stderr)
        return status or EXIT_NOT_RECORDED
    out.write("Recorded in your record (see: backcoach progress).\n")
    out.flush()
    return status


def _week(plan: Plan, today: date, step: int | None = None) -> Week:
    """The dose step the weekly plan changes chose, else this week of the plan; before
    it starts the first, after it ends the last."""
    if step is not None:
        return plan.weeks[min(step, len(plan.weeks)) - 1]
    current = plan.week(today)
    if current is not None:
        return current
    return plan.weeks[0] if today < plan.starts else plan.weeks[-1]


def _intro(out: IO[str], plan: Plan, week: Week, *, line_input: bool, color: bool) -> None:
    minutes = duration_text(total_seconds(session_steps([i.dose for i in week.routine])))
    if plan.kind == "while_you_wait":
        title = "TODAY'S ROUTINE: a gentle one while you wait to be seen"
        out.write(textwrap.fill(_waiting_action(plan), WIDTH) + "\n\n")
    else:
        title = f"TODAY'S ROUTINE: week {week.number} of {len(plan.weeks)}"
    out.write((f"{_BOLD}{title}{_RESET}" if color else title) + f", about {minutes}\n")
    for n, item in enumerate(week.routine, start=1):
        text = f"{n}. {item.exercise.name}: {today_text(item)}."
        out.write(textwrap.fill(text, WIDTH, initial_indent="  ", subsequent_indent="     "))
        out.write("\n")
    out.write(
        "\nNot a diagnosis. Stop anything that makes pain spread down your leg.\n"
        f"{KEYS_HELP}{' Type the letter, then Enter.' if line_input else ''}\n\n"
        "Press Enter to start (q to quit). "
    )
    out.flush()


def _waiting_action(plan: Plan) -> str:
    from backcoach.cli.engine import catalog

    return catalog().advice(plan.profile.level).action


def _wait_for_start(keys: Keys, out: IO[str]) -> bool:
    """Enter (or space, or the end of the input) starts; q does not."""
    while True:
        key = keys.wait()
        if key is None or key in ("\n", " ", "q"):
            out.write("\n")
            out.flush()
            return key != "q"
