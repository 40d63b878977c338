"""Entry point: ``backcoach <command>``.

Kept light on purpose: ``backcoach assess --case FILE --json`` is meant to start in a few
tens of milliseconds, so each command imports what it needs only when it runs.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from backcoach import __version__
from backcoach.cli.errors import UserError
from backcoach.storage.errors import StoreError

Handler = Callable[[argparse.Namespace], int]

DESCRIPTION = """\
backcoach helps you answer "why does my back hurt?" It checks for warning signs first,
then explains the likely causes in plain words. It is not a diagnosis: if you are worried,
see a doctor. In an emergency call your local emergency number (999 UK, 112 EU, 911 US).
"""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """argparse's formatter, sized without importing shutil (start-up time matters)."""

    def __init__(self, prog: str) -> None:
        try:
            columns = os.get_terminal_size().columns
        except OSError:
            columns = 80
        super().__init__(prog, width=max(40, min(columns, 100) - 2))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backcoach",
        description=DESCRIPTION,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"backcoach {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    assess = commands.add_parser(
        "assess",
        formatter_class=_Formatter,
        help="check your back pain: danger signs first, then likely causes",
        description="Without --case or --batch, runs the interview in the terminal.",
    )
    source = assess.add_mutually_exclusive_group()
    source.add_argument("--case", metavar="FILE", help="assess one case file (JSON; - for stdin)")
    source.add_argument(
        "--batch", metavar="FILE", help="assess JSON Lines, one case a line (- for stdin)"
    )
    assess.add_argument("--json", action="store_true", help="print machine-readable JSON")
    assess.add_argument(
        "--save", metavar="FILE", help="interview: save your answers as a case file"
    )
    assess.add_argument(
        "--record",
        action="store_true",
        help="with --case: also keep this assessment in your record (for plan and checkin)",
    )
    assess.add_argument(
        "--no-color", action="store_true", help="plain text without colours (also NO_COLOR=1)"
    )
    assess.set_defaults(handler=_assess)

    findings = commands.add_parser(
        "findings", formatter_class=_Formatter, help="list the questions (findings) backcoach knows"
    )
    findings.add_argument("--json", action="store_true", help="print the catalog as JSON")
    findings.set_defaults(handler=_findings)

    conditions = commands.add_parser(
        "conditions",
        formatter_class=_Formatter,
        help="list the causes of back pain backcoach can rank",
    )
    conditions.add_argument("--json", action="store_true", help="print the catalog as JSON")
    conditions.set_defaults(handler=_conditions)
    plan = commands.add_parser(
        "plan",
        formatter_class=_Formatter,
        help="your self-care plan: routine, walking and advice, week by week",
        description="Builds a 6-week self-care plan from your latest assessment (or a case file).",
    )
    plan.add_argument(
        "--case",
        metavar="FILE",
        help="the case file to plan from (default: your latest assessment)",
    )
    plan.add_argument("--json", action="store_true", help="print the whole plan as JSON")
    plan.add_argument("--html", metavar="FILE", help="also write a printable one-page handout")
    plan.add_argument("--ics", metavar="FILE", help="also write the plan as a calendar (.ics)")
    plan.add_argument("--week", type=int, metavar="N", help="show week N (default: this week)")
    plan.add_argument("--start", metavar="DATE", help="first day of the plan (default: today)")
    plan.add_argument(
        "--minutes", type=int, default=15, metavar="N", help="minutes a day for the routine (15)"
    )
    plan.add_argument(
        "--equipment",
        metavar="LIST",
        help="what you have, e.g. mat,chair (default: mat, chair, towel, wall, pillow)",
    )
    plan.add_argument("--time", default="08:00", metavar="HH:MM", help="routine time (08:00)")
    plan.add_argument(
        "--days", default="mon,tue,wed,thu,fri,sat,sun", metavar="LIST", help="routine days"
    )
    plan.add_argument("--timezone", default="UTC", metavar="TZ", help="e.g. Europe/London")
    plan.add_argument(
        "--exercises",
        metavar="LIST",
        help="your own routine, by exercise id (see plan --json), e.g. knee_rolls,bird_dog",
    )
    plan.add_argument(
        "--startback",
        choices=("low", "medium", "high"),
        help="your STarT Back risk group, if the case file does not carry the answers",
    )
    plan.set_defaults(handler=_plan)

    routine = commands.add_parser(
        "routine",
        formatter_class=_Formatter,
        help="do today's exercise routine with timers and counts",
        description="Guides you through today's routine from your plan. Keys: p pause, "
        "s skip, q quit.",
    )
    routine.add_argument(
        "--case",
        metavar="FILE",
        help="the case file your plan comes from (default: your latest assessment)",
    )
    routine.add_argument("--start", metavar="DATE", help="first day of the plan (default: today)")
    routine.add_argument("--quiet", action="store_true", help="no sound cues")
    routine.set_defaults(handler=_routine)

    breathe = commands.add_parser(
        "breathe",
        formatter_class=_Formatter,
        help="slow, calm breathing with a visual pace",
        description="Paced slow breathing: breathe in as the bar grows, out as it shrinks.",
    )
    breathe.add_argument(
        "--breaths", type=int, default=10, metavar="N", help="how many breaths (10)"
    )
    breathe.add_argument(
        "--pace", type=float, default=10.0, metavar="SECONDS", help="seconds per breath (10)"
    )
    breathe.set_defaults(handler=_breathe)
    _add_recovery_commands(commands)
    _add_running_commands(commands)
    return parser


