"""The plan as a printable one-page handout: one self-contained HTML file.

:func:`plan_html` renders one week of a :class:`~backcoach.domain.plan.Plan`;
:func:`write_html` writes it atomically. Standard library only. The file has no script and no
external font, image or style sheet: the exercise drawings (the project's own SVG files) are
embedded inline, and the only web addresses are the links to the sources in the footer. The
markup is XHTML-compatible (every tag closed, every attribute quoted), so an XML parser can
read it too.

The page, top to bottom: what the plan is for and the most likely cause ("not a diagnosis");
for a "while you wait" plan the instruction to see a clinician, boxed; this week's routine as
cards with the drawings, and the walking goal; what was left out to keep the person safe; the
warning signs, boxed; the other advice; the sources.

What the handout keeps short to fit about one printed A4 page:

- the advice shows the best item of every way and then second items while there is room
  (at most :data:`MAX_PER_WAY` a way, :data:`MAX_ADVICE` in all), one line each: items written
  for this person (their condition or findings) first, then what to do before what not to do,
  then the better evidence, then the content's own order;
- general exercise advice gives way to the routine itself (items about this person stay);
- the "not advised" items share one line;
- each item cites its main (first-listed) source; ``backcoach plan --json`` lists them all.

The warning signs (the safety-net items) are never shortened.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Final, NamedTuple

from backcoach.adapters.paths import write_atomically
from backcoach.domain.advice import EVIDENCE_GRADES, WAY_TITLES, AdviceItem
from backcoach.domain.exercises import CAUTION_MEANINGS, Exercise, dose_text
from backcoach.domain.model import Level
from backcoach.domain.plan import WALKING_SOURCES, Plan, RoutineItem, Week, seconds

if TYPE_CHECKING:
    from backcoach.domain.catalog import Catalog

MAX_PER_WAY: Final = 2
MAX_ADVICE: Final = 9  # the best item of every way shows even when there are more ways
NOT_ADVISED: Final = "not advised:"  # how the titles of "do not use" items begin
WALKING_EXERCISE: Final = "walking"  # the library entry whose drawing goes on the walk card
DAY_NAMES: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_PROLOG = re.compile(r"<\?xml.*?\?>|<!DOCTYPE[^>]*>|<!--.*?-->", re.DOTALL | re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_ACRONYM = re.compile(r"\(([A-Z]{2,})\)$")
_STOP_LEAD = re.compile(r"^(Stop(?: and [a-z ]+?)? (?:if|before|when))\b")
_AUTHOR = re.compile(r"[A-Za-z][\w'\- ]* [A-Z]{1,4}|et al\.?")  # "Qaseem A", "van Tulder MW"

STYLE: Final = """
@page { size: A4; margin: 12mm; }
* { box-sizing: border-box; }
html { background: #fff; color: #000; }
body {
  margin: 0;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Noto Sans", "Liberation Sans", sans-serif;
  font-size: 11pt;
  line-height: 1.35;
  color: #000;
  background: #fff;
}
.page { max-width: 186mm; margin: 0 auto; padding: 10mm 0 12mm; }
h1, h2, h3 { line-height: 1.2; font-weight: 700; }
h1 { font-size: 20pt; margin: 0 0 0.5mm; }
h2 { font-size: 12pt; margin: 2mm 0 1mm; }
h3 { font-size: 9pt; margin: 0 0 0.3mm; }
p { margin: 0 0 1mm; }
ul, ol { margin: 0; }
a { color: #000; }
.title { display: flex; flex-wrap: wrap; align-items: baseline; column-gap: 5mm; }
.title h1 { margin: 0; }
.dates { font-size: 10pt; margin: 0 0 1mm; }
.cause { margin: 0; }
.cite { font-size: 7pt; white-space: nowrap; }
.action {
  border: 2.5pt solid #000;
  border-radius: 2mm;
  padding: 1.5mm 4mm;
  margin: 2mm 0 0;
  font-size: 10.5pt;
  line-height: 1.3;
}
.action h2 { display: inline; font-size: 11.5pt; margin: 0 1mm 0 0; }
.action p { display: inline; margin: 0; }
.meta { font-size: 9pt; font-weight: 400; margin-left: 1.5mm; }
.cards { display: grid; grid-template-columns: 1fr 1fr; gap: 2mm 3mm; }
.card {
  border: 0.75pt solid #444;
  border-radius: 2mm;
  padding: 1.5mm 2.5mm;
  font-size: 8pt;
  line-height: 1.2;
  break-inside: avoid;
  page-break-inside: avoid;
}
.card .top {
  display: grid;
  grid-template-columns: 40% 1fr;
  gap: 2.5mm;
  align-items: center;
  margin: 0 0 1mm;
}
.card svg { display: block; width: 100%; height: auto; }
.card .dose { font-weight: 700; margin: 0; }
.card ol, .card ul { padding-left: 4mm; margin: 0 0 0.8mm; }
.card .stop { margin: 0; border-top: 0.5pt solid #777; padding-top: 0.6mm; }
.walk { margin: 2mm 0 0; }
.small { font-size: 8pt; line-height: 1.22; margin: 0; }
.safety {
  border: 2.5pt solid #000;
  border-radius: 2mm;
  padding: 1.5mm 3.5mm 1mm;
  margin: 2mm 0 0;
  font-size: 8pt;
  line-height: 1.22;
  break-inside: avoid;
  page-break-inside: avoid;
}
.safety h2 { margin: 0 0 0.8mm; }
.safety ul { list-style: none; padding: 0; columns: 2; column-gap: 6mm; }
.safety li { margin: 0 0 1mm; break-inside: avoid; }
.ways { columns: 2; column-gap: 6mm; font-size: 8pt; line-height: 1.22; }
.way { margin: 0 0 1.2mm; }
.way h3 {
  float: left;
  font-size: 8pt;
  line-height: 1.22;
  margin: 0 1.2mm 0 0;
  text-decoration: underline;
}
.way ul { list-style: none; padding: 0; }
.way li, .way p { margin: 0 0 0.5mm; break-inside: avoid; page-break-inside: avoid; }
.grade { color: #333; font-size: 7pt; white-space: nowrap; }
.left-out { margin: 1.5mm 0 0; font-size: 8pt; line-height: 1.22; }
.left-out h2 { display: inline; font-size: 9pt; margin: 0 1mm 0 0; }
.left-out p { display: inline; }
footer {
  margin-top: 1.5mm;
  border-top: 0.75pt solid #000;
  padding-top: 1mm;
  font-size: 6.2pt;
  line-height: 1.2;
}
footer h2 { display: inline; font-size: 6.5pt; margin: 0 1mm 0 0; }
footer ol { display: inline; list-style: none; padding: 0; }
footer li { display: inline; }
footer a { text-decoration: none; }
.notice { font-size: 8pt; line-height: 1.3; font-weight: 700; margin: 0 0 0.5mm; }
@media print {
  /* A little smaller on paper, so a full plan for someone with many cautions still fits
     one A4 page. */
  .page { max-width: none; padding: 0; zoom: 0.95; }
  h2 { break-after: avoid; page-break-after: avoid; }
}
"""


class _SourceText(NamedTuple):
    title: str
    by: str
    year: int | None
    url: str
    kind: str


class _Citations:
    """Numbers the sources in the order the handout first cites them."""

    def __init__(self, catalog: Catalog) -> None:
        self._known = {
            s.id: _SourceText(s.title, _short_by(s.by), s.year, s.url, s.kind)
            for s in catalog.sources
        }
        self.order: list[str] = []

    def cite(self, source_ids: Iterable[str]) -> str:
        """The citation of these sources, such as ' [2, 5]', numbering any new ones."""
        numbers: list[int] = []
        for sid in source_ids:
            if sid not in self.order:
                self.order.append(sid)
            number = self.order.index(sid) + 1
            if number not in numbers:
                numbers.append(number)
        if not numbers:
            return ""
        return f' <span class="cite">[{", ".join(str(n) for n in numbers)}]</span>'

    def main(self, source_ids: Sequence[str]) -> str:
        """Cite the main (first-listed) source only, to keep the page short."""
        return self.cite(source_ids[:1])

    def for_patients(self, source_ids: Sequence[str]) -> str:
        """Cite the first patient-information page, or else the main source."""
        pages = [s for s in source_ids if self.text(s).kind == "patient_information"]
        return self.main(pages or source_ids)

    def text(self, source_id: str) -> _SourceText:
        return self._known.get(source_id, _SourceText(source_id, "", None, "", ""))


# --- public API ---------------------------------------------------------------------------


def plan_html(plan: Plan, week: int = 1) -> str:
    """The handout for week ``week`` of ``plan``, as one self-contained HTML document.

    ``ValueError`` for a plan of kind "none" (an emergency gets no plan) or a week the plan
    does not have.
    """
    if plan.kind == "none":
        raise ValueError("an emergency result has no plan, so there is no handout")
    if not 1 <= week <= len(plan.weeks):
        raise ValueError(f"this plan has weeks 1 to {len(plan.weeks)}, not {week}")
    from backcoach.content.loader import load_catalog

    catalog = load_catalog()
    cites = _Citations(catalog)
    this_week = plan.weeks[week - 1]
    parts = [
        _header(plan, this_week, catalog),
        _waiting(plan, catalog, cites) if plan.kind == "while_you_wait" else "",
        _routine(plan, this_week, cites),
        _left_out(plan),
        _safety(plan.advice, catalog, cites),
        _advice(plan.advice, cites, has_routine=bool(this_week.routine)),
        _footer(cites),
    ]
    body = "\n".join(part for part in parts if part)
    return (
        "<!DOCTYPE html>\n"
        '<html xmlns="http://www.w3.org/1999/xhtml" lang="en-GB" xml:lang="en-GB">\n'
        "<head>\n"
        '<meta charset="utf-8"/>\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>\n'
        "<title>Your back plan</title>\n"
        f"<style>{STYLE}</style>\n"
        "</head>\n"
        "<body>\n"
        f'<main class="page">\n{body}\n</main>\n'
        "</body>\n"
        "</html>\n"
    )


def write_html(plan: Plan, path: str) -> None:
    """Write the handout for the plan's first week to ``path``, atomically.

    The text goes to a new file in the same folder, which then replaces ``path``, so no one
    ever sees half a handout. ``OSError`` when the file cannot be written.
    """
    text = plan_html(plan)
    write_atomically(path, text.encode("utf-8"))


def drawing_markup(exercise: Exercise) -> str:
    """The exercise's SVG drawing as inline markup (no XML prolog, doctype or comments)."""
    from backcoach.content.exercises import drawing_path

    with open(drawing_path(exercise), encoding="utf-8") as fh:
        text = _PROLOG.sub("", fh.read()).strip()
    start = text.find("<svg")
    if start < 0:
        raise ValueError(f"{exercise.drawing}: not an SVG drawing")
    return text[start:]


# --- parts of the page ----------------------------------------------------------------------


def _header(plan: Plan, week: Week, catalog: Catalog) -> str:
    week_ends = week.starts + timedelta(days=6)
    plan_ends = plan.starts + timedelta(days=7 * len(plan.weeks) - 1)
    if plan.kind == "while_you_wait":
        dates = f"While you wait to be seen: {_span(week.starts, week_ends)}"
    else:
        dates = (
            f"Week {week.number} of {len(plan.weeks)}: {_span(week.starts, week_ends)} "
            f"(plan ends {plan_ends.day} {plan_ends:%b %Y})"
        )
    cause = ""
    if plan.profile.conditions:
        top = plan.profile.conditions[0]
        try:
            name = catalog.condition(top).name
        except KeyError:
            name = top.replace("_", " ")
        cause = f"<strong>Most likely cause:</strong> {_e(_lower_first(name))}. "
    return (
        "<header>\n"
        '<div class="title">\n<h1>Your back plan</h1>\n'
        f'<p class="dates">{_e(dates)}</p>\n</div>\n'
        f'<p class="cause">{cause}<strong>This is not a diagnosis.</strong></p>\n'
        "</header>"
    )


def _waiting(plan: Plan, catalog: Catalog, cites: _Citations) -> str:
    try:
        level = catalog.advice(plan.profile.level)
    except KeyError:
        return ""
    return (
        '<section class="action">\n'
        f"<h2>First: {_e(_lower_first(level.headline))}.</h2>\n"
        f"<p>{_e(level.action)}{cites.for_patients(level.sources)}</p>\n"
        "</section>"
    )


def _routine(plan: Plan, week: Week, cites: _Citations) -> str:
    if not week.routine:  # held back until a clinician has seen the person
        return (
            '<section class="routine">\n<h2>Exercise</h2>\n'
            "<p>Wait until a doctor or physiotherapist has seen you: they will tell you which "
            "movements are safe. Until then, move gently as comfort allows.</p>\n</section>"
        )
    walk = _walk(plan, week, cites)
    hour, minute = plan.preferences.time_of_day
    total = max(1, round(sum(seconds(item.dose) for item in week.routine) / 60))
    days = plan.preferences.days
    when = "every day" if len(days) == 7 else "on " + ", ".join(DAY_NAMES[d] for d in days)
    cards = [_card(n, item, cites) for n, item in enumerate(week.routine, start=1)]
    if walk.startswith("<article"):
        cards.append(walk)
        walk = ""
    return (
        '<section class="routine">\n'
        f'<h2>This week\'s routine <span class="meta">about {total} '
        f"{'minute' if total == 1 else 'minutes'} at {hour:02d}:{minute:02d} {when}, "
        "and a daily walk</span></h2>\n"
        f'<div class="cards">\n{chr(10).join(cards)}\n</div>\n'
        f"{walk}{chr(10) if walk else ''}"
        "</section>"
    )


def _card(number: int, item: RoutineItem, cites: _Citations) -> str:
    exercise = item.exercise
    steps = "".join(f"<li>{_e(step)}</li>" for step in exercise.steps)
    return (
        f'<article class="card" id="exercise-{_e(exercise.id)}">\n'
        f'<div class="top">{drawing_markup(exercise)}\n'
        f"<div><h3>{number}. {_e(exercise.name)}</h3>\n"
        f'<p class="dose">{_e(dose_text(item.dose))}.</p></div></div>\n'
        f"<ol>{steps}</ol>\n"
        f'<p class="stop">{_stop(exercise.stop_if)}{cites.main(exercise.sources)}</p>\n'
        "</article>"
    )


def _walk(plan: Plan, week: Week, cites: _Citations) -> str:
    """The walking goal: a card with the walking drawing, when the library has one."""
    from backcoach.content.exercises import load_exercise

    last = plan.weeks[-1].walking_minutes
    goal = f"{week.walking_minutes} minutes a day this week, at an easy pace."
    if last > week.walking_minutes and week.number < len(plan.weeks):
        goal += f" Build up to {last} minutes a day by week {len(plan.weeks)}."
    try:
        walking = load_exercise(WALKING_EXERCISE)
    except KeyError:
        return (
            f'<p class="walk"><strong>Walk:</strong> {_e(goal)} Stop and rest if pain or '
            f"numbness spreads down a leg.{cites.main(WALKING_SOURCES)}</p>"
        )
    steps = "".join(f"<li>{_e(step)}</li>" for step in walking.steps)
    return (
        '<article class="card walk-card" id="walking-goal">\n'
        f'<div class="top">{drawing_markup(walking)}\n'
        f'<div><h3>Walk every day</h3>\n<p class="dose">{_e(goal)}</p></div></div>\n'
        f"<ul>{steps}</ul>\n"
        f'<p class="stop">{_stop(walking.stop_if)}{cites.main(WALKING_SOURCES)}</p>\n'
        "</article>"
    )


def _stop(text: str) -> str:
    """The "Stop if" line, its opening words in bold."""
    escaped = _e(text)
    marked = _STOP_LEAD.sub(r"<strong>\1</strong>", escaped, count=1)
    return marked if marked != escaped else f"<strong>Stop if:</strong> {escaped}"


def _left_out(plan: Plan) -> str:
    if not plan.left_out:
        return ""
    groups: dict[tuple[str, ...], list[str]] = {}
    for exercise_id, tags in plan.left_out:
        groups.setdefault(tags, []).append(_exercise_name(exercise_id))
    lines = " ".join(
        f"<strong>{_e(_upper_first(' and '.join(_meaning(t) for t in tags)))}:</strong> "
        f"{_e(', '.join(names))}."
        for tags, names in groups.items()
    )
    return (
        '<section class="left-out">\n'
        "<h2>Left out to keep you safe</h2>\n"
        f'<p class="small">{lines}</p>\n'
        "</section>"
    )


def _safety(items: Sequence[AdviceItem], catalog: Catalog, cites: _Citations) -> str:
    safety = [item for item in items if item.way == "safety_net"]
    if safety:
        lines = "\n".join(
            f"<li><strong>{_e(item.title)}</strong> {_e(item.text)}"
            + (f" {_e(' '.join(item.cautions))}" if item.cautions else "")
            + f"{cites.main(item.sources)}</li>"
            for item in safety
        )
    else:  # a plan always has warning signs; without the content's, the emergency advice
        emergency = catalog.advice(Level.EMERGENCY)
        lines = (
            f"<li><strong>{_e(emergency.headline)} if you have a warning sign.</strong> "
            f"{_e(emergency.action)}{cites.for_patients(emergency.sources)}</li>"
        )
    return (
        '<section class="safety">\n'
        f"<h2>{_e(WAY_TITLES['safety_net'])}</h2>\n"
        f"<ul>\n{lines}\n</ul>\n"
        "</section>"
    )


def _advice(items: Sequence[AdviceItem], cites: _Citations, *, has_routine: bool) -> str:
    ways: dict[str, list[AdviceItem]] = {}
    not_advised: list[AdviceItem] = []
    for item in items:
        if item.way == "safety_net":
            continue  # in the warning-signs box
        if item.title.lower().startswith(NOT_ADVISED):
            not_advised.append(item)
        elif item.way == "exercise" and has_routine and not _personal(item):
            continue  # the routine and the walk are the exercise advice
        else:
            ways.setdefault(item.way, []).append(item)
    shown = choose_advice(ways)
    blocks = []
    for way, candidates in ways.items():
        lines = "\n".join(_advice_line(item, cites) for item in candidates if item in shown)
        title = WAY_TITLES.get(way, way.replace("_", " ").capitalize())
        blocks.append(f'<div class="way">\n<h3>{_e(title)}</h3>\n<ul>\n{lines}\n</ul>\n</div>')
    if not_advised:
        names = "; ".join(_e(item.title[len(NOT_ADVISED) :].strip()) for item in not_advised)
        sources = [item.sources[0] for item in not_advised if item.sources]
        blocks.append(
            '<div class="way not-advised">\n<h3>Not advised for back pain</h3>\n'
            f"<p>They have not been shown to help: {names}.{cites.cite(sources)}</p>\n</div>"
        )
    if not blocks:
        return ""
    return (
        '<section class="advice">\n<h2>What else helps</h2>\n'
        f'<div class="ways">\n{chr(10).join(blocks)}\n</div>\n</section>'
    )


def choose_advice(ways: dict[str, list[AdviceItem]]) -> set[AdviceItem]:
    """The advice items the handout shows: the best of every way, then second items, best
    first, while there is room (:data:`MAX_PER_WAY`, :data:`MAX_ADVICE`)."""
    ranked = {way: sorted(items, key=_priority) for way, items in ways.items() if items}
    shown = {items[0] for items in ranked.values()}
    extra = sorted(
        (item for items in ranked.values() for item in items[1:MAX_PER_WAY]), key=_priority
    )
    for item in extra:
        if len(shown) >= MAX_ADVICE:
            break
        shown.add(item)
    return shown


def _personal(item: AdviceItem) -> bool:
    """Written for people with a condition or finding, rather than for everyone."""
    return bool(item.when.conditions_any or item.when.findings_any)


def _priority(item: AdviceItem) -> tuple[int, int, int]:
    """Items written for this person first, then what to do before what not to do ("Heat
    can ease the pain" before "Paracetamol alone is not advised"), then the better evidence.
    Sorts are stable, so ties keep the content's order."""
    grade = EVIDENCE_GRADES.index(item.evidence) if item.evidence in EVIDENCE_GRADES else 99
    advises_against = "not advised" in item.title.lower()
    return (0 if _personal(item) else 1, int(advises_against), grade)


def _advice_line(item: AdviceItem, cites: _Citations) -> str:
    care = ""
    if item.cautions:
        care = f" <strong>Take care:</strong> {_e(' '.join(item.cautions))}"
    grade = _e(item.evidence.replace("_", " "))
    return (
        f"<li><strong>{_e(_full_stop(item.title))}</strong> {_e(_sentences(item.text, 1))} "
        f'<span class="grade">Evidence: {grade}.</span>{cites.main(item.sources)}{care}</li>'
    )


def _footer(cites: _Citations) -> str:
    rows: list[str] = []
    for number, sid in enumerate(cites.order, start=1):
        source = cites.text(sid)
        title = _e(_short_title(source.title))
        if source.url.startswith(("https://", "http://")):
            title = f'<a href="{_e(source.url)}">{title}</a>'
        who = ", ".join(part for part in (source.by, str(source.year or "")) if part)
        rows.append(f"<li>[{number}] {title}{f' ({_e(who)})' if who else ''}. </li>")
    listing = f"<h2>Main sources</h2>\n<ol>\n{chr(10).join(rows)}\n</ol>\n" if rows else ""
    return (
        "<footer>\n"
        '<p class="notice">backcoach is not a diagnosis and does not replace a doctor, '
        "nurse, midwife or physio. If you are worried, get help.</p>\n"
        f"{listing}"
        "</footer>"
    )


# --- small helpers --------------------------------------------------------------------------


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _sentences(text: str, count: int) -> str:
    return " ".join(_SENTENCE_END.split(text.strip())[:count])


def _full_stop(text: str) -> str:
    return text if text[-1:] in ".!?" else f"{text}."


def _meaning(tag: str) -> str:
    return CAUTION_MEANINGS.get(tag, tag.replace("_", " "))


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    """Lower-case the first letter unless the first word looks like a name ("GP", "NHS")."""
    first = text.split(" ", 1)[0]
    if len(first) > 1 and first[1:2].isupper():
        return text
    return text[:1].lower() + text[1:]


def _short_title(title: str) -> str:
    """The title before its subtitle, when that says enough on its own (four words or more):
    "Low back pain and sciatica in over 16s: assessment and management" -> the first part."""
    head, colon, _ = title.partition(": ")
    return head if colon and len(head.split()) >= 4 else title


def _short_by(by: str) -> str:
    """Who wrote a source, briefly: "Qaseem A, Wilt TJ, McLean RM. Ann..." -> "Qaseem A et al."."""
    head = by.split(". ", 1)[0].strip()
    names = [name.strip() for name in head.split(",")]
    if not all(_AUTHOR.fullmatch(name) for name in names):
        # An organisation, perhaps with a note after a comma; "... Excellence (NICE)" -> "NICE".
        short = _ACRONYM.search(names[0])
        return short.group(1) if short else names[0]
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} et al."


def _span(start: date, end: date) -> str:
    """ "Mon 30 Nov to Sun 6 Dec 2026", or across years "Mon 28 Dec 2026 to Sun 3 Jan 2027"."""
    if start.year != end.year:
        return f"{_day(start)} {start:%b %Y} to {_day(end)} {end:%b %Y}"
    return f"{_day(start)} {start:%b} to {_day(end)} {end:%b %Y}"


def _day(day: date) -> str:
    return f"{day:%a} {day.day}"


def _exercise_name(exercise_id: str) -> str:
    from backcoach.content.exercises import load_exercise

    try:
        return load_exercise(exercise_id).name
    except KeyError:
        return _upper_first(exercise_id.replace("_", " "))
