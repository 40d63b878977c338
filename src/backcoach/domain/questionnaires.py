"""Patient questionnaires: their shape, their scoring, and minimal important change.

Pure Python. The item wording lives in the content files
(``content/data/questionnaires/*.yaml``) and reaches this module as :class:`Questionnaire`
objects built by ``backcoach.content.questionnaires``. The scoring rules are fixed by the
published instruments, so they live here, keyed by questionnaire id:

- ``nprs``: Numeric Pain Rating Scale, one item 0-10; score = the answer.
- ``peg``: PEG (Krebs et al. 2009), three items 0-10; score = their mean.
- ``startback``: Keele STarT Back Screening Tool, nine items. Total = number of positive
  items (items 1-8 positive for "Agree"; item 9 only for "Very much" or "Extremely");
  psychosocial subscale = items 5-9. Total 0-3: low risk; total 4-9: medium risk, unless
  the subscale is 4 or 5: high risk.
- ``rmdq``: Roland-Morris Disability Questionnaire (24 items); score = number ticked.

Answers are given as ``{item id: option value}``. Anything that is not exactly one valid
option value for every item raises :class:`AnswerError` naming the item.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

# --- the instruments' shape -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Option:
    """One answer option. ``value`` is what is stored as the raw answer."""

    value: int
    label: str


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    text: str
    options: tuple[Option, ...]
    loinc: str | None = None

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(option.value for option in self.options)

    def option(self, value: int) -> Option:
        for option in self.options:
            if option.value == value:
                return option
        raise KeyError(value)


@dataclass(frozen=True, slots=True)
class Questionnaire:
    """A questionnaire as shipped in the content files, wording unmodified."""

    id: str
    name: str
    version: str
    language: str
    licence: str
    recall_period: str
    instructions: str
    items: tuple[Item, ...]
    scoring: str  # how the score is worked out, in words
    score_loinc: str | None  # LOINC code of the score; None when no code exists
    sources: tuple[str, ...] = ()
    wording_source: str = ""
    copyright: str = ""  # copyright statement to show with licensed wording
    licence_notice: str = ""  # owner's licence terms, quoted
    funding: str = ""  # funding statement the owner asks to keep with the tool
    notice_file: str | None = None  # plain-text notice shipped next to the data file

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)


@dataclass(frozen=True, slots=True)
class QuestionnaireResult:
    """A scored questionnaire. The raw answers are kept, in item order."""

    questionnaire_id: str
    questionnaire_version: str
    language: str
    answers: tuple[tuple[str, int], ...]
    score: float
    score_max: float
    loinc: str | None
    subscales: tuple[tuple[str, float], ...] = ()
    category: str | None = None  # e.g. STarT Back "low" / "medium" / "high"

    def answer(self, item_id: str) -> int:
        for key, value in self.answers:
            if key == item_id:
                return value
        raise KeyError(item_id)

    def subscale(self, name: str) -> float:
        for key, value in self.subscales:
            if key == name:
                return value
        raise KeyError(name)

    @property
    def answers_map(self) -> dict[str, int]:
        return dict(self.answers)


# --- errors -----------------------------------------------------------------------------


class AnswerError(ValueError):
    """An answer set does not fit the questionnaire. The message names the item."""

    def __init__(self, questionnaire_id: str, item_id: str, problem: str) -> None:
        self.questionnaire_id, self.item_id, self.problem = questionnaire_id, item_id, problem
        super().__init__(f"{questionnaire_id}: item {item_id!r}: {problem}")


class DefinitionError(ValueError):
    """A questionnaire's items do not match what its scoring rules expect."""

    def __init__(
        self, questionnaire_id: str, item_id: str | None, field: str, problem: str
    ) -> None:
        self.questionnaire_id, self.item_id = questionnaire_id, item_id
        self.field, self.problem = field, problem
        where = f"item {item_id!r}, " if item_id is not None else ""
        super().__init__(f"{questionnaire_id}: {where}{field}: {problem}")


# --- what each scorer expects -----------------------------------------------------------

_ZERO_TO_TEN = tuple(range(11))
_NO_YES = (0, 1)

STARTBACK_ITEMS = tuple(f"sb{n}" for n in range(1, 10))
STARTBACK_PSYCHOSOCIAL = ("sb5", "sb6", "sb7", "sb8", "sb9")
STARTBACK_BOTHER_ITEM = "sb9"
# Item 9 options: 0 Not at all, 1 Slightly, 2 Moderately, 3 Very much, 4 Extremely.
# Keele: positive only for "Very much" or "Extremely".
STARTBACK_BOTHER_POSITIVE = frozenset({3, 4})
RMDQ_ITEMS = tuple(f"rmdq{n}" for n in range(1, 25))
PEG_ITEMS = ("peg_pain", "peg_enjoyment", "peg_activity")
NPRS_ITEMS = ("pain_now",)

