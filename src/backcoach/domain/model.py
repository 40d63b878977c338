"""Value objects shared by the assessment engine: answers, cases, levels and results."""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from types import MappingProxyType
from typing import Final, Literal, NamedTuple

PRESENT: Final = "present"
ABSENT: Final = "absent"
UNKNOWN: Final = "unknown"
ANSWERS: Final = (PRESENT, ABSENT, UNKNOWN)
SEXES: Final = ("female", "male", "other")
NO_QUESTIONNAIRES: Mapping[str, Mapping[str, int]] = MappingProxyType({})

Answer = Literal["present", "absent", "unknown"]
Sex = Literal["female", "male", "other"]


class Level(IntEnum):
    """Triage levels, least urgent first so that ``max()`` picks the most urgent."""

    SELF_CARE = 0
    CONSULTATION = 1
    CONSULTATION_24 = 2
    EMERGENCY = 3
    EMERGENCY_AMBULANCE = 4

    @property
    def id(self) -> str:
        return self.name.lower()

    @classmethod
    def from_id(cls, level_id: str) -> Level:
        return cls[level_id.upper()]


LEVEL_IDS: Final = tuple(level.id for level in Level)


class Case(NamedTuple):
    """One person's answers. Findings not in ``findings`` are unknown.

    ``findings`` holds only answered findings (present or absent): an explicit
    ``unknown`` in a case file is dropped when the case is parsed.
    """

    age: int
    sex: Sex
    findings: dict[str, Answer]
    pain_intensity: int | None = None
    duration_days: int | None = None
    id: str | None = None
    text: str | None = None
    # Extension of the spec case: raw questionnaire answers, questionnaire id -> item id ->
    # option value (e.g. {"startback": {"sb1": 0, ...}}). Triage and ranking ignore them.
    questionnaires: Mapping[str, Mapping[str, int]] = NO_QUESTIONNAIRES

    def answer(self, finding_id: str) -> Answer:
        return self.findings.get(finding_id, UNKNOWN)

    def is_present(self, finding_id: str) -> bool:
        return self.findings.get(finding_id) == PRESENT


class Reason(NamedTuple):
    """A triage rule that fired, with the findings that made it fire."""

    rule: str
    level: Level
    findings: tuple[str, ...]
    message: str
    sources: tuple[str, ...]


class TriageResult(NamedTuple):
    level: Level
    reasons: tuple[Reason, ...]
    unanswered_red_flags: tuple[str, ...]
    provisional: bool
    # Rules that would fire if every unanswered question went the worst way, and that
    # would raise the level: what answering the open questions could still change.
    could_raise_to: Level | None = None


class Factor(NamedTuple):
    """One answer's pull on one condition: a likelihood ratio above 1 raised it."""

    finding: str
    answer: Answer
    likelihood_ratio: float


class RankedCondition(NamedTuple):
    id: str
    probability: float
    raised_by: tuple[Factor, ...] = ()
    lowered_by: tuple[Factor, ...] = ()


class Assessment(NamedTuple):
    case: Case
    triage: TriageResult
    conditions: tuple[RankedCondition, ...]
