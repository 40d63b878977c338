"""``backcoach assess`` without --case/--batch: the interview in the terminal.

The order of questions and when to stop come from :mod:`backcoach.domain.interview`; this
module only talks to the person: it asks, re-asks on bad input, and shows the result.

With ``--json`` the conversation goes to standard error and only the result JSON to
standard output, so ``backcoach assess --json > result.json`` still shows the questions.
"""

from __future__ import annotations

import json
import re
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

from backcoach.cli.engine import assessor, catalog
from backcoach.cli.errors import EXIT_INVALID_INPUT, UserError
from backcoach.domain import interview
from backcoach.domain.catalog import Catalog, Finding
from backcoach.domain.model import ABSENT, PRESENT, UNKNOWN, Answer, Assessment, Sex
from backcoach.domain.questionnaires import Questionnaire, QuestionnaireResult

WIDTH = 78
EXIT_STOPPED = 1
STARTBACK = "startback"

_BOLD = "\033[1m"
_DIM = "\033[2m"
_RESET = "\033[0m"

T = TypeVar("T")


class InputClosedError(EOFError):
    """The person closed the input (Ctrl-D) before the interview was over. An EOFError, so
    that a command asking a questionnaire through the interview's terminal (the check-in)
    stops the same way whichever question the input ended at."""


class InvalidAnswerError(ValueError):
    """An answer that does not fit; the message is the short hint to show."""


# --- parsing what people type -------------------------------------------------------------

_YES = frozenset({"y", "yes", "yeah", "yep", "j", "ja", "oui", "si"})
_NO = frozenset({"n", "no", "nope", "nein", "non"})
_DONT_KNOW = frozenset(
    {"?", "d", "dk", "idk", "u", "unknown", "unsure", "not sure", "don't know", "dont know"}
)
_HELP = frozenset({"h", "help"})

YES_NO_HINT = "Please type y (yes), n (no) or ? (don't know). Type h to explain the question."


def parse_yes_no(text: str) -> Answer | None:
    """``present`` / ``absent`` / ``unknown``; ``None`` asks for the help text."""
    word = text.strip().lower().replace("’", "'")
    if word in _YES:
        return PRESENT
    if word in _NO:
        return ABSENT
    if word in _DONT_KNOW:
        return UNKNOWN
    if word in _HELP:
        return None
    raise InvalidAnswerError(YES_NO_HINT)


def parse_age(text: str) -> int:
    word = text.strip().lower().removesuffix("years").removesuffix("y").strip()
    if not word.isdigit():
        raise InvalidAnswerError("Please type your age in whole years, for example 42.")
    age = int(word)
    if not 0 <= age <= 120:
        raise InvalidAnswerError("Please type an age from 0 to 120.")
    return age


_SEXES: dict[str, Sex] = {
    "f": "female",
    "female": "female",
    "w": "female",
    "woman": "female",
    "m": "male",
    "male": "male",
    "man": "male",
    "o": "other",
    "other": "other",
}


def parse_sex(text: str) -> Sex:
    sex = _SEXES.get(text.strip().lower())
    if sex is None:
        raise InvalidAnswerError("Please type f (female), m (male) or o (other).")
    return sex


def parse_pain(text: str) -> int | None:
    word = text.strip().lower()
    if word in _DONT_KNOW:
        return None
    word = word.removesuffix("/10").strip()
    if not word.isdigit() or not 0 <= int(word) <= 10:
        raise InvalidAnswerError(
            "Please type a whole number from 0 (no pain) to 10, or ? if you are not sure."
        )
    return int(word)


_UNIT_DAYS = {
    "d": 1, "day": 1, "days": 1,
    "w": 7, "wk": 7, "wks": 7, "week": 7, "weeks": 7,
    "m": 30, "mo": 30, "mon": 30, "month": 30, "months": 30,
    "y": 365, "yr": 365, "yrs": 365, "year": 365, "years": 365,
}  # fmt: skip
_DURATION = re.compile(r"^(\d+(?:[.,]\d+)?)\s*([a-z]*)$")
MAX_DAYS = 36500
DURATION_HINT = (
    "Please type how long ago it started, for example 3 (days), 2w, 3 weeks, 4 months, "
    "today, or ? if you are not sure."
)