EXPECTED_ITEMS: dict[str, dict[str, tuple[int, ...]]] = {
    "nprs": dict.fromkeys(NPRS_ITEMS, _ZERO_TO_TEN),
    "peg": dict.fromkeys(PEG_ITEMS, _ZERO_TO_TEN),
    "startback": {
        **dict.fromkeys(STARTBACK_ITEMS[:8], _NO_YES),
        STARTBACK_BOTHER_ITEM: (0, 1, 2, 3, 4),
    },
    "rmdq": dict.fromkeys(RMDQ_ITEMS, _NO_YES),
}


def check_questionnaire(questionnaire: Questionnaire) -> None:
    """Raise :class:`DefinitionError` unless the items are exactly what scoring expects.

    Item ids, their order and each item's option values must match; wording is not
    checked here.
    """
    qid = questionnaire.id
    expected = EXPECTED_ITEMS.get(qid)
    if expected is None:
        raise DefinitionError(qid, None, "id", "no scoring rules for this questionnaire")
    for item in questionnaire.items:
        if item.id not in expected:
            raise DefinitionError(qid, item.id, "id", "not an item of this questionnaire")
    for item_id in expected:
        if item_id not in questionnaire.item_ids:
            raise DefinitionError(qid, item_id, "id", "item is missing")
    if questionnaire.item_ids != tuple(expected):
        raise DefinitionError(qid, None, "items", f"items must be in the order {list(expected)}")
    for item in questionnaire.items:
        if tuple(sorted(item.values)) != expected[item.id]:
            raise DefinitionError(
                qid, item.id, "options", f"option values must be {list(expected[item.id])}"
            )


def validate_answers(questionnaire: Questionnaire, answers: Mapping[str, object]) -> dict[str, int]:
    """Check one valid option value per item; return the answers as ``{item id: value}``."""
    qid = questionnaire.id
    known = set(questionnaire.item_ids)
    for item_id in sorted(str(key) for key in answers if key not in known):
        raise AnswerError(qid, item_id, "no such item in this questionnaire")
    clean: dict[str, int] = {}
    for item in questionnaire.items:
        if item.id not in answers:
            raise AnswerError(qid, item.id, "no answer given")
        value = answers[item.id]
        if isinstance(value, bool) or not isinstance(value, int):
            raise AnswerError(qid, item.id, f"answer must be a whole number, got {value!r}")
        if value not in item.values:
            allowed = ", ".join(str(v) for v in item.values)
            raise AnswerError(qid, item.id, f"{value} is not one of the answer values {allowed}")
        clean[item.id] = value
    return clean


def _start(
    questionnaire: Questionnaire, expected_id: str, answers: Mapping[str, object]
) -> dict[str, int]:
    if questionnaire.id != expected_id:
        raise ValueError(f"expected the {expected_id!r} questionnaire, got {questionnaire.id!r}")
    check_questionnaire(questionnaire)
    return validate_answers(questionnaire, answers)


def _result(
    questionnaire: Questionnaire,
    clean: dict[str, int],
    score: float,
    score_max: float,
    subscales: tuple[tuple[str, float], ...] = (),
    category: str | None = None,
) -> QuestionnaireResult:
    return QuestionnaireResult(
        questionnaire_id=questionnaire.id,
        questionnaire_version=questionnaire.version,
        language=questionnaire.language,
        answers=tuple((item_id, clean[item_id]) for item_id in questionnaire.item_ids),
        score=score,
        score_max=score_max,
        loinc=questionnaire.score_loinc,
        subscales=subscales,
        category=category,
    )


# --- scoring ----------------------------------------------------------------------------


def score_nprs(questionnaire: Questionnaire, answers: Mapping[str, object]) -> QuestionnaireResult:
    """Numeric Pain Rating Scale: the score is the answer, 0-10."""
    clean = _start(questionnaire, "nprs", answers)
    return _result(questionnaire, clean, clean["pain_now"], 10)


def score_peg(questionnaire: Questionnaire, answers: Mapping[str, object]) -> QuestionnaireResult:
    """PEG: the mean of the three 0-10 items (Krebs et al. 2009), not rounded."""
    clean = _start(questionnaire, "peg", answers)
    mean = sum(clean[item] for item in PEG_ITEMS) / len(PEG_ITEMS)
    return _result(questionnaire, clean, mean, 10)


