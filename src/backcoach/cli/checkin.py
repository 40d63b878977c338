"""``backcoach checkin``: today's check-in, asked in the terminal or given as flags.

The interactive check-in asks pain now (the only required answer), then the optional
rest (Enter skips each), then the safety re-screen as one grouped question ("any of
these since your last check-in?"): "no" is a "no" to each, "yes" or "don't know" asks them
one by one. Weekly it adds the PEG, and at weeks 2 and 4 STarT Back. ``--no-input`` never
prompts: re-screen questions not given with ``--screen`` are recorded as not asked, never
as "no".
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import IO, Any, TypeVar

from backcoach.cli.errors import EXIT_OK, UserError
from backcoach.domain.model import ABSENT, PRESENT, UNKNOWN
from backcoach.domain.recovery import AREAS, NOT_ASKED, CheckIn, CheckInError

T = TypeVar("T")
EXIT_DUPLICATE = 1

SCREEN_WORDS = {"yes": PRESENT, "no": ABSENT, "unknown": UNKNOWN, "?": UNKNOWN}


# --- parsing flags and answers ---------------------------------------------------------


def parse_day(text: str | None, today: date) -> date:
    """``--date``: a date, or "today" (the default)."""
    from backcoach.cli.clock import parse_date

    if text is None or text.strip().lower() == "today":
        return today
    return parse_date(text, "--date")


def parse_areas(text: str) -> tuple[str, ...]:
    """ "lower back, left leg" -> ("lower_back", "left_leg"); unknown names are refused."""
    areas = []
    for part in text.split(","):
        name = "_".join(part.strip().lower().replace("-", " ").split())
        if not name:
            continue
        if name not in AREAS:
            raise ValueError(f"unknown area {part.strip()!r} (use: {', '.join(AREAS)})")
        areas.append(name)
    return tuple(dict.fromkeys(areas))


def parse_list(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def parse_screen(texts: Sequence[str], questions: Sequence[str]) -> dict[str, str]:
    """``--screen none`` (all "no"), or ``ID=yes|no|unknown`` items, comma-separated."""
    answers: dict[str, str] = {}
    for text in texts:
        for part in parse_list(text):
            if part.lower() == "none":
                answers.update({fid: ABSENT for fid in questions if fid not in answers})
                continue
            fid, _, word = part.partition("=")
            fid = fid.strip()
            if fid not in questions:
                raise UserError(
                    f"--screen: {fid!r} is not a re-screen question (use: {', '.join(questions)})"
                )
            if word.strip().lower() not in SCREEN_WORDS:
                raise UserError(f"--screen: {fid}: answer yes, no or unknown (got {word!r})")
            answers[fid] = SCREEN_WORDS[word.strip().lower()]
    return answers


def parse_peg(text: str) -> tuple[int, int, int]:
    parts = parse_list(text)
    if len(parts) != 3 or not all(p.isdigit() and 0 <= int(p) <= 10 for p in parts):
        raise UserError("--peg: give three numbers from 0 to 10, like 5,4,6")
    return int(parts[0]), int(parts[1]), int(parts[2])


def parse_rmdq(text: str) -> tuple[tuple[str, int], ...]:
    """``2,5,9`` (the statements ticked) or ``none``: all 24 answers, as rmdq1..rmdq24."""
    from backcoach.domain.questionnaires import RMDQ_ITEMS

    ticked: set[int] = set()
    if text.strip().lower() != "none":
        for part in parse_list(text):
            if not part.isdigit() or not 1 <= int(part) <= len(RMDQ_ITEMS):
                raise UserError(
                    f"--rmdq: give statement numbers from 1 to {len(RMDQ_ITEMS)}, or none"
                )
            ticked.add(int(part))
    return tuple(sorted((item, int(n in ticked)) for n, item in enumerate(RMDQ_ITEMS, start=1)))


STARTBACK_HINT = (
    "--startback: give the 9 answers in order, items 1 to 8 as 0 (disagree) or 1 (agree) "
    "and item 9 from 0 (not at all) to 4 (extremely), like 0,1,0,0,1,0,0,1,2"
)


def parse_startback(text: str) -> tuple[tuple[str, int], ...]:
    """``0,1,0,0,1,0,0,1,2``: STarT Back's 9 answers in order, as sb1..sb9."""
    from backcoach.domain.questionnaires import EXPECTED_ITEMS, STARTBACK_ITEMS

    parts = parse_list(text)
    allowed = EXPECTED_ITEMS["startback"]
    if len(parts) != len(STARTBACK_ITEMS) or not all(p.isdigit() for p in parts):
        raise UserError(STARTBACK_HINT)
    answers = tuple(zip(STARTBACK_ITEMS, map(int, parts), strict=True))
    if any(value not in allowed[item] for item, value in answers):
        raise UserError(STARTBACK_HINT)
    return answers