def parse_duration(text: str) -> int | None:
    """Days since the pain began: "3", "3d", "2w", "3 weeks", "1 month", "today"; ? unknown."""
    word = " ".join(text.strip().lower().split()).removesuffix(" ago").removesuffix("ago")
    word = word.strip()
    if word in _DONT_KNOW:
        return None
    if word in ("today", "this morning", "tonight", "now"):
        return 0
    if word == "yesterday":
        return 1
    if word.startswith(("a ", "an ", "one ")):  # "a week", "one month"
        word = "1 " + word.split(" ", 1)[1]
    match = _DURATION.match(word)
    if match is None:
        raise InvalidAnswerError(DURATION_HINT)
    number, unit = float(match[1].replace(",", ".")), match[2] or "d"
    if unit not in _UNIT_DAYS:
        raise InvalidAnswerError(DURATION_HINT)
    days = round(number * _UNIT_DAYS[unit])
    if days > MAX_DAYS:
        raise InvalidAnswerError(
            "That is more than 100 years. Please type how long ago it started."
        )
    return days


# --- the terminal -------------------------------------------------------------------------


class Terminal:
    """Questions out, answers in. ``out`` gets the conversation; EOF raises InputClosedError."""

    def __init__(self, inp: IO[str], out: IO[str], *, color: bool) -> None:
        self.inp, self.out, self.color = inp, out, color

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def para(self, text: str, indent: str = "") -> None:
        self.say(textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent))

    def bold(self, text: str) -> str:
        """Bold each line (wrap first: escape codes would count as width)."""
        return self._style(_BOLD, text)

    def dim(self, text: str) -> str:
        return self._style(_DIM, text)

    def _style(self, code: str, text: str) -> str:
        if not self.color:
            return text
        return "\n".join(f"{code}{line}{_RESET}" for line in text.split("\n"))

    def read(self, prompt: str) -> str:
        self.out.write(prompt)
        self.out.flush()
        line = self.inp.readline()
        if not line:
            raise InputClosedError
        return line

    def ask(self, prompt: str, parse: Callable[[str], T]) -> T:
        """Ask until ``parse`` accepts the answer; a rejection's message is the hint shown."""
        while True:
            text = self.read(prompt)
            try:
                return parse(text)
            except InvalidAnswerError as exc:
                self.para(str(exc), "  ")

    def ask_finding(self, step: interview.Ask) -> Answer:
        finding = step.finding
        kind = "Safety question" if step.is_safety else "Question"
        if step.is_safety:
            progress = f"{kind} {step.number} of {step.total}"
        else:
            left = step.total - step.number
            progress = f"{kind} {step.number}" + (
                f" (about {left} more)" if left else " (probably the last)"
            )
        self.say()
        self.say(self.dim(progress))
        self.say(self.bold(textwrap.fill(finding.question, WIDTH)))
        while True:
            answer = self.ask("  y / n / ? (h: explain) > ", parse_yes_no)
            if answer is not None:
                return answer
            self.para(_help_text(finding), "  ")


def _help_text(finding: Finding) -> str:
    if finding.help.strip().rstrip("?").lower() == finding.question.strip().rstrip("?").lower():
        return f"This asks whether you have: {finding.help}. If you are not sure, type ?."
    return finding.help


# --- the interview ------------------------------------------------------------------------

INTRO = (
    "backcoach asks about your back pain: first some safety questions that look for signs "
    "that need a doctor quickly, then questions about the pain, then it explains the likely "
    "causes. It is not a diagnosis. If you feel very unwell, call your emergency number "
    "(999 UK, 112 Europe, 911 North America)."
)
KEYS = "Answer y (yes), n (no) or ? (don't know). Type h to have a question explained."
STOPPED = (
    "Interview stopped before the end (input closed). Nothing was saved. "
    "Run `backcoach assess` to start again."
)


def run(*, save: str | None, as_json: bool, color: bool) -> int:
    """Run the interview on this process's terminal. Exit status 0, or 1 if stopped."""
    ui = sys.stderr if as_json else sys.stdout
    save_path = _check_save_path(save) if save else None
    if sys.stdin is None or sys.stdin.closed:
        raise UserError("the interview needs input: standard input is closed")
    term = Terminal(sys.stdin, ui, color=color and ui.isatty())
    try:
        return _interview(term, save_path=save_path, as_json=as_json, out=sys.stdout)
    except InputClosedError:
        term.say()
        term.say()
        term.para(STOPPED)
        return EXIT_STOPPED


