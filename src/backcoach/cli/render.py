"""Human-readable results for an 80-column terminal. Colour is optional decoration only."""

from __future__ import annotations

import textwrap

from backcoach.domain.catalog import Catalog
from backcoach.domain.model import Assessment, Factor, Level

WIDTH = 78
SHOWN_CAUSES = 3

_COLORS = {
    Level.EMERGENCY_AMBULANCE: "\033[1;97;41m",
    Level.EMERGENCY: "\033[1;97;41m",
    Level.CONSULTATION_24: "\033[1;30;43m",
    Level.CONSULTATION: "\033[1;30;46m",
    Level.SELF_CARE: "\033[1;30;42m",
}
_RESET = "\033[0m"

# A 5-line block font, only for the emergency banner: large, clear, and plain ASCII.
_FONT = {
    "G": ["#####", "#    ", "# ###", "#   #", "#####"],
    "E": ["#####", "#    ", "#### ", "#    ", "#####"],
    "T": ["#####", "  #  ", "  #  ", "  #  ", "  #  "],
    "H": ["#   #", "#   #", "#####", "#   #", "#   #"],
    "L": ["#    ", "#    ", "#    ", "#    ", "#####"],
    "P": ["#### ", "#   #", "#### ", "#    ", "#    "],
    "N": ["#   #", "##  #", "# # #", "#  ##", "#   #"],
    "O": [" ### ", "#   #", "#   #", "#   #", " ### "],
    "W": ["#   #", "#   #", "# # #", "## ##", "#   #"],
    " ": ["   ", "   ", "   ", "   ", "   "],
}


def banner(text: str) -> str:
    rows = ["".join(_FONT[ch][row] + " " for ch in text).rstrip() for row in range(5)]
    return "\n".join(rows) + "\n"


def wrap(text: str, indent: str = "", width: int = WIDTH, *, hanging: str | None = None) -> str:
    """Wrap to the width; ``hanging`` indents the continuation lines (default: as the first)."""
    rest = indent if hanging is None else hanging
    return textwrap.fill(text, width=width, initial_indent=indent, subsequent_indent=rest) + "\n"


def boxed(lines: list[str], width: int = WIDTH) -> str:
    inner = width - 4
    out = ["+" + "-" * (width - 2) + "+"]
    for line in lines:
        for piece in textwrap.wrap(line, inner) or [""]:
            out.append(f"| {piece.ljust(inner)} |")
    out.append("+" + "-" * (width - 2) + "+")
    return "\n".join(out) + "\n"


def render_emergency(assessment: Assessment, catalog: Catalog, *, color: bool) -> str:
    """What to do now, before anything else."""
    advice = catalog.advice(assessment.triage.level)
    # The plain line first: screen readers and logs get the message, not the drawing.
    plain = f"GET HELP NOW: {advice.headline.upper()}\n"
    head = banner("GET HELP NOW")
    if color:
        head = "".join(
            f"{_COLORS[assessment.triage.level]}{row}{_RESET}\n" for row in head.splitlines()
        )
    lines = [advice.headline.upper(), "", advice.action, ""]
    lines += [f"* {r.message}" for r in assessment.triage.reasons if r.level >= Level.EMERGENCY]
    return "\n" + plain + "\n" + head + "\n" + boxed(lines)


def render_triage(assessment: Assessment, catalog: Catalog, *, color: bool) -> str:
    triage = assessment.triage
    if triage.level >= Level.EMERGENCY:
        return render_emergency(assessment, catalog, color=color)
    advice = catalog.advice(triage.level)
    title = f" {advice.headline.upper()} "
    head = (
        f"{_COLORS[triage.level]}{title}{_RESET}" if color else f"== {advice.headline.upper()} =="
    )
    lines = [advice.action]
    if triage.reasons:
        lines.append("")
        lines.append("Why:")
        lines += [f"* {r.message}" for r in triage.reasons]
    text = head + "\n" + boxed(lines)
    if triage.provisional:
        questions = [catalog.finding(fid).question for fid in triage.unanswered_red_flags]
        text += "\nThis result is not final. Some safety questions were not answered:\n"
        text += "".join(wrap(q, "  - ", hanging="    ") for q in questions[:8])
        if len(questions) > 8:
            text += f"  ... and {len(questions) - 8} more.\n"
        text += wrap("If the answer to any of these is yes, get help as the questions say.")
    return text


def _why(factor: Factor, catalog: Catalog) -> str:
    finding = catalog.finding(factor.finding)
    answer = "yes" if factor.answer == "present" else "no"
    return f"{answer}: {finding.label or finding.question}"


def render_causes(assessment: Assessment, catalog: Catalog) -> str:
    text = "\nLIKELY CAUSES (not a diagnosis; + points towards a cause, - away from it)\n"
    for ranked in assessment.conditions[:SHOWN_CAUSES]:
        condition = catalog.condition(ranked.id)
        percent = round(ranked.probability * 100)
        bar = "#" * max(1, round(ranked.probability * 20))
        gauge = f"{bar:<20} {percent:>3}%"
        if len(condition.name) > WIDTH - len(gauge) - 2:
            text += f"\n{condition.name}\n{gauge:>{WIDTH}}\n"
        else:
            text += f"\n{condition.name:<{WIDTH - len(gauge) - 1}} {gauge}\n"
        text += wrap(condition.what_it_is, "  ")
        for factor in ranked.raised_by[:3]:
            text += wrap(_why(factor, catalog), "  + ", hanging="    ")
        for factor in ranked.lowered_by[:2]:
            text += wrap(_why(factor, catalog), "  - ", hanging="    ")
    return text


def render_next_steps(assessment: Assessment, catalog: Catalog) -> str:
    top = catalog.condition(assessment.conditions[0].id)
    text = "\nWHAT TO DO NEXT\n"
    text += wrap(top.what_helps, "  ")
    text += wrap("When to get help: " + top.when_to_get_help, "  ")
    return text


def render_assessment(assessment: Assessment, catalog: Catalog, *, color: bool) -> str:
    text = render_triage(assessment, catalog, color=color)
    if assessment.triage.level >= Level.EMERGENCY:
        return text
    return text + render_causes(assessment, catalog) + render_next_steps(assessment, catalog)
