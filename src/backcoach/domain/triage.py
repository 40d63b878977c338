"""Red-flag triage: which rules fire, how urgent it is, and what is still unanswered.

Safety rules built in here, not left to content:
- the most urgent level among the rules that fired wins;
- an unanswered finding never counts as present for a rule, and a red flag that was not
  answered is reported (``unanswered_red_flags``) whenever answering it "yes" could raise
  the level, which makes the result ``provisional``;
- an unanswered finding in a rule's ``absent`` list counts as absent, so not answering
  can never lower the level below what "no" would give.

Findings are integer bit masks (see ``bits``), so a rule is checked with a handful of
integer operations; this runs once per case in ``assess --batch``.
"""

from __future__ import annotations

from typing import NamedTuple

from backcoach.domain.bits import FindingIndex
from backcoach.domain.catalog import Finding, TriageRule
from backcoach.domain.model import Case, Level, Reason, TriageResult


class CompiledRule(NamedTuple):
    rule: TriageRule
    level: Level
    present: int  # all must be present
    clauses: tuple[tuple[int, int], ...]  # (mask, n): at least n of mask present
    absent: int  # none may be present
    mentioned: int  # every finding the rule can need present
    trigger: int  # a rule can only fire if one of these is present (0: always check)
    has_bounds: bool


def _bounds_hold(rule: TriageRule, case: Case, *, unknown_numbers_hold: bool) -> bool:
    """Age, sex, duration and pain bounds. A bound on a number the case lacks holds only
    when asking what *could* fire."""
    if rule.age_min is not None and case.age < rule.age_min:
        return False
    if rule.age_max is not None and case.age > rule.age_max:
        return False
    if rule.sexes and case.sex not in rule.sexes:
        return False
    if rule.duration_min is not None or rule.duration_max is not None:
        duration = case.duration_days
        if duration is None:
            if not (unknown_numbers_hold or rule.fire_if_duration_unknown):
                return False
        elif (rule.duration_min is not None and duration < rule.duration_min) or (
            rule.duration_max is not None and duration > rule.duration_max
        ):
            return False
    if rule.pain_min is not None:
        if case.pain_intensity is None:
            return unknown_numbers_hold
        return case.pain_intensity >= rule.pain_min
    return True


class TriageEngine:
    def __init__(self, findings: tuple[Finding, ...], rules: tuple[TriageRule, ...]) -> None:
        self.index = FindingIndex(f.id for f in findings)
        self.red_flags = self.index.mask(f.id for f in findings if f.red_flag)
        self.rules = tuple(self._compile(rule) for rule in rules)
        # Most urgent first, so the "could raise" scan can stop at the current level.
        self._by_level = tuple(sorted(self.rules, key=lambda c: -c.level))

    def _compile(self, rule: TriageRule) -> CompiledRule:
        mask = self.index.mask
        clauses = tuple((mask(c.of), c.n) for c in rule.at_least)
        present = mask(rule.present)
        mentioned = present
        for clause_mask, _ in clauses:
            mentioned |= clause_mask
        trigger = present or (clauses[0][0] if clauses else 0)
        has_bounds = any(
            bound is not None
            for bound in (
                rule.age_min,
                rule.age_max,
                rule.duration_min,
                rule.duration_max,
                rule.pain_min,
            )
        ) or bool(rule.sexes)
        return CompiledRule(
            rule, rule.level, present, clauses, mask(rule.absent), mentioned, trigger, has_bounds
        )

    def assess(self, case: Case) -> TriageResult:
        present, absent = self.index.answer_masks(case.findings)
        return self.assess_masks(case, present, absent)

    def open_findings_that_could_raise(self, case: Case) -> tuple[str, ...]:
        """Every unanswered finding, red flag or not, that a more urgent rule than the
        current level needs and that could still fire: the questions worth asking."""
        present, absent = self.index.answer_masks(case.findings)
        level = max((c.level for c in self.fired_rules(case, present)), default=Level.SELF_CARE)
        everything = (1 << len(self.index.ids)) - 1
        found, _ = self._could_raise(case, present, absent, level, everything & ~present & ~absent)
        return self.index.ids_in(found)

    def _could_raise(
        self, case: Case, present: int, absent: int, level: Level, open_findings: int
    ) -> tuple[int, Level | None]:
        """Of ``open_findings``, those in rules above ``level`` that would fire if every
        unanswered question went the worst way; and the most urgent such level."""
        found = 0
        could_raise_to: Level | None = None
        not_absent = ~absent
        for c in self._by_level:
            if c.level <= level:
                break
            open_in_rule = c.mentioned & open_findings
            if not open_in_rule or c.present & absent or c.absent & present:
                continue
            if any((m & not_absent).bit_count() < n for m, n in c.clauses):
                continue
            if c.has_bounds and not _bounds_hold(c.rule, case, unknown_numbers_hold=True):
                continue
            found |= open_in_rule
            if could_raise_to is None:
                could_raise_to = c.level
        return found, could_raise_to

    def fired_rules(self, case: Case, present: int) -> list[CompiledRule]:
        fired = []
        for c in self.rules:
            if c.trigger and not c.trigger & present:
                continue
            if c.present & ~present or c.absent & present:
                continue
            if any((m & present).bit_count() < n for m, n in c.clauses):
                continue
            if c.has_bounds and not _bounds_hold(c.rule, case, unknown_numbers_hold=False):
                continue
            fired.append(c)
        return fired

    def assess_masks(self, case: Case, present: int, absent: int) -> TriageResult:
        fired = self.fired_rules(case, present)
        level = max((c.level for c in fired), default=Level.SELF_CARE)
        ids_in = self.index.ids_in
        fired.sort(key=lambda c: -c.level)
        reasons = tuple(
            Reason(
                c.rule.id, c.level, ids_in(c.mentioned & present), c.rule.message, c.rule.sources
            )
            for c in fired
        )
        unanswered, could_raise_to = self._could_raise(
            case, present, absent, level, self.red_flags & ~present & ~absent
        )
        return TriageResult(
            level=level,
            reasons=reasons,
            unanswered_red_flags=ids_in(unanswered),
            provisional=bool(unanswered),
            could_raise_to=could_raise_to,
        )