def _add_running_commands(commands: Any) -> None:
    runs = commands.add_parser(
        "runs",
        formatter_class=_Formatter,
        help="import your runs (FIT, GPX, TCX, a Strava export) and see what they do to your back",
    )
    actions = runs.add_subparsers(dest="runs_command", metavar="ACTION")
    importer = actions.add_parser(
        "import",
        formatter_class=_Formatter,
        help="import activity files, folders, or a Strava bulk export (zip or folder)",
        description="Imports .fit, .gpx and .tcx files (also .gz), folders of them, and Strava "
        "bulk exports. Each file is checked on its own: a bad one is reported and the rest "
        "go on. Importing the same activity again does nothing.",
    )
    importer.add_argument("paths", nargs="+", metavar="PATH")
    importer.add_argument("--json", action="store_true", help="print the summary as JSON")
    importer.set_defaults(handler=_runs_import)
    lister = actions.add_parser("list", formatter_class=_Formatter, help="list your activities")
    lister.add_argument("--json", action="store_true", help="one JSON object per activity")
    lister.set_defaults(handler=_runs_list)
    report = actions.add_parser(
        "report",
        formatter_class=_Formatter,
        help="training load, spikes, and your pain after runs",
    )
    report.add_argument("--json", action="store_true", help="print machine-readable JSON")
    report.add_argument(
        "--chart", metavar="FILE", help="weekly distance and pain: FILE.png, FILE.svg or both"
    )
    report.set_defaults(handler=_runs_report)
    runs.set_defaults(handler=lambda args: _help_of(runs))

    why = commands.add_parser(
        "why",
        formatter_class=_Formatter,
        help="why does my back hurt? your answer, from assessment, check-ins and runs",
    )
    why.add_argument("--html", metavar="FILE", help="also write it as a page to keep or share")
    why.set_defaults(handler=_why)


def _why(args: argparse.Namespace) -> int:
    from backcoach.cli import clock, why

    return why.run(html_path=args.html, today=clock.today(), out=sys.stdout)


