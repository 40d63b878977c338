"""Patient-facing text must be easy to read: Flesch-Kincaid grade 8 or below.

NHS and health-literacy guidance ask for text a 12 to 14 year old can read. We check every
finding question and help text (each block on its own, grade <= 8, and the catalog mean
<= 7), the finding labels (scored together, grade <= 8), the condition explanations and
the triage rule messages. Grades come from tests/readability.py, which works offline (no
NLTK download).
"""

from __future__ import annotations

import socket
import statistics
from collections.abc import Iterator
from typing import Any

import pytest
from readability import backend, fk_grade, fk_grade_pyphen, text_blocks

from backcoach.content.loader import validate_content

MAX_GRADE = 8.0
MAX_MEAN_GRADE = 7.0
CONDITION_FIELDS = ("what_it_is", "why_it_happens", "what_helps", "when_to_get_help")

Scored = tuple[str, str, float, str]  # (item id, field, grade, text)


@pytest.fixture(scope="module")
def content() -> dict[str, Any]:
    return validate_content()


def score(items: list[dict[str, Any]], fields: tuple[str, ...]) -> Iterator[Scored]:
    for item in items:
        for field in fields:
            for block in text_blocks(item[field]):
                yield item["id"], field, fk_grade(block), block


def report(rows: list[Scored]) -> str:
    return "\n".join(f"  {i} / {f}: grade {g:.1f}: {t}" for i, f, g, t in rows)


def check_each(rows: list[Scored]) -> None:
    assert rows, "no text to check"
    too_hard = sorted((r for r in rows if r[2] > MAX_GRADE), key=lambda r: -r[2])
    if too_hard:
        pytest.fail(
            f"{len(too_hard)} text block(s) above grade {MAX_GRADE:g}:\n{report(too_hard)}",
            pytrace=False,
        )


def check_mean(rows: list[Scored]) -> None:
    assert rows, "no text to check"
    mean = statistics.mean(r[2] for r in rows)
    hardest = sorted(rows, key=lambda r: -r[2])[:10]
    if mean > MAX_MEAN_GRADE:
        pytest.fail(
            f"mean grade {mean:.2f} is above {MAX_MEAN_GRADE:g}; hardest:\n{report(hardest)}",
            pytrace=False,
        )


# --- the measuring stick itself ----------------------------------------------------------

SIMPLE = "The cat sat on the mat. It was a big cat. The dog ran to it."
ACADEMIC = (
    "Epidemiological investigations demonstrate that sociodemographic characteristics "
    "substantially moderate the relationship between occupational biomechanical exposures "
    "and the subsequent development of chronic musculoskeletal disability."
)


def test_grade_of_a_very_simple_text_is_low() -> None:
    assert fk_grade(SIMPLE) < 4


def test_grade_of_a_dense_academic_text_is_high() -> None:
    assert fk_grade(ACADEMIC) > 12


def test_grades_need_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("readability check tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    # A text not seen before, so no cached result hides a look-up.
    assert 0 < fk_grade("A fresh sentence about network access, measured offline today.") < 20


@pytest.mark.skipif(backend() != "textstat", reason="textstat internals not available")
@pytest.mark.parametrize("text", [SIMPLE, ACADEMIC, "Is it hard to pee? We mean a weak flow."])
def test_pyphen_fallback_gives_the_same_grade_as_textstat(text: str) -> None:
    assert fk_grade_pyphen(text) == pytest.approx(fk_grade(text), abs=1e-9)


def test_bullets_are_sentences() -> None:
    assert text_blocks("Rest a little\n\n- walk each day\n- keep going") == [
        "Rest a little",
        "walk each day. keep going.",
    ]


# --- the content ---------------------------------------------------------------------------


def test_finding_texts_are_grade_8_or_below(content: dict[str, Any]) -> None:
    check_each(list(score(content["findings"], ("question", "help"))))


def test_finding_catalog_mean_grade_is_7_or_below(content: dict[str, Any]) -> None:
    check_mean(list(score(content["findings"], ("question", "help"))))


def test_condition_texts_are_grade_8_or_below(content: dict[str, Any]) -> None:
    check_each(list(score(content["conditions"], CONDITION_FIELDS)))


def test_condition_texts_mean_grade_is_7_or_below(content: dict[str, Any]) -> None:
    check_mean(list(score(content["conditions"], CONDITION_FIELDS)))


def test_rule_messages_are_grade_8_or_below(content: dict[str, Any]) -> None:
    check_each(list(score(content["rules"], ("message",))))


def test_rule_messages_mean_grade_is_7_or_below(content: dict[str, Any]) -> None:
    check_mean(list(score(content["rules"], ("message",))))


# --- finding labels: short statements used to explain results ("yes: <label>") --------------

MAX_LABEL_LENGTH = 70


def test_finding_labels_are_short_lower_case_statements(content: dict[str, Any]) -> None:
    bad = [
        f"  {f['id']}: {f['label']!r}"
        for f in content["findings"]
        if not f["label"][:1].islower()
        or f["label"].rstrip().endswith(".")
        or len(f["label"]) > MAX_LABEL_LENGTH
    ]
    if bad:
        pytest.fail(
            f"{len(bad)} label(s) not lower-case first, ending in a full stop, or longer than "
            f"{MAX_LABEL_LENGTH} characters:\n" + "\n".join(bad),
            pytrace=False,
        )


def test_finding_labels_mean_grade_is_8_or_below(content: dict[str, Any]) -> None:
    # Labels are too short to score one by one; score them together, each as a sentence.
    labels = [f["label"] for f in content["findings"]]
    assert labels, "no labels to check"
    grade = fk_grade(" ".join(f"{label}." for label in labels))
    assert grade <= MAX_GRADE, f"finding labels read at grade {grade:.2f}, above {MAX_GRADE:g}"


def test_finding_labels_are_unique(content: dict[str, Any]) -> None:
    seen: dict[str, str] = {}
    repeated = []
    for finding in content["findings"]:
        key = finding["label"].casefold()
        if key in seen:
            repeated.append(f"  {seen[key]} and {finding['id']}: {finding['label']!r}")
        seen.setdefault(key, finding["id"])
    assert not repeated, "labels used twice:\n" + "\n".join(repeated)


def _recovery_texts() -> list[dict[str, Any]]:
    """The recovery record's words: each weekly plan change, each progress verdict, with
    sample numbers in the placeholders (as the person reads them)."""
    from backcoach.content.recovery import validate_recovery

    plain = validate_recovery()
    sample = {
        "before": "low", "after": "high", "weeks": 3, "done": 5, "days": 7, "fewest": 3,
        "baseline": 6, "current": "3.5", "span": "3 weeks", "first": 12, "last": 7,
    }  # fmt: skip
    items = [{"id": r["id"], "text": r["message"].format(**sample)} for r in plain["adaptation"]]
    for group in ("verdicts", "scores"):
        items += [{"id": k, "text": v.format(**sample)} for k, v in plain[group].items()]
    return items


def test_recovery_messages_are_grade_8_or_below() -> None:
    check_each(list(score(_recovery_texts(), ("text",))))


def test_recovery_messages_mean_grade_is_7_or_below() -> None:
    check_mean(list(score(_recovery_texts(), ("text",))))