def startback_positive(item_id: str, value: int) -> bool:
    """Whether one STarT Back answer counts as positive (Keele scoring)."""
    if item_id == STARTBACK_BOTHER_ITEM:
        return value in STARTBACK_BOTHER_POSITIVE
    return value == 1


def startback_category(total: int, psychosocial: int) -> str:
    """Keele: total 0-3 low; otherwise psychosocial subscale 4-5 high, else medium."""
    if total <= 3:
        return "low"
    if psychosocial >= 4:
        return "high"
    return "medium"


def score_startback(
    questionnaire: Questionnaire, answers: Mapping[str, object]
) -> QuestionnaireResult:
    """Keele STarT Back: total 0-9, psychosocial subscale 0-5, risk low/medium/high."""
    clean = _start(questionnaire, "startback", answers)
    positive = {item: startback_positive(item, value) for item, value in clean.items()}
    total = sum(positive.values())
    psychosocial = sum(positive[item] for item in STARTBACK_PSYCHOSOCIAL)
    return _result(
        questionnaire,
        clean,
        total,
        9,
        subscales=(("psychosocial", psychosocial),),
        category=startback_category(total, psychosocial),
    )


def score_rmdq(questionnaire: Questionnaire, answers: Mapping[str, object]) -> QuestionnaireResult:
    """Roland-Morris: the number of statements ticked, 0-24."""
    clean = _start(questionnaire, "rmdq", answers)
    return _result(questionnaire, clean, sum(clean.values()), 24)


Scorer = Callable[[Questionnaire, Mapping[str, object]], QuestionnaireResult]

SCORERS: dict[str, Scorer] = {
    "nprs": score_nprs,
    "peg": score_peg,
    "startback": score_startback,
    "rmdq": score_rmdq,
}


def score(questionnaire: Questionnaire, answers: Mapping[str, object]) -> QuestionnaireResult:
    """Score any supported questionnaire, dispatching on its id."""
    scorer = SCORERS.get(questionnaire.id)
    if scorer is None:
        raise ValueError(f"no scoring rules for questionnaire {questionnaire.id!r}")
    return scorer(questionnaire, answers)


# --- minimal important change (Ostelo et al. 2008) --------------------------------------

PAIN_MIC_POINTS = 2.0  # 0-10 pain scale
RMDQ_MIC_POINTS = 5.0  # RMDQ-24
MIC_PERCENT = 30.0  # improvement from baseline, for either measure

_EPSILON = 1e-9  # PEG means are thirds; compare points without float noise


@dataclass(frozen=True, slots=True)
class Change:
    """Change between two scores on a scale where higher is worse.

    ``important_improvement`` follows Ostelo et al. 2008: an improvement of at least the
    points threshold or at least 30% of the baseline. ``important_worsening`` is this
    project's convention (Ostelo defines improvement only): a rise of at least the points
    threshold.
    """

    baseline: float
    latest: float
    improvement: float  # baseline - latest; positive means better
    improvement_percent: float | None  # of the baseline; None when the baseline is 0
    important_improvement: bool
    important_worsening: bool


def minimal_important_change(
    baseline: float,
    latest: float,
    *,
    points: float,
    percent: float = MIC_PERCENT,
    scale_max: float,
) -> Change:
    """Compare two scores (higher is worse) against a points-or-percent threshold."""
    for name, value in (("baseline", baseline), ("latest", latest)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{name} score must be a number, got {value!r}")
        if not 0 <= value <= scale_max:
            raise ValueError(f"{name} score {value} is outside 0-{scale_max:g}")
    improvement = baseline - latest
    by_points = improvement >= points - _EPSILON
    by_percent = baseline > 0 and improvement * 100 >= percent * baseline - _EPSILON
    return Change(
        baseline=baseline,
        latest=latest,
        improvement=improvement,
        improvement_percent=improvement * 100 / baseline if baseline > 0 else None,
        important_improvement=by_points or by_percent,
        important_worsening=-improvement >= points - _EPSILON,
    )


def pain_change(baseline: float, latest: float) -> Change:
    """0-10 pain (NPRS): 2 points or 30% (Ostelo 2008).

    Ostelo's threshold is for pain intensity scales; using it for the PEG mean (also 0-10)
    is an extrapolation, not a validated PEG threshold.
    """
    return minimal_important_change(baseline, latest, points=PAIN_MIC_POINTS, scale_max=10)


def rmdq_change(baseline: float, latest: float) -> Change:
    """Roland-Morris 0-24: 5 points or 30% (Ostelo 2008)."""
    return minimal_important_change(baseline, latest, points=RMDQ_MIC_POINTS, scale_max=24)
