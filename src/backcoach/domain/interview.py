"""The interview: which question to ask next, and when to stop.

Pure logic over the catalog and the :class:`Assessor`; the terminal (or any other front
end) only shows the questions and feeds the answers back. The order is fixed by safety:

1. every *danger* question (catalog order) whose gate is open. After each answer the case
   is triaged again, and as soon as the level is ``emergency`` or ``emergency_ambulance``
   the interview stops: what to do now comes before anything else;
2. pain now and days since it began (``AskNumbers``), which some rules and priors need;
3. *main* questions, then *context* questions (catalog order), but only those whose
   answer can still change the result (:func:`worth_asking`).

A question worth asking, given the answers so far, is one that

- can raise the triage level: it is needed present by a rule more urgent than the current
  level that could still fire if every open question went the worst way (age, sex and the
  answered questions are fixed, unknown pain or duration counts as fitting);
- or opens the gate (``ask_if_any``) of a danger question not yet asked, or of a question
  that would be worth asking once the gate is open (:func:`opens_useful_question`);
- or changes the level or the ordered top-3 likely causes when answered "yes" or "no"
  (one step ahead), provided it carries likelihood evidence for a condition that is at
  least :data:`RELEVANT_PROBABILITY` likely now. Below that a condition is not shown
  among the likely causes and evidence about it alone is not worth the person's time.

"Don't know" is kept as ``unknown``: it never counts as "no", the engine ignores it for
ranking, and an unknown red flag keeps the result provisional.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Final

from backcoach.domain.assessment import Assessor
from backcoach.domain.catalog import Catalog, Finding
from backcoach.domain.model import (
    ABSENT,
    PRESENT,
    UNKNOWN,
    Answer,
    Assessment,
    Case,
    Level,
    Sex,
    TriageResult,
)

DANGER: Final = "danger"
MAIN: Final = "main"
CONTEXT: Final = "context"
PHASES: Final = (DANGER, MAIN, CONTEXT)

# A condition at least this likely (2%) makes its evidence worth a question. With the
# uniform starting priors of 22 conditions every condition starts near 4.5%, so nothing
# is cut before the first answers; a condition falls below 2% only once the answers have
# made it clearly unlikely.
RELEVANT_PROBABILITY: Final = 0.02
# How many likely causes the result explains; a question that cannot change these (in
# order) cannot change what the person reads.
TOP_CAUSES: Final = 3


# --- state ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InterviewState:
    """Everything answered so far. Immutable: each answer gives a new state."""

    age: int
    sex: Sex
    answers: tuple[tuple[str, Answer], ...] = ()  # in the order asked
    pain_intensity: int | None = None
    duration_days: int | None = None
    numbers_asked: bool = False  # pain and duration were asked (either may be unknown)

    @property
    def findings(self) -> dict[str, Answer]:
        """Every asked finding with its answer, ``unknown`` included."""
        return dict(self.answers)

    def answer(self, finding_id: str) -> Answer | None:
        """The answer given, or ``None`` if the question was not asked."""
        for fid, answer in self.answers:
            if fid == finding_id:
                return answer
        return None

    def asked(self, finding_id: str) -> bool:
        return self.answer(finding_id) is not None

    def with_answer(self, finding_id: str, answer: Answer) -> InterviewState:
        if answer not in (PRESENT, ABSENT, UNKNOWN):
            raise ValueError(f"not an answer: {answer!r}")
        kept = tuple((fid, a) for fid, a in self.answers if fid != finding_id)
        return replace(self, answers=(*kept, (finding_id, answer)))

    def with_numbers(self, pain_intensity: int | None, duration_days: int | None) -> InterviewState:
        if pain_intensity is not None and not 0 <= pain_intensity <= 10:
            raise ValueError(f"pain must be 0-10, got {pain_intensity}")
        if duration_days is not None and not 0 <= duration_days <= 36500:
            raise ValueError(f"duration must be 0-36500 days, got {duration_days}")
        return replace(
            self, pain_intensity=pain_intensity, duration_days=duration_days, numbers_asked=True
        )

    def case(
        self,
        case_id: str | None = None,
        questionnaires: Mapping[str, Mapping[str, int]] | None = None,
    ) -> Case:
        """The case to assess: unknown answers are left out, as a case file drops them."""
        return Case(
            age=self.age,
            sex=self.sex,
            findings={fid: a for fid, a in self.answers if a != UNKNOWN},
            pain_intensity=self.pain_intensity,
            duration_days=self.duration_days,
            id=case_id,
            questionnaires={q: dict(items) for q, items in (questionnaires or {}).items()},
        )


def start(age: int, sex: Sex) -> InterviewState:
    if not 0 <= age <= 120:
        raise ValueError(f"age must be 0-120, got {age}")
    return InterviewState(age=age, sex=sex)


# --- steps ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ask:
    """Ask this yes / no / don't know question.

    ``number`` counts the questions of this kind (safety, or the others) including this
    one. For safety questions ``total`` is exact for the answers so far (a gate opened by
    a later answer can add one); for the others it is the number still worth asking now
    plus those answered, an estimate that shrinks as answers settle the result.
    """

    finding: Finding
    number: int
    total: int

    @property
    def is_safety(self) -> bool:
        return self.finding.phase == DANGER


@dataclass(frozen=True, slots=True)
class AskNumbers:
    """Ask the pain now (0-10) and the days since this episode began."""


@dataclass(frozen=True, slots=True)
class Done:
    """The interview is over. ``emergency``: it stopped early, show what to do now."""

    assessment: Assessment
    emergency: bool


Step = Ask | AskNumbers | Done


def is_emergency(result: TriageResult | Assessment) -> bool:
    """True when the person must get help now: the interview stops."""
    triage = result.triage if isinstance(result, Assessment) else result
    return triage.level >= Level.EMERGENCY


def next_step(assessor: Assessor, state: InterviewState) -> Step:
    """What to do next, given the answers so far."""
    assessment = assessor.assess(state.case())
    if is_emergency(assessment):
        return Done(assessment, emergency=True)
    catalog = assessor.catalog
    danger = next_danger_question(catalog, state)
    if danger is not None:
        done = sum(1 for fid, _ in state.answers if _phase(catalog, fid) == DANGER)
        remaining = len(open_questions(catalog, state, DANGER))
        return Ask(danger, done + 1, done + remaining)
    if not state.numbers_asked:
        return AskNumbers()
    useful = useful_questions(assessor, state, assessment)
    if not useful:
        return Done(assessment, emergency=False)
    done = sum(1 for fid, _ in state.answers if _phase(catalog, fid) != DANGER)
    return Ask(useful[0], done + 1, done + len(useful))


def next_question(assessor: Assessor, state: InterviewState) -> Finding | None:
    """The next finding to ask about, or ``None`` when the findings are done.

    ``None`` also when the answers already make it an emergency. Pain and duration are
    not findings: see :func:`next_step` for where they come.
    """
    assessment = assessor.assess(state.case())
    if is_emergency(assessment):
        return None
    danger = next_danger_question(assessor.catalog, state)
    if danger is not None:
        return danger
    useful = useful_questions(assessor, state, assessment)
    return useful[0] if useful else None


# --- gating -----------------------------------------------------------------------------


def is_askable(finding: Finding, state: InterviewState) -> bool:
    """Whether the finding's gates let it be asked of this person with these answers.

    ``ask_if_any`` opens when one of its findings is present. For a red flag it also
    opens when one of them was answered "don't know": not knowing whether a gate applies
    is no reason to skip a safety question.
    """
    if finding.ask_if_sex and state.sex not in finding.ask_if_sex:
        return False
    if finding.ask_if_age_min is not None and state.age < finding.ask_if_age_min:
        return False
    if finding.ask_if_age_max is not None and state.age > finding.ask_if_age_max:
        return False
    if finding.ask_if_any:
        opening = (PRESENT, UNKNOWN) if finding.red_flag else (PRESENT,)
        return any(state.answer(fid) in opening for fid in finding.ask_if_any)
    return True


def open_questions(catalog: Catalog, state: InterviewState, phase: str) -> list[Finding]:
    """Unasked findings of one phase whose gates are open, in catalog order."""
    return [
        f
        for f in catalog.findings
        if f.phase == phase and not state.asked(f.id) and is_askable(f, state)
    ]


def next_danger_question(catalog: Catalog, state: InterviewState) -> Finding | None:
    """Danger questions are always asked, all of them, before anything else."""
    for finding in catalog.findings:
        if finding.phase == DANGER and not state.asked(finding.id) and is_askable(finding, state):
            return finding
    return None


def _phase(catalog: Catalog, finding_id: str) -> str:
    return catalog.finding(finding_id).phase


# --- which questions can change the result ----------------------------------------------


def useful_questions(
    assessor: Assessor, state: InterviewState, assessment: Assessment | None = None
) -> list[Finding]:
    """Main then context questions still worth asking, in that order (catalog order)."""
    if assessment is None:
        assessment = assessor.assess(state.case())
    catalog = assessor.catalog
    return [
        finding
        for phase in (MAIN, CONTEXT)
        for finding in open_questions(catalog, state, phase)
        if worth_asking(assessor, state, finding, assessment)
    ]


def worth_asking(
    assessor: Assessor,
    state: InterviewState,
    finding: Finding,
    assessment: Assessment,
    depth: int = 0,
) -> bool:
    """Whether answering ``finding`` could change the triage level or the top causes."""
    catalog = assessor.catalog
    if could_raise_level(assessor, state, finding.id):
        return True
    if opens_useful_question(assessor, state, finding.id, depth):
        return True
    if not has_relevant_evidence(catalog, finding.id, assessment):
        return False
    return any(
        _changes_result(assessor, state, finding.id, answer, assessment)
        for answer in (PRESENT, ABSENT)
    )


def could_raise_level(assessor: Assessor, state: InterviewState, finding_id: str) -> bool:
    """Some rule more urgent than the current level needs this finding and could fire."""
    return finding_id in assessor.triage.open_findings_that_could_raise(state.case())


MAX_GATE_DEPTH: Final = 3  # gates of gates looked through; content has one level today


def opens_useful_question(
    assessor: Assessor, state: InterviewState, finding_id: str, depth: int = 0
) -> bool:
    """A "yes" would open the gate of a question worth asking then.

    A gated danger question is always worth it. A gated main or context question is
    judged as if the gate had been answered "yes": e.g. "does the pain spread into your
    leg?" carries no evidence itself, but opens "does it go below the knee?", which does.
    """
    catalog = assessor.catalog
    assumed = state.with_answer(finding_id, PRESENT)
    opened = [
        f
        for f in catalog.findings
        if finding_id in f.ask_if_any
        and not state.asked(f.id)
        and not is_askable(f, state)
        and is_askable(f, assumed)
    ]
    if any(f.phase == DANGER for f in opened):
        return True
    if not opened or depth >= MAX_GATE_DEPTH:
        return False
    after = assessor.assess(assumed.case())
    return any(worth_asking(assessor, assumed, f, after, depth + 1) for f in opened)


def has_relevant_evidence(catalog: Catalog, finding_id: str, assessment: Assessment) -> bool:
    """The finding shifts the odds of a condition that is at least 2% likely now."""
    relevant = {c.id for c in assessment.conditions if c.probability >= RELEVANT_PROBABILITY}
    return any(
        e.finding == finding_id
        and e.condition in relevant
        and (e.lr_present != 1.0 or e.lr_absent != 1.0)
        for e in catalog.evidence
    )


def top_causes(assessment: Assessment, n: int = TOP_CAUSES) -> tuple[str, ...]:
    """The first ``n`` likely causes, in order, leaving out any below 2%.

    Reordering conditions that are all below :data:`RELEVANT_PROBABILITY` does not count
    as a change of result.
    """
    return tuple(c.id for c in assessment.conditions[:n] if c.probability >= RELEVANT_PROBABILITY)


def _changes_result(
    assessor: Assessor,
    state: InterviewState,
    finding_id: str,
    answer: Answer,
    assessment: Assessment,
) -> bool:
    after = assessor.assess(state.with_answer(finding_id, answer).case())
    return after.triage.level != assessment.triage.level or top_causes(after) != top_causes(
        assessment
    )
