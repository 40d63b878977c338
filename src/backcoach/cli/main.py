"""Entry point: ``backcoach <command>``.

Kept light on purpose: ``backcoach assess --case FILE --json`` is meant to start in a few
tens of milliseconds, so each command imports what it needs only when it runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from backcoach import __version__
from backcoach.cli.errors import UserError

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
    return parser


def _routine(args: argparse.Namespace) -> int:
    from datetime import date

    from backcoach.cli import routine

    return routine.run(case_path=args.case, start=args.start, quiet=args.quiet, today=date.today())


def _breathe(args: argparse.Namespace) -> int:
    from backcoach.cli import breathe

    return breathe.run(breaths=args.breaths, pace=args.pace)


def _plan(args: argparse.Namespace) -> int:
    from datetime import date

    from backcoach.cli import plan

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
        today=date.today(),
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
            return assess_files.run_batch(args.batch, sys.stdout)
        return assess_files.run_case(args.case, sys.stdout, as_json=args.json, color=_color(args))
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
    except KeyboardInterrupt:
        print("\nbackcoach: stopped.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): not an error worth a traceback.
        return 0