def _help_of(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def _runs_import(args: argparse.Namespace) -> int:
    from backcoach.cli import runs

    return runs.import_(args.paths, as_json=args.json, out=sys.stdout)


def _runs_list(args: argparse.Namespace) -> int:
    from backcoach.cli import runs

    return runs.list_(as_json=args.json, out=sys.stdout)


def _runs_report(args: argparse.Namespace) -> int:
    from backcoach.cli import runs

    return runs.report(as_json=args.json, chart=args.chart, out=sys.stdout)


def _add_recovery_commands(commands: Any) -> None:
    checkin = commands.add_parser(
        "checkin",
        formatter_class=_Formatter,
        help="today's check-in: pain, sleep, routine, and a quick safety check",
        description="Asks about today (under 30 seconds) and keeps it in your record. Flags "
        "answer questions ahead; with --no-input nothing is asked and safety questions not "
        "given with --screen are recorded as not asked (never as no).",
    )
    checkin.add_argument("--date", metavar="DATE", help="the day (default: today), e.g. 2026-11-30")
    checkin.add_argument("--pain", type=int, metavar="0-10", help="pain now")
    checkin.add_argument("--worst", type=int, metavar="0-10", help="worst pain today")
    checkin.add_argument("--where", metavar="LIST", help="where it hurts, e.g. lower_back,left_leg")
    checkin.add_argument("--sleep-hours", type=float, metavar="H", help="hours slept last night")
    checkin.add_argument("--sleep-quality", type=int, metavar="0-10", help="how well you slept")
    checkin.add_argument("--stress", type=int, metavar="0-10", help="stress today")
    checkin.add_argument("--activity-minutes", type=int, metavar="N", help="minutes of activity")
    done = checkin.add_mutually_exclusive_group()
    done.add_argument(
        "--routine-done", dest="routine_done", action="store_true", default=None,
        help="you did today's exercise routine",
    )  # fmt: skip
    done.add_argument(
        "--routine-not-done", dest="routine_done", action="store_false",
        help="you did not do it today",
    )  # fmt: skip
    checkin.add_argument("--medicines", metavar="LIST", help="pain medicines today, e.g. ibuprofen")
    checkin.add_argument("--note", metavar="TEXT", help="a note for the day")
    checkin.add_argument(
        "--screen", action="append", metavar="ANSWERS",
        help="safety re-screen: none, or ID=yes|no|unknown,... (ids: backcoach findings)",
    )  # fmt: skip
    checkin.add_argument("--peg", metavar="P,E,G", help="the weekly PEG: three numbers 0-10")
    checkin.add_argument(
        "--rmdq",
        metavar="LIST",
        help="the monthly Roland-Morris: the numbers of the statements that describe you "
        "today, e.g. 2,5,9 (none for none)",
    )
    checkin.add_argument(
        "--startback",
        metavar="LIST",
        help="STarT Back again (asked at weeks 2 and 4): its 9 answers in order, items 1-8 "
        "as 0 or 1 (disagree or agree), item 9 from 0 to 4, e.g. 0,1,0,0,1,0,0,1,2",
    )
    checkin.add_argument("--no-input", action="store_true", help="never ask; use the flags only")
    action = checkin.add_mutually_exclusive_group()
    action.add_argument("--edit", action="store_true", help="change the day's check-in")
    action.add_argument("--delete", action="store_true", help="delete the day's check-in")
    checkin.add_argument("--json", action="store_true", help="print the saved check-in as JSON")
    checkin.set_defaults(handler=_checkin)

    progress = commands.add_parser(
        "progress",
        formatter_class=_Formatter,
        help="are you getting better? your pain trend, flare-ups, routine and sleep",
    )
    progress.add_argument("--json", action="store_true", help="print machine-readable JSON")
    progress.add_argument(
        "--chart", metavar="FILE",
        help="also draw charts: FILE.png, FILE.svg, or both when FILE has no suffix",
    )  # fmt: skip
    progress.add_argument("--date", metavar="DATE", help="progress up to this day (default: today)")
    progress.set_defaults(handler=_progress)

    export = commands.add_parser(
        "export",
        formatter_class=_Formatter,
        help="write everything backcoach keeps about you, as JSON or CSV",
        description="Writes your whole record: assessments and answers, plans and their weekly "
        "changes, check-ins and routines done. JSON can be imported again (backcoach import).",
    )
    export.add_argument("file", metavar="FILE", help="the JSON file to write (- for stdout)")
    export.add_argument(
        "--csv", action="store_true", help="write a folder of CSV files (one per table) instead"
    )
    export.set_defaults(handler=_export)

    importer = commands.add_parser(
        "import",
        formatter_class=_Formatter,
        help="restore a JSON export into an empty record",
    )
    importer.add_argument("file", metavar="FILE", help="a file written by backcoach export")
    importer.set_defaults(handler=_import)

    delete = commands.add_parser(
        "delete",
        formatter_class=_Formatter,
        help="erase your record from this computer",
    )
    delete.add_argument("--all", action="store_true", required=True, help="erase everything")
    delete.add_argument("--yes", action="store_true", help="do not ask to confirm")
    delete.set_defaults(handler=_delete)

    backup = commands.add_parser(
        "backup",
        formatter_class=_Formatter,
        help="copy your record safely, even while backcoach is in use",
    )
    backup.add_argument("file", metavar="FILE", help="the copy to write (a SQLite file)")
    backup.set_defaults(handler=_backup)


def _checkin(args: argparse.Namespace) -> int:
    from backcoach.cli import checkin, clock

    return checkin.run(args, today=clock.today(), inp=sys.stdin, out=sys.stdout)


def _progress(args: argparse.Namespace) -> int:
    from backcoach.cli import clock, progress

    return progress.run(args, today=clock.today(), out=sys.stdout)


def _export(args: argparse.Namespace) -> int:
    from backcoach.cli import records

    return records.export(args.file, as_csv=args.csv, out=sys.stdout)


def _import(args: argparse.Namespace) -> int:
    from backcoach.cli import records

    return records.import_(args.file, out=sys.stdout)


def _delete(args: argparse.Namespace) -> int:
    from backcoach.cli import records

    return records.delete_all(confirmed=args.yes, inp=sys.stdin, out=sys.stdout)


def _backup(args: argparse.Namespace) -> int:
    from backcoach.cli import records

    return records.backup(args.file, out=sys.stdout)


def _routine(args: argparse.Namespace) -> int:
    from backcoach.cli import clock, routine

    return routine.run(case_path=args.case, start=args.start, quiet=args.quiet, today=clock.today())


def _breathe(args: argparse.Namespace) -> int:
    from backcoach.cli import breathe

    return breathe.run(breaths=args.breaths, pace=args.pace)


def _plan(args: argparse.Namespace) -> int:
    from backcoach.cli import clock, plan

    return plan.run(
        case_path=args.case,
        out=sys.stdout,
        as_json=args.json,
        html=args.html,
        ics=args.ics,
        start=args.start,
        week=args.week,
        startback=args.startback,
        minutes=args.minutes,
        equipment=args.equipment,
        time_of_day=args.time,
        days=args.days,
        timezone=args.timezone,
        today=clock.today(),
        exercises=args.exercises,
    )


def _assess(args: argparse.Namespace) -> int:
    if args.case is not None or args.batch is not None:
        from backcoach.cli import assess_files

        if args.save:
            raise UserError(
                "--save belongs to the interview; it cannot be used with --case or --batch"
            )
        if args.batch is not None:
            if args.record:
                raise UserError("--record keeps one assessment: use it with --case, not --batch")
            return assess_files.run_batch(args.batch, sys.stdout)
        return assess_files.run_case(
            args.case, sys.stdout, as_json=args.json, color=_color(args), record=args.record
        )
    from backcoach.cli import interview

    return interview.run(save=args.save, as_json=args.json, color=_color(args))


def _findings(args: argparse.Namespace) -> int:
    from backcoach.cli import catalogs

    return catalogs.show_findings(sys.stdout, as_json=args.json)


def _conditions(args: argparse.Namespace) -> int:
    from backcoach.cli import catalogs

    return catalogs.show_conditions(sys.stdout, as_json=args.json)


def _color(args: argparse.Namespace) -> bool:
    if getattr(args, "no_color", False) or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        return handler(args)
    except UserError as exc:
        print(f"backcoach: error: {exc}", file=sys.stderr)
        return exc.exit_status
    except StoreError as exc:
        print(f"backcoach: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbackcoach: stopped.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): not an error worth a traceback.
        return 0


def run() -> NoReturn:
    """The ``backcoach`` command (and ``python -m backcoach``): :func:`main`, then leave at
    once. Python's own shutdown, unloading Django's hundreds of modules one by one, takes
    about 30 ms, a sixth of a check-in (issue 4: under 200 ms), and does nothing a command
    needs: by then the record is committed. Its connections are closed here (so SQLite
    writes its log back into the file) and the output is flushed, then the process ends.
    An exception or ``SystemExit`` from :func:`main` (a usage error, ``--help``) leaves the
    usual way, and so does a process watched by a debugger, a profiler or coverage."""
    _leave(main())


def _leave(code: int) -> NoReturn:
    if sys.gettrace() or sys.getprofile() or "coverage" in sys.modules:
        # A debugger, profiler or coverage is watching: it reports at shutdown.
        raise SystemExit(code)
    if "django.db" in sys.modules:
        from backcoach.storage.settings import close_connections

        try:
            close_connections()
        except Exception:  # the usual shutdown then closes what it can
            raise SystemExit(code) from None
    for stream in (sys.stdout, sys.stderr):
        # A reader gone (`| head`) or a closed stream: nothing more can be said anyway.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