def _whole(low: int, high: int, hint: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        word = text.strip().removesuffix("/10").strip()
        if not word.isdigit() or not low <= int(word) <= high:
            raise ValueError(hint)
        return int(word)

    return parse


def _hours(text: str) -> float:
    word = text.strip().lower().removesuffix("hours").removesuffix("h").strip().replace(",", ".")
    try:
        hours = float(word)
    except ValueError:
        raise ValueError("Please type the hours you slept, like 7 or 6.5.") from None
    if not 0 <= hours <= 24:
        raise ValueError("Please type the hours you slept, from 0 to 24.")
    return hours


def _yes_no(text: str) -> bool:
    """y or n, in the words the interview understands (yes, ja, oui, nope, ...)."""
    answer = _screen_word(text)
    if answer == UNKNOWN:
        raise ValueError("Please type y (yes) or n (no).")
    return answer == PRESENT


# --- the conversation --------------------------------------------------------------------


class Asker:
    """Questions on ``out``, answers from ``inp``; EOF ends the check-in unsaved."""

    def __init__(self, inp: IO[str], out: IO[str]) -> None:
        self.inp, self.out = inp, out

    def say(self, text: str = "") -> None:
        from backcoach.cli.render import wrap

        self.out.write(wrap(text) if text else "\n")
        self.out.flush()

    def ask(self, prompt: str, parse: Callable[[str], T], *, optional: bool = True) -> T | None:
        while True:
            self.out.write(prompt)
            self.out.flush()
            line = self.inp.readline()
            if not line:
                raise EOFError
            if optional and not line.strip():
                return None
            try:
                return parse(line)
            except ValueError as exc:
                self.say(f"  {exc}")


def ask_checkin(
    asker: Asker,
    given: dict[str, Any],
    *,
    day: date,
    questions: Sequence[tuple[str, str, str]],
    routine_logged: bool,
) -> dict[str, Any]:
    """Ask what the flags did not give. Returns the check-in's fields."""
    values = dict(given)
    asker.say(f"Check-in for {day:%A %d %B %Y}. Press Enter to skip any question but the first.")
    pain_hint = "Please type a whole number from 0 (no pain) to 10 (worst pain)."
    if values.get("pain") is None:
        values["pain"] = asker.ask("Pain now, 0 to 10 > ", _whole(0, 10, pain_hint), optional=False)
    prompts: list[tuple[str, str, Callable[[str], Any]]] = [
        ("pain_worst", "Worst pain today, 0 to 10 > ", _whole(0, 10, pain_hint)),
        ("areas", "Where does it hurt? (e.g. lower back, left leg) > ", parse_areas),
        ("sleep_hours", "Hours of sleep last night > ", _hours),
        (
            "sleep_quality",
            "How well did you sleep? 0 (very badly) to 10 (very well) > ",
            _whole(0, 10, "Please type a number from 0 to 10."),
        ),
        (
            "stress",
            "Stress today, 0 (none) to 10 (worst) > ",
            _whole(0, 10, "Please type a number from 0 to 10."),
        ),
        (
            "activity_minutes",
            "Minutes of walking or other activity today > ",
            _whole(0, 1440, "Please type minutes, like 30."),
        ),
    ]
    if not routine_logged:
        prompts.append(("routine_done", "Did you do your exercise routine today? y/n > ", _yes_no))
    prompts += [
        ("medicines", "Medicines for the pain today (e.g. ibuprofen) > ", parse_list),
        ("note", "Anything else to note? > ", str.strip),
    ]
    for field, prompt, parse in prompts:
        if values.get(field) in (None, (), ""):
            answer = asker.ask(prompt, parse)
            if answer is not None:
                values[field] = answer
    values["screen"] = ask_screen(asker, dict(values.get("screen", {})), questions)
    return values


def ask_screen(
    asker: Asker, given: dict[str, str], questions: Sequence[tuple[str, str, str]]
) -> dict[str, str]:
    """The safety re-screen as one grouped question, then one by one when needed."""
    left = [(fid, question, label) for fid, question, label in questions if fid not in given]
    if not left:
        return given
    asker.say()
    asker.say("SAFETY CHECK. Since your back pain started, have you had any of these?")
    for _, _, label in left:
        asker.say(f"  - {label}")
    word = asker.ask("Any of these? y (yes) / n (none of these) / ? (not sure) > ", _screen_word)
    answers = dict(given)
    if word == ABSENT:
        answers.update({fid: ABSENT for fid, _, _ in left})
        return answers
    asker.say("Please answer each one: y (yes), n (no) or ? (not sure).")
    for fid, question, _ in left:
        answer = asker.ask(f"{question} > ", _screen_word, optional=False)
        answers[fid] = answer or UNKNOWN
    return answers


def _screen_word(text: str) -> str:
    """The interview's yes / no / don't know, plus "none" (of these) for the grouped
    safety question."""
    from backcoach.cli.interview import parse_yes_no

    if text.strip().lower() == "none":
        return ABSENT
    answer = parse_yes_no(text)  # InvalidAnswerError (a ValueError) names the choices
    if answer is None:  # "h": there is no help text for a grouped question
        raise ValueError("Please type y (yes), n (no) or ? (not sure).")
    return answer


def ask_peg(asker: Asker) -> tuple[int, int, int] | None:
    from backcoach.content.questionnaires import load_questionnaire

    peg = load_questionnaire("peg")
    asker.say()
    asker.say(f"THIS WEEK'S 3 QUESTIONS ({peg.name}). Enter skips them.")
    values: list[int] = []
    for item in peg.items:
        asker.say(item.text)
        low, high = min(item.values), max(item.values)
        answer = asker.ask(
            f"  {low} to {high} > ",
            _whole(low, high, f"Please type a number from {low} to {high}."),
        )
        if answer is None:
            asker.say("Skipped: the weekly questions count only when all three are answered.")
            return None
        values.append(answer)
    return values[0], values[1], values[2]


# --- the command -------------------------------------------------------------------------


def run(args: Any, *, today: date, inp: IO[str], out: IO[str]) -> int:
    from backcoach.cli.store import open_user_store
    from backcoach.content.recovery import load_recovery_rules
    from backcoach.services.recovery import rescreen_questions

    rules = load_recovery_rules()
    day = parse_day(args.date, today)
    store = open_user_store()
    if args.delete:
        return _delete(store, day, out)
    given = _from_flags(args, list(rules.rescreen))
    existing = store.checkin(day)
    interactive = not args.no_input
    if interactive and (sys.stdin is None or sys.stdin.closed):
        raise UserError("the check-in needs input: standard input is closed (or use --no-input)")
    ui = sys.stderr if args.json else out
    if existing is not None and not args.edit:
        if not interactive:
            print(
                f"backcoach: there is already a check-in for {day}. Use --edit to change it "
                "or --delete to remove it.",
                file=sys.stderr,
            )
            return EXIT_DUPLICATE
        asker = Asker(inp, ui)
        try:
            change = asker.ask(f"You checked in for {day} already. Change it? y/n > ", _yes_no)
        except EOFError:
            change = False
        if not change:
            ui.write("Nothing was changed.\n")
            return EXIT_DUPLICATE
    if args.edit and existing is None:
        raise UserError(f"--edit: there is no check-in for {day} to change")
    routine_logged = day in store.routine_days()
    if interactive:
        from backcoach.cli.engine import catalog

        asker = Asker(inp, ui)
        questions = rescreen_questions(catalog(), rules)
        try:
            values = ask_checkin(
                asker, given, day=day, questions=questions, routine_logged=routine_logged
            )
            values.update(_questionnaires(asker, store, day, rules, given))
        except EOFError:
            ui.write("\nStopped. Nothing was saved.\n")
            return 1
    else:
        values = given
        values["screen"] = {
            fid: values.get("screen", {}).get(fid, NOT_ASKED) for fid in rules.rescreen
        }
    if routine_logged and values.get("routine_done") is None:
        values["routine_done"] = True
    # A change keeps the answers not given again (Enter skips a question).
    checkin = _build(day, values, existing)
    return _save(store, checkin, today=today, edit=existing is not None,
                 as_json=args.json, out=out, ui=ui, rules=rules)  # fmt: skip


def _from_flags(args: Any, questions: Sequence[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    simple = {
        "pain": args.pain,
        "pain_worst": args.worst,
        "sleep_hours": args.sleep_hours,
        "sleep_quality": args.sleep_quality,
        "stress": args.stress,
        "activity_minutes": args.activity_minutes,
        "routine_done": args.routine_done,
        "note": args.note,
    }
    values.update({k: v for k, v in simple.items() if v is not None})
    if args.where is not None:
        try:
            values["areas"] = parse_areas(args.where)
        except ValueError as exc:
            raise UserError(f"--where: {exc}") from None
    if args.medicines is not None:
        values["medicines"] = parse_list(args.medicines)
    if args.screen:
        values["screen"] = parse_screen(args.screen, questions)
    if args.peg is not None:
        values["peg"] = parse_peg(args.peg)
    if args.rmdq is not None:
        values["rmdq"] = parse_rmdq(args.rmdq)
    if args.startback is not None:
        values["startback"] = parse_startback(args.startback)
    return values


def _questionnaires(
    asker: Asker, store: Any, day: date, rules: Any, given: Mapping[str, Any]
) -> dict[str, Any]:
    from backcoach.services.recovery import due

    now_due = due(store, today=day, rules=rules)
    extra: dict[str, Any] = {}
    if now_due.peg and "peg" not in given:
        peg = ask_peg(asker)
        if peg is not None:
            extra["peg"] = peg
    if now_due.rmdq and "rmdq" not in given:
        from backcoach.cli.interview import Terminal, _ask_questionnaire
        from backcoach.content.questionnaires import load_questionnaire

        asker.say()
        asker.say(
            "This month's Roland-Morris questions (24 quick ticks, about 2 minutes) show how "
            "much your back limits your day."
        )
        if asker.ask("Answer them now? y/n (Enter: later) > ", _yes_no):
            term = Terminal(asker.inp, asker.out, color=False)
            rmdq = _ask_questionnaire(term, load_questionnaire("rmdq"))
            if rmdq is not None:
                extra["rmdq"] = tuple(sorted(rmdq.answers_map.items()))
    if now_due.startback_week is not None and "startback" not in given:
        from backcoach.cli.interview import Terminal, _ask_questionnaire
        from backcoach.content.questionnaires import load_questionnaire

        asker.say()
        asker.say(f"Week {now_due.startback_week}: STarT Back again, to see how you are doing.")
        term = Terminal(asker.inp, asker.out, color=False)
        result = _ask_questionnaire(term, load_questionnaire("startback"))
        if result is not None:
            extra["startback"] = tuple(sorted(result.answers_map.items()))
    return extra


_FLAG_OF = {
    "pain": "--pain",
    "pain_worst": "--worst",
    "areas": "--where",
    "sleep_hours": "--sleep-hours",
    "sleep_quality": "--sleep-quality",
    "stress": "--stress",
    "activity_minutes": "--activity-minutes",
    "note": "--note",
    "screen": "--screen",
    "peg": "--peg",
    "rmdq": "--rmdq",
    "startback": "--startback",
    "date": "--date",
}


def _build(day: date, values: Mapping[str, Any], old: CheckIn | None) -> CheckIn:
    fields = dict(values)
    if "screen" in fields:
        fields["screen"] = tuple(sorted(fields["screen"].items()))
    if old is not None:
        if "screen" in fields:
            # An edit keeps the earlier answers to questions not asked now.
            merged = dict(old.screen)
            merged.update({k: v for k, v in fields["screen"] if v != NOT_ASKED})
            fields["screen"] = tuple(sorted(merged.items()))
        return old._replace(**fields)
    if fields.get("pain") is None:
        raise UserError("--pain: give the pain now, 0 to 10 (it is the one answer needed)")
    return CheckIn(day=day, **fields)


def _save(
    store: Any,
    checkin: CheckIn,
    *,
    today: date,
    edit: bool,
    as_json: bool,
    out: IO[str],
    ui: IO[str],
    rules: Any,
) -> int:
    from backcoach.cli import clock
    from backcoach.services.recovery import record_checkin
    from backcoach.storage.errors import DuplicateCheckInError, StoreError

    try:
        outcome = record_checkin(
            store,
            checkin,
            today=today,
            now=clock.now(),
            replace=edit,
            rules=rules,
            # Built only if a warning sign needs the triage again: most check-ins never
            # load the engine, which keeps the command quick.
            assessor=_LazyAssessor(),
            result_json=_result_json,
        )
    except CheckInError as exc:
        flag = _FLAG_OF.get(exc.field, exc.field)
        raise UserError(f"{flag}: {exc.problem}") from None
    except DuplicateCheckInError as exc:
        print(f"backcoach: {exc}. Use --edit to change it.", file=sys.stderr)
        return EXIT_DUPLICATE
    except StoreError as exc:  # (NoAssessmentError among them: assess first)
        raise UserError(str(exc)) from None
    if as_json:
        out.write(json.dumps(outcome_to_dict(outcome), indent=2, ensure_ascii=False) + "\n")
    _tell(outcome, ui, rules, store, today)
    return EXIT_OK


class _LazyAssessor:
    def assess(self, case: Any) -> Any:
        from backcoach.cli.engine import assessor

        return assessor().assess(case)


def _result_json(assessment: Any) -> dict[str, Any]:
    from backcoach.adapters.result_json import ResultWriter
    from backcoach.cli.engine import catalog

    return ResultWriter(catalog()).to_dict(assessment)


def _tell(outcome: Any, ui: IO[str], rules: Any, store: Any, today: date) -> None:
    from backcoach.cli.render import wrap

    if outcome.retriage is not None:
        from backcoach.cli.engine import catalog
        from backcoach.cli.render import render_emergency, render_triage
        from backcoach.domain.model import Level

        assessment = outcome.retriage.assessment
        color = ui.isatty()
        if assessment.triage.level >= Level.EMERGENCY:
            ui.write(render_emergency(assessment, catalog(), color=color))
        else:
            ui.write(render_triage(assessment, catalog(), color=color))
        ui.write(wrap("You told us about a new warning sign. Please act on the advice above now."))
    verb = "Saved" if outcome.status == "added" else "Updated"
    ui.write(f"{verb} your check-in for {outcome.checkin.day}.\n")
    if outcome.not_answered:
        ui.write(wrap(not_answered_text(outcome.not_answered, rules)))
    for line in reminders(store, outcome.checkin, rules):
        ui.write(wrap(line))
    if outcome.adaptation is not None:
        ui.write("\nYOUR PLAN THIS WEEK\n" + wrap(outcome.adaptation.message, "  "))
    ui.flush()


def reminders(store: Any, checkin: CheckIn, rules: Any) -> list[str]:
    """The questionnaires due that this check-in did not answer."""
    from backcoach.services.recovery import due

    now_due = due(store, today=checkin.day, rules=rules)
    lines = []
    if now_due.peg and checkin.peg is None:
        lines.append(
            "This week's 3 PEG questions are due: add --peg PAIN,ENJOYMENT,ACTIVITY (each 0 "
            "to 10), or run `backcoach checkin` to be asked."
        )
    if now_due.rmdq and not checkin.rmdq:
        lines.append(
            "This month's Roland-Morris is due: add --rmdq with the numbers of the statements "
            "that describe you today (or none), or run `backcoach checkin` to be asked."
        )
    if now_due.startback_week is not None and not checkin.startback:
        lines.append(
            f"Week {now_due.startback_week}: STarT Back is due again: add --startback with "
            "its 9 answers, or run `backcoach checkin` to be asked."
        )
    return lines


def not_answered_text(not_answered: tuple[str, ...], rules: Any) -> str:
    """Never read as "no": say which safety questions are still open, and what to do."""
    from backcoach.cli.engine import catalog

    if len(not_answered) == len(rules.rescreen):
        return (
            "The safety questions were not answered today. If anything new has started, "
            "like numbness around your bottom, trouble peeing, new weakness in a leg or a "
            "fever, run `backcoach checkin --edit` to answer them, or see a doctor today."
        )
    labels = {f.id: f.label for f in catalog().findings}
    missing = "; ".join(labels.get(fid, fid) for fid in not_answered)
    return f"Not answered today: {missing}. If any of these is new, see a doctor today."


def outcome_to_dict(outcome: Any) -> dict[str, Any]:
    from backcoach.adapters.recovery_json import adaptation_to_dict, checkin_to_dict

    retriage = outcome.retriage
    return {
        "status": outcome.status,
        "checkin": checkin_to_dict(outcome.checkin),
        "retriage": None
        if retriage is None
        else {
            "level": retriage.level.id,
            "red_flags": list(retriage.red_flags),
            "result": retriage.result,
        },
        "not_answered": list(outcome.not_answered),
        "adaptation": None
        if outcome.adaptation is None
        else adaptation_to_dict(outcome.adaptation),
    }


def _delete(store: Any, day: date, out: IO[str]) -> int:
    if store.delete_checkin(day):
        out.write(f"Deleted your check-in for {day}.\n")
        return EXIT_OK
    raise UserError(f"--delete: there is no check-in for {day}")
