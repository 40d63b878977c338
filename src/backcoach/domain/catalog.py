"""The curated knowledge the engine runs on, as plain frozen dataclasses.

``backcoach.content`` validates the data files and builds a :class:`Catalog`; the domain
functions only ever see these objects.
"""

from __future__ import annotations

from typing import NamedTuple

from backcoach.domain.model import Level


class Finding(NamedTuple):
    id: str
    group: str
    question: str
    help: str
    red_flag: bool
    phase: str  # "danger", "main" or "context": where the interview asks it
    ask_if_any: tuple[str, ...] = ()  # ask only when one of these is present
    ask_if_sex: tuple[str, ...] = ()  # ask only for these sexes (empty: everyone)
    ask_if_age_min: int | None = None
    ask_if_age_max: int | None = None
    label: str = ""  # short statement of the finding as if present, for explanations


class Condition(NamedTuple):
    id: str
    kind: str
    name: str
    what_it_is: str
    why_it_happens: str
    what_helps: str
    when_to_get_help: str
    sources: tuple[str, ...]


class Source(NamedTuple):
    id: str
    kind: str
    title: str
    by: str
    year: int
    url: str


class LevelAdvice(NamedTuple):
    """What a triage level tells the person to do."""

    level: Level
    headline: str
    action: str
    sources: tuple[str, ...]


class AtLeast(NamedTuple):
    """At least ``n`` of the findings ``of`` are present."""

    n: int
    of: tuple[str, ...]


class TriageRule(NamedTuple):
    """A declarative triage rule.

    It fires when every finding in ``present`` is present, every ``at_least`` clause is
    met, no finding in ``absent`` is present (an unanswered one counts as absent, which
    can only make the rule fire more readily), and the age, sex, duration and pain
    bounds hold. A bound on a number the case does not give is not met.
    """

    id: str
    level: Level
    message: str
    sources: tuple[str, ...]
    present: tuple[str, ...] = ()
    at_least: tuple[AtLeast, ...] = ()
    absent: tuple[str, ...] = ()
    age_min: int | None = None
    age_max: int | None = None
    sexes: tuple[str, ...] = ()
    duration_min: int | None = None
    duration_max: int | None = None
    pain_min: int | None = None
    fire_if_duration_unknown: bool = False

    @property
    def finding_ids(self) -> tuple[str, ...]:
        ids = list(self.present)
        for clause in self.at_least:
            ids.extend(clause.of)
        ids.extend(self.absent)
        return tuple(dict.fromkeys(ids))


class Evidence(NamedTuple):
    """How one finding's answer shifts the odds of one condition."""

    condition: str
    finding: str
    lr_present: float
    lr_absent: float


class PriorModifier(NamedTuple):
    """Multiply a condition's prior when the case matches these bounds."""

    factor: float
    age_min: int | None = None
    age_max: int | None = None
    sexes: tuple[str, ...] = ()
    duration_min: int | None = None
    duration_max: int | None = None


class ConditionModel(NamedTuple):
    condition: str
    prior: float
    modifiers: tuple[PriorModifier, ...] = ()


class Catalog(NamedTuple):
    findings: tuple[Finding, ...]
    conditions: tuple[Condition, ...]
    rules: tuple[TriageRule, ...]
    condition_models: tuple[ConditionModel, ...]
    evidence: tuple[Evidence, ...]
    sources: tuple[Source, ...] = ()
    levels: tuple[LevelAdvice, ...] = ()
    version: str = ""

    def advice(self, level: Level) -> LevelAdvice:
        for advice in self.levels:
            if advice.level == level:
                return advice
        raise KeyError(level.id)

    def finding(self, finding_id: str) -> Finding:
        for finding in self.findings:
            if finding.id == finding_id:
                return finding
        raise KeyError(finding_id)

    def condition(self, condition_id: str) -> Condition:
        for condition in self.conditions:
            if condition.id == condition_id:
                return condition
        raise KeyError(condition_id)