def _interview(term: Terminal, *, save_path: Path | None, as_json: bool, out: IO[str]) -> int:
    engine = assessor()
    cat = catalog()
    term.say(term.bold("backcoach: why does my back hurt?"))
    term.para(INTRO)
    term.say()
    age = term.ask("How old are you? (years) > ", parse_age)
    sex = term.ask("Your sex: f (female), m (male) or o (other) > ", parse_sex)
    state = interview.start(age, sex)
    term.say()
    term.say(term.bold("SAFETY QUESTIONS"))
    term.para(KEYS)
    shown_main_heading = False
    while True:
        step = interview.next_step(engine, state)
        if isinstance(step, interview.Done):
            break
        if isinstance(step, interview.AskNumbers):
            state = _ask_numbers(term, state)
            continue
        if not step.is_safety and not shown_main_heading:
            shown_main_heading = True
            term.say()
            term.say(term.bold("MORE ABOUT YOUR PAIN"))
            term.para("Only the questions that can still change the result are asked. " + KEYS)
        state = state.with_answer(step.finding.id, term.ask_finding(step))

    if step.emergency:
        return _finish_emergency(term, step.assessment, state, save_path, as_json=as_json, out=out)
    results: list[QuestionnaireResult] = []
    startback = _startback_if_relevant(state)
    if startback is not None:
        result = _ask_questionnaire(term, startback)
        if result is not None:
            results.append(result)
    case = state.case(questionnaires={r.questionnaire_id: r.answers_map for r in results})
    assessment = engine.assess(case)
    if as_json:
        out.write(json.dumps(_result_dict(assessment), indent=2, ensure_ascii=False) + "\n")
        out.flush()
    else:
        term.say()
        term.say(term.bold("YOUR RESULT"))
        term.say(_render_result(assessment, cat, results, color=term.color))
    _keep_latest(term, assessment, emergency=False)
    return _save_and_tell(term, save_path, state, results)


def _keep_latest(
    term: Terminal,
    assessment: Assessment,
    *,
    emergency: bool,
) -> None:
    """Keep the answers and the result in the person's record on this computer, so that
    `backcoach plan`, `routine`, `checkin` and `progress` can use them. Questionnaire
    answers are kept too. Failing to keep them must not hide the result."""
    from backcoach.cli import clock
    from backcoach.cli.store import open_user_store
    from backcoach.services.recovery import record_assessment
    from backcoach.storage.errors import StoreError

    try:
        store = open_user_store()
        record_assessment(store, assessment.case, _result_dict(assessment), now=clock.now())
    except (StoreError, UserError) as exc:
        term.para(f"Your answers could not be kept: {exc}")
        return
    if not emergency:
        term.para(
            "Your answers are kept on this computer only. For your self-care plan, run: "
            "backcoach plan. Each day, run: backcoach checkin"
        )


def _ask_numbers(term: Terminal, state: interview.InterviewState) -> interview.InterviewState:
    term.say()
    term.say(term.bold("HOW BAD, AND SINCE WHEN"))
    term.para("How bad is the pain right now? 0 is no pain, 10 the worst pain you can imagine.")
    pain = term.ask("Pain now, 0 to 10 (? if unsure) > ", parse_pain)
    term.para("When did this episode of pain begin? For example 3 (days ago), 2w, 3 weeks.")
    duration = term.ask("How long ago? (? if unsure) > ", parse_duration)
    return state.with_numbers(pain, duration)


def _finish_emergency(
    term: Terminal,
    assessment: Assessment,
    state: interview.InterviewState,
    save_path: Path | None,
    *,
    as_json: bool,
    out: IO[str],
) -> int:
    from backcoach.cli.render import render_emergency

    # What to do now comes first, before anything else, also with --json.
    term.say(render_emergency(assessment, catalog(), color=term.color))
    term.para("The interview stopped here: please act on this now.")
    if as_json:
        out.write(json.dumps(_result_dict(assessment), indent=2, ensure_ascii=False) + "\n")
        out.flush()
    _keep_latest(term, assessment, emergency=True)
    return _save_and_tell(term, save_path, state, [])


# --- STarT Back ---------------------------------------------------------------------------


STARTBACK_MIN_AGE = 18


def _startback_if_relevant(state: interview.InterviewState) -> Questionnaire | None:
    """STarT Back is validated for adults with low back pain: skipped when that was "no"."""
    if state.answer("pain_lower_back") == ABSENT or state.age < STARTBACK_MIN_AGE:
        return None
    try:
        from backcoach.content.questionnaires import load_questionnaires
    except ImportError:  # pragma: no cover - questionnaires not installed
        return None
    try:
        return load_questionnaires().get(STARTBACK)
    except Exception as exc:  # a broken questionnaire file must not hide the result
        print(f"backcoach: STarT Back questionnaire not available: {exc}", file=sys.stderr)
        return None


