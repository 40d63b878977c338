"""Evidence-graded self-care advice and the rule that decides who it is for.

Pure Python. The advice itself lives in ``content/data/advice.yaml`` and reaches this
module as :class:`AdviceItem` objects built by ``backcoach.content.advice``. The plan
builder picks items with :func:`applies` (or :func:`select`) from what the assessment
found: the likely conditions, the findings present, the triage level and the STarT Back
risk group.

How a :class:`Selector` matches a person:

- ``conditions_any`` and ``findings_any`` together say *who the item is about*: when
  either list is given, at least one listed condition must be likely **or** one listed
  finding present (so "runners, or anyone whose pain began on a run" is one selector);
- ``findings_none``: none of these findings may be present;
- ``levels``: the triage level must be one of these;
- ``startback``: the STarT Back risk group must be one of these (an unknown group
  matches no list).

Every part that is given must hold; a part left empty places no limit. An item applies
when its ``when`` selector matches and its ``not_if`` selector does not. An empty
``when`` matches everyone; an empty ``not_if`` excludes no one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Final, NamedTuple

from backcoach.domain.model import LEVEL_IDS, Level

WAYS: Final = (
    "education",
    "exercise",
    "workstation",
    "sleep",
    "diet_weight",
    "breathing",
    "pacing",
    "stress",
    "pain_relief",
    "running",
    "safety_net",
)
"""The ways an item helps, in the order a plan shows them."""

# How a plan heads each way, in plain words.
WAY_TITLES: Final = {
    "education": "Understanding your back",
    "exercise": "Moving and exercise",
    "workstation": "Desk and workstation",
    "sleep": "Sleep",
    "diet_weight": "Food, weight and smoking",
    "breathing": "Calm breathing",
    "pacing": "Pacing your day",
    "stress": "Stress and worry",
    "pain_relief": "Easing the pain",
    "running": "Running",
    "safety_net": "When to stop and get help",
}

EVIDENCE_GRADES: Final = ("high", "moderate", "low", "very_low", "expert_opinion")
"""How good the evidence behind an item is, best first (GRADE words, plus expert opinion
for advice that rests on clinical consensus rather than trials)."""

STARTBACK_RISKS: Final = ("low", "medium", "high")

LEVELS: Final = LEVEL_IDS


class Selector(NamedTuple):
    """Which people an advice item is for (``when``) or must never reach (``not_if``)."""

    conditions_any: tuple[str, ...] = ()
    findings_any: tuple[str, ...] = ()
    findings_none: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    startback: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not any(self)


EVERYONE: Final = Selector()


class AdviceItem(NamedTuple):
    """One piece of patient-facing advice with its evidence grade and sources."""

    id: str
    way: str  # one of WAYS
    title: str
    text: str
    evidence: str  # one of EVIDENCE_GRADES
    evidence_note: str  # how good the evidence is, in plain words
    sources: tuple[str, ...]
    when: Selector = EVERYONE
    not_if: Selector = EVERYONE
    cautions: tuple[str, ...] = ()


def matches(
    selector: Selector,
    condition_ids: Collection[str],
    findings_present: Collection[str],
    level: str | None,
    startback: str | None,
) -> bool:
    """Whether a person fits ``selector`` (see the module notes). Empty matches all."""
    if selector.conditions_any or selector.findings_any:
        about = any(c in condition_ids for c in selector.conditions_any) or any(
            f in findings_present for f in selector.findings_any
        )
        if not about:
            return False
    if any(f in findings_present for f in selector.findings_none):
        return False
    if selector.levels and level not in selector.levels:
        return False
    return not (selector.startback and startback not in selector.startback)


def applies(
    item: AdviceItem,
    condition_ids: Iterable[str],
    findings_present: Iterable[str],
    level: str | Level | None = None,
    startback: str | None = None,
) -> bool:
    """Whether ``item`` is for this person.

    ``condition_ids`` are the likely conditions, ``findings_present`` the findings
    answered "present", ``level`` the triage level (a :class:`Level` or its id) and
    ``startback`` the STarT Back risk group ("low", "medium" or "high"); ``None`` when
    not known.
    """
    conditions = frozenset(condition_ids)
    findings = frozenset(findings_present)
    level_id = level.id if isinstance(level, Level) else level
    if not matches(item.when, conditions, findings, level_id, startback):
        return False
    if item.not_if.is_empty:
        return True
    return not matches(item.not_if, conditions, findings, level_id, startback)


def select(
    items: Iterable[AdviceItem],
    condition_ids: Iterable[str],
    findings_present: Iterable[str],
    level: str | Level | None = None,
    startback: str | None = None,
) -> tuple[AdviceItem, ...]:
    """The items that apply to this person, in their original order."""
    conditions = frozenset(condition_ids)
    findings = frozenset(findings_present)
    return tuple(i for i in items if applies(i, conditions, findings, level, startback))
