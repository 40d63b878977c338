"""``backcoach why``: why does my back hurt? One answer for this person, from their latest
assessment, their check-ins and their running, in the terminal or as a page to keep."""

from __future__ import annotations

import html
import sys
from datetime import date
from typing import IO, Any

from backcoach.cli.errors import EXIT_OK, UserError
from backcoach.cli.render import wrap

Section = tuple[str, list[str]]  # heading, paragraphs
RUNNING_ADVICE = ("running_single_run_rule", "running_relative_rest", "running_pain_rules")


def run(*, html_path: str | None, today: date, out: IO[str]) -> int:
    sections = build(today)
    if html_path:
        from backcoach.adapters.paths import write_atomically

        try:
            write_atomically(html_path, render_html(sections).encode("utf-8"))
        except OSError as exc:
            raise UserError(f"--html {html_path}: cannot write ({exc.strerror})") from None
        print(f"Wrote {html_path}", file=sys.stderr)
    out.write(render_text(sections))
    return EXIT_OK


def build(today: date) -> list[Section]:
    from backcoach.cli.engine import assessor, catalog
    from backcoach.cli.store import open_user_store
    from backcoach.domain.model import Level

    store = open_user_store()
    stored = store.latest_stored_assessment()
    if stored is None:
        raise UserError("no assessment yet. Run `backcoach assess` first.")
    cat = catalog()
    assessment = assessor().assess(stored.case)
    advice = cat.advice(assessment.triage.level)
    sections: list[Section] = []
    urgent = assessment.triage.level >= Level.CONSULTATION_24
    first = [advice.headline + ".", advice.action]
    sections.append(("WHAT TO DO FIRST" if urgent else "HOW URGENT IS IT", first))
    if assessment.triage.level >= Level.EMERGENCY:
        return sections  # nothing else before help is on its way
    causes = []
    for ranked in assessment.conditions[:3]:
        condition = cat.condition(ranked.id)
        causes.append(
            f"{condition.name} (about {round(ranked.probability * 100)}%): "
            f"{condition.why_it_happens}"
        )
    sections.append(("THE LIKELY CAUSES (not a diagnosis)", causes))
    sections += _recovery(store, today)
    sections += _running(store, assessment.case.sex == "female")
    top = cat.condition(assessment.conditions[0].id)
    sections.append(("WHEN TO SEE SOMEONE", [top.when_to_get_help]))
    return sections


def _recovery(store: Any, today: date) -> list[Section]:
    from backcoach.cli.progress import verdict_text
    from backcoach.content.recovery import load_recovery_rules
    from backcoach.services.recovery import progress_report

    rules = load_recovery_rules()
    report = progress_report(store, today=today, rules=rules)
    if not report.progress.points:
        return [("YOUR CHECK-INS", ["No check-ins yet. Run `backcoach checkin` each day."])]
    lines = [verdict_text(report.progress, rules)]
    if report.progress.flares:
        lines.append(f"You had {len(report.progress.flares)} flare-ups.")
    if report.adaptation is not None:
        lines.append(report.adaptation.message)
    return [("YOUR CHECK-INS", lines)]


def _running(store: Any, female: bool) -> list[Section]:
    from backcoach.cli.runs import comparison_text
    from backcoach.content.advice import load_advice
    from backcoach.content.running import load_training_rules
    from backcoach.services.running import running_report

    rules = load_training_rules()
    from backcoach.cli.clock import local_timezone

    tz = local_timezone()
    report = running_report(store, rules=rules, tz=tz, female=female)
    runs = [r for r in report.loads if r.activity.sport == "running"]
    if not runs:
        return []
    lines = []
    shown = [c for c in report.comparisons if c.clear]
    if shown:
        lines += [comparison_text(c, rules) for c in shown[:4]]
    elif report.pain:
        lines.append(
            "Your check-ins do not yet show a clear link between your runs and your pain "
            "(not enough days, or no real difference)."
        )
    spikes = [r for r in runs if r.is_spike]
    if spikes:
        lines.append(
            f"{len(spikes)} of your {len(runs)} runs were more than "
            f"{100 * (rules.spike_ratio - 1):.0f}% longer than your longest run in the "
            f"{rules.spike_window_days} days before. Runs like these are linked to injury."
        )
    by_id = {a.id: a for a in load_advice()}
    change = [f"{by_id[i].title}: {by_id[i].text}" for i in RUNNING_ADVICE if i in by_id]
    return [("WHAT YOUR RUNNING SHOWS", lines), ("WHAT TO CHANGE", change)]


def render_text(sections: list[Section]) -> str:
    text = "WHY DOES MY BACK HURT?\n"
    for heading, paragraphs in sections:
        text += f"\n{heading}\n" + "".join(wrap(p, "  ") for p in paragraphs)
    return text


def render_html(sections: list[Section]) -> str:
    body = "".join(
        f"<h2>{html.escape(heading.capitalize())}</h2>"
        + "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        for heading, paragraphs in sections
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Why does my back hurt?</title><style>body{font:17px/1.5 system-ui,sans-serif;"
        "max-width:42em;margin:2em auto;padding:0 1em;color:#222}h2{margin-top:1.6em;"
        "font-size:1.15em}</style></head><body><h1>Why does my back hurt?</h1>"
        + body
        + "<p><small>backcoach is not a diagnosis. If you are worried, see a doctor.</small></p>"
        + "</body></html>\n"
    )