def _ask_questionnaire(term: Terminal, questionnaire: Questionnaire) -> QuestionnaireResult | None:
    from backcoach.domain.questionnaires import score

    term.say()
    term.say(term.bold(f"HOW YOUR BACK AFFECTS YOU: {questionnaire.name}"))
    if questionnaire.copyright:
        term.say(term.dim(textwrap.fill(questionnaire.copyright, WIDTH)))
        term.say()
    term.para("Type the number of your answer, or s to skip this questionnaire.")
    term.say()
    term.para(questionnaire.instructions)
    answers: dict[str, int] = {}
    count = len(questionnaire.items)
    for number, item in enumerate(questionnaire.items, start=1):
        term.say()
        term.say(term.dim(f"{number} of {count}"))
        term.para(item.text)
        term.say("  " + "   ".join(f"{o.value} {o.label}" for o in item.options))
        values = {str(o.value): o.value for o in item.options}
        labels = {o.label.lower(): o.value for o in item.options}

        def parse(
            text: str, values: dict[str, int] = values, labels: dict[str, int] = labels
        ) -> int | None:
            word = text.strip().lower()
            if word in ("s", "skip"):
                return None
            if word in values:
                return values[word]
            if word in labels:
                return labels[word]
            numbers = " or ".join(values)
            raise InvalidAnswerError(
                f"Please type {numbers} (the number of your answer), or s to skip."
            )

        value = term.ask("  Your answer > ", parse)
        if value is None:
            term.para("Questionnaire skipped: it is only scored when every item is answered.")
            return None
        answers[item.id] = value
    return score(questionnaire, answers)


# --- result and saving --------------------------------------------------------------------

_RISK_MEANING = {
    "low": "Low risk of long-lasting problems: advice, simple pain relief and staying "
    "active usually work well.",
    "medium": "Medium risk: a course of physiotherapy is likely to help you recover.",
    "high": "High risk: physiotherapy that also helps with worries and low mood is likely to "
    "help. Tell your GP or physiotherapist this score.",
}


def render_questionnaires(results: list[QuestionnaireResult]) -> str:
    text = ""
    for result in results:
        if result.questionnaire_id != STARTBACK:
            continue
        psycho = dict(result.subscales).get("psychosocial", 0)
        text += "\nHOW YOUR BACK AFFECTS YOU (Keele STarT Back, © Keele University)\n"
        text += (
            textwrap.fill(
                f"Score {result.score:g} of {result.score_max:g}, worry and mood part "
                f"{psycho:g} of 5: {result.category} risk.",
                WIDTH,
                initial_indent="  ",
                subsequent_indent="  ",
            )
            + "\n"
        )
        meaning = _RISK_MEANING.get(result.category or "")
        if meaning:
            text += textwrap.fill(meaning, WIDTH, initial_indent="  ", subsequent_indent="  ")
            text += "\n"
    return text


def _render_result(
    assessment: Assessment, cat: Catalog, results: list[QuestionnaireResult], *, color: bool
) -> str:
    from backcoach.cli.render import render_causes, render_next_steps, render_triage

    return (
        render_triage(assessment, cat, color=color)
        + render_causes(assessment, cat)
        + render_questionnaires(results)
        + render_next_steps(assessment, cat)
    )


def _result_dict(assessment: Assessment) -> dict[str, Any]:
    from backcoach.adapters.result_json import ResultWriter

    return ResultWriter(catalog()).to_dict(assessment)


def case_dict(
    state: interview.InterviewState, results: list[QuestionnaireResult]
) -> dict[str, Any]:
    """The answers as a case file of shared/spec, valid against its case.schema.json.

    The schema allows no other fields, so questionnaire answers are not written here
    (other tools must be able to read the file); they are shown in the result.
    """
    case: dict[str, Any] = {"age": state.age, "sex": state.sex}
    if state.pain_intensity is not None:
        case["pain_intensity"] = state.pain_intensity
    if state.duration_days is not None:
        case["duration_days"] = state.duration_days
    case["findings"] = dict(state.answers)
    return case


def _check_save_path(save: str) -> Path:
    """Fail before the questions, not after them, if the file cannot be written."""
    path = Path(save)
    if path.is_dir():
        raise UserError(f"--save {save}: is a directory; give a file name")
    if not path.parent.is_dir():
        raise UserError(f"--save {save}: folder {path.parent} does not exist")
    return path


def _save_and_tell(
    term: Terminal,
    path: Path | None,
    state: interview.InterviewState,
    results: list[QuestionnaireResult],
) -> int:
    """Save after the result is shown: a full disk must not hide what to do."""
    if path is None:
        return 0
    text = json.dumps(case_dict(state, results), indent=2, ensure_ascii=False) + "\n"
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"backcoach: error: --save {path}: cannot write ({exc.strerror})", file=sys.stderr)
        return EXIT_INVALID_INPUT
    term.para(f"Your answers were saved to {path}. To see this result again:")
    term.say(f"  backcoach assess --case {path}")
    if results:
        term.say("(The case file has no place for questionnaire answers, so those are not in it.)")
    return 0
