"""Questionnaires: shipped wording, licence notices, loading, scoring and minimal change."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from backcoach.content.loader import DATA_DIR, ContentError
from backcoach.content.questionnaires import (
    load_questionnaire,
    load_questionnaires,
    loinc_check_digit_ok,
    validate_questionnaires,
)
from backcoach.domain.questionnaires import (
    AnswerError,
    DefinitionError,
    Questionnaire,
    check_questionnaire,
    pain_change,
    rmdq_change,
    score,
    score_nprs,
    score_peg,
    score_rmdq,
    score_startback,
)

QDIR = Path(DATA_DIR) / "questionnaires"

# --- the wording as verified (see wording_source in each file) -------------------------
# Keele STarT Back, 9-item English form: items as on ericmoorepartnership.co.uk, matched by
# awell-health/awell-score. Licensed text: this test fails if anyone edits it.
STARTBACK_INSTRUCTIONS = (
    "Thinking about the last 2 weeks tick your response to the following questions:"
)
STARTBACK_ITEMS = (
    "My back pain has spread down my leg(s) at some time in the last 2 weeks",
    "I have had pain in the shoulder or neck at some time in the last 2 weeks",
    "I have only walked short distances because of my back pain",
    "In the last 2 weeks, I have dressed more slowly than usual because of back pain",
    "It’s not really safe for a person with a condition like mine to be physically active",
    "Worrying thoughts have been going through my mind a lot of the time",
    "I feel that my back pain is terrible and it’s never going to get any better",
    "In general I have not enjoyed all the things I used to enjoy",
    "Overall, how bothersome has your back pain been in the last 2 weeks?",
)
STARTBACK_AGREE = ((0, "Disagree"), (1, "Agree"))
STARTBACK_BOTHER = (
    (0, "Not at all"),
    (1, "Slightly"),
    (2, "Moderately"),
    (3, "Very much"),
    (4, "Extremely"),
)
KEELE_COPYRIGHT = (
    "The copyright (©2007) of the STarT Back Screening Tool and associated materials is owned "
    "by Keele University, the development of which was part funded by Arthritis Research UK: "
    "i) the tool is designed for use by health care practitioners, with appropriate treatment "
    "packages for each of the stratified groups; ii) the tool is not intended to recommend the "
    "use of any particular product. No license is required for non-commercial use. If you "
    "would like to incorporate the tool in any way into commercial product materials, please "
    "contact Keele University for further advice."
)
KEELE_LICENCE = (
    "Copyright (©2021) University of Keele. No license is required for non-commercial use. If "
    "you would like to incorporate the tool in any way into commercial product materials, "
    "please contact Keele University Impact Accelerator Unit for further advice."
)
KEELE_FUNDING = (
    "The STarT Back Approach research was part-funded by Arthritis Research UK (now Versus "
    "Arthritis)."
)

# Roland-Morris, English (original) form as distributed for rmdq.org ("then usual" as printed).
RMDQ_INSTRUCTIONS = (
    "When your back hurts, you may find it difficult to do some of the things you normally do.\n"
    "This list contains sentences that people have used to describe themselves when they have "
    "back pain. When you read them, you may find that some stand out because they describe you "
    "today.\n"
    "As you read the list, think of yourself today. When you read a sentence that describes "
    "you today, put a tick against it. If the sentence does not describe you, then leave the "
    "space blank and go on to the next one. Remember, only tick the sentence if you are sure it "
    "describes you today."
)
RMDQ_ITEMS = (
    "I stay at home most of the time because of my back.",
    "I change position frequently to try and get my back comfortable.",
    "I walk more slowly than usual because of my back.",
    "Because of my back I am not doing any of the jobs that I usually do around the house.",
    "Because of my back, I use a handrail to get upstairs.",
    "Because of my back, I lie down to rest more often.",
    "Because of my back, I have to hold on to something to get out of an easy chair.",
    "Because of my back, I try to get other people to do things for me.",
    "I get dressed more slowly then usual because of my back.",
    "I only stand for short periods of time because of my back.",
    "Because of my back, I try not to bend or kneel down.",
    "I find it difficult to get out of a chair because of my back.",
    "My back is painful almost all the time.",
    "I find it difficult to turn over in bed because of my back.",
    "My appetite is not very good because of my back pain.",
    "I have trouble putting on my socks (or stockings) because of the pain in my back.",
    "I only walk short distances because of my back.",
    "I sleep less well because of my back.",
    "Because of my back pain, I get dressed with help from someone else.",
    "I sit down for most of the day because of my back.",
    "I avoid heavy jobs around the house because of my back.",
    "Because of my back pain, I am more irritable and bad tempered with people than usual.",
    "Because of my back, I go upstairs more slowly than usual.",
    "I stay in bed most of the time because of my back.",
)

# PEG (Krebs et al. 2009): item text and 0/10 anchors.
PEG_ITEMS = (
    (
        "What number best describes your pain on average in the past week?",
        "No pain",
        "Pain as bad as you can imagine",
    ),
    (
        "What number best describes how, during the past week, pain has interfered with your "
        "enjoyment of life?",
        "Does not interfere",
        "Completely interferes",
    ),
    (
        "What number best describes how, during the past week, pain has interfered with your "
        "general activity?",
        "Does not interfere",
        "Completely interferes",
    ),
)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep the validated-questionnaire cache out of the user's home directory."""
    monkeypatch.setenv("BACKCOACH_CACHE_DIR", str(tmp_path / "cache"))
    load_questionnaires.cache_clear()
    yield
    load_questionnaires.cache_clear()


@pytest.fixture
def qs() -> dict[str, Questionnaire]:
    return load_questionnaires()


# --- files, wording, notices ------------------------------------------------------------


def test_every_file_loads_and_only_the_four_free_or_permitted_instruments_ship() -> None:
    plain = validate_questionnaires()
    ids = {q["id"] for q in plain["questionnaires"]}
    assert ids == {"nprs", "peg", "startback", "rmdq"}
    names = {p.name.lower() for p in QDIR.iterdir()}
    assert not any("odi" in n or "oswestry" in n or "promis" in n for n in names)


def test_load_questionnaires_returns_domain_objects_and_caches(
    qs: dict[str, Questionnaire], tmp_path: Path
) -> None:
    assert set(qs) == {"nprs", "peg", "startback", "rmdq"}
    assert all(isinstance(q, Questionnaire) for q in qs.values())
    assert load_questionnaires() is qs
    assert load_questionnaire("startback") is qs["startback"]
    assert list((tmp_path / "cache").glob("questionnaires-*.json"))
    # A second process would read the cache file; simulate it.
    load_questionnaires.cache_clear()
    again = load_questionnaires()
    assert again == qs


@pytest.mark.parametrize(
    ("qid", "count"), [("startback", 9), ("peg", 3), ("rmdq", 24), ("nprs", 1)]
)
def test_item_counts(qs: dict[str, Questionnaire], qid: str, count: int) -> None:
    assert len(qs[qid].items) == count


def test_loinc_codes(qs: dict[str, Questionnaire]) -> None:
    assert qs["nprs"].score_loinc == "72514-3"
    assert qs["nprs"].item("pain_now").loinc == "72514-3"
    assert qs["peg"].score_loinc == "91147-9"
    assert [i.loinc for i in qs["peg"].items] == ["75893-8", "91145-3", "91146-1"]
    assert qs["startback"].score_loinc == "91351-7"
    assert qs["rmdq"].score_loinc is None
    assert "No LOINC code" in (QDIR / "rmdq.yaml").read_text(encoding="utf-8")


def test_loinc_check_digit() -> None:
    for code in ("72514-3", "91147-9", "91351-7", "75893-8", "91145-3", "91146-1", "91148-7"):
        assert loinc_check_digit_ok(code), code
    assert not loinc_check_digit_ok("91351-8")
    assert not loinc_check_digit_ok("91351")


def test_startback_wording_is_the_verified_keele_wording(qs: dict[str, Questionnaire]) -> None:
    sb = qs["startback"]
    assert sb.instructions == STARTBACK_INSTRUCTIONS
    assert tuple(item.text for item in sb.items) == STARTBACK_ITEMS
    for item in sb.items[:8]:
        assert tuple((o.value, o.label) for o in item.options) == STARTBACK_AGREE
    assert tuple((o.value, o.label) for o in sb.items[8].options) == STARTBACK_BOTHER
    assert sb.recall_period == "last 2 weeks"


def test_keele_notice_is_in_the_data_file_and_the_notice_file(qs: dict[str, Questionnaire]) -> None:
    sb = qs["startback"]
    assert sb.copyright == KEELE_COPYRIGHT
    assert sb.licence_notice == KEELE_LICENCE
    assert sb.funding == KEELE_FUNDING
    assert sb.notice_file == "STARTBACK-NOTICE.txt"
    assert "non-commercial" in sb.licence
    raw = (QDIR / "startback.yaml").read_text(encoding="utf-8")
    header = raw.split("version: 1", 1)[0]
    assert "NOT covered by the backcoach code" in header
    assert "NON-COMMERCIAL" in header
    assert "commercial products requires permission from Keele University" in header
    notice = " ".join((QDIR / "STARTBACK-NOTICE.txt").read_text(encoding="utf-8").split())
    for statement in (KEELE_COPYRIGHT, KEELE_LICENCE, KEELE_FUNDING):
        assert statement in notice
    assert "NOT covered by the backcoach code licence" in notice


def test_notice_file_is_packaged() -> None:
    pyproject = (Path(DATA_DIR).parents[3] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"content/data/**/*.txt"' in pyproject


def test_rmdq_wording_is_the_verified_form(qs: dict[str, Questionnaire]) -> None:
    rmdq = qs["rmdq"]
    assert rmdq.instructions == RMDQ_INSTRUCTIONS
    assert tuple(item.text for item in rmdq.items) == RMDQ_ITEMS
    assert rmdq.recall_period == "today"
    assert "no permission is required" in rmdq.licence.lower()


def test_peg_wording_and_anchors(qs: dict[str, Questionnaire]) -> None:
    peg = qs["peg"]
    for item, (text, low, high) in zip(peg.items, PEG_ITEMS, strict=True):
        assert item.text == text
        assert item.option(0).label == low
        assert item.option(10).label == high
    assert peg.recall_period == "past week"


def test_every_questionnaire_names_its_wording_source_and_sources(
    qs: dict[str, Questionnaire],
) -> None:
    for q in qs.values():
        assert len(q.wording_source) > 40, q.id
        assert q.sources, q.id
        assert q.licence, q.id


# --- scoring ----------------------------------------------------------------------------


def sb_answers(agree: set[int], bother: int) -> dict[str, int]:
    answers = {f"sb{n}": int(n in agree) for n in range(1, 9)}
    answers["sb9"] = bother
    return answers


def test_nprs(qs: dict[str, Questionnaire]) -> None:
    result = score_nprs(qs["nprs"], {"pain_now": 7})
    assert (result.score, result.score_max, result.category) == (7, 10, None)
    assert result.loinc == "72514-3"
    assert result.answers == (("pain_now", 7),)


def test_peg_is_the_mean(qs: dict[str, Questionnaire]) -> None:
    result = score_peg(qs["peg"], {"peg_pain": 6, "peg_enjoyment": 7, "peg_activity": 5})
    assert result.score == 6.0
    assert result.loinc == "91147-9"
    uneven = score_peg(qs["peg"], {"peg_pain": 5, "peg_enjoyment": 6, "peg_activity": 6})
    assert uneven.score == pytest.approx(17 / 3)
    assert round(uneven.score, 1) == 5.7


def test_rmdq_is_the_number_ticked(qs: dict[str, Questionnaire]) -> None:
    ticked = {1, 5, 9, 13, 24}
    answers = {f"rmdq{n}": int(n in ticked) for n in range(1, 25)}
    result = score_rmdq(qs["rmdq"], answers)
    assert (result.score, result.score_max, result.loinc) == (5, 24, None)
    assert result.answer("rmdq9") == 1 and result.answer("rmdq10") == 0
    assert score_rmdq(qs["rmdq"], dict.fromkeys(answers, 0)).score == 0
    assert score_rmdq(qs["rmdq"], dict.fromkeys(answers, 1)).score == 24


@pytest.mark.parametrize(
    ("agree", "bother", "total", "psychosocial", "category"),
    [
        ({1, 2, 3}, 0, 3, 0, "low"),  # total 3 -> low
        ({5, 6, 7}, 2, 3, 3, "low"),  # item 9 "Moderately" is not positive
        ({1, 5, 6, 7}, 0, 4, 3, "medium"),  # total 4, subscale 3 -> medium
        ({1, 2, 3, 4}, 1, 4, 0, "medium"),
        ({5, 6, 7, 8}, 0, 4, 4, "high"),  # subscale 4 -> high
        ({5, 6, 7}, 3, 4, 4, "high"),  # "Very much" is positive
        ({5, 6, 7}, 4, 4, 4, "high"),  # "Extremely" is positive
        ({1, 2, 3, 4, 5, 6, 7, 8}, 4, 9, 5, "high"),
        ({1, 2, 3, 4, 5, 6, 7, 8}, 2, 8, 4, "high"),
        ({1, 2, 3, 4, 5, 6}, 1, 6, 2, "medium"),
        (set(), 0, 0, 0, "low"),
    ],
)
def test_startback_keele_cases(
    qs: dict[str, Questionnaire],
    agree: set[int],
    bother: int,
    total: int,
    psychosocial: int,
    category: str,
) -> None:
    result = score_startback(qs["startback"], sb_answers(agree, bother))
    assert result.score == total
    assert result.subscale("psychosocial") == psychosocial
    assert result.category == category
    assert result.score_max == 9
    assert result.loinc == "91351-7"
    assert result.answer("sb9") == bother  # raw answer kept, not the 0/1 recode


def test_startback_every_answer_set_follows_the_keele_chart(qs: dict[str, Questionnaire]) -> None:
    sb = qs["startback"]
    for bits in itertools.product((0, 1), repeat=8):
        for bother in range(5):
            answers = {f"sb{n}": bits[n - 1] for n in range(1, 9)} | {"sb9": bother}
            result = score_startback(sb, answers)
            positives = [*bits, int(bother >= 3)]
            total, psych = sum(positives), sum(positives[4:])
            expected = "low" if total <= 3 else ("high" if psych >= 4 else "medium")
            assert (result.score, result.subscale("psychosocial"), result.category) == (
                total,
                psych,
                expected,
            )


def test_score_dispatches_by_id(qs: dict[str, Questionnaire]) -> None:
    answers = sb_answers({5, 6, 7, 8}, 0)
    assert score(qs["startback"], answers) == score_startback(qs["startback"], answers)
    assert score(qs["nprs"], {"pain_now": 3}).score == 3
    result = score(qs["startback"], answers)
    assert result.questionnaire_id == "startback"
    assert result.questionnaire_version == qs["startback"].version
    assert result.language == "en-GB"
    assert [key for key, _ in result.answers] == [f"sb{n}" for n in range(1, 10)]


# --- bad answers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qid", "answers", "item"),
    [
        ("startback", sb_answers(set(), 0) | {"sb10": 1}, "sb10"),  # unknown item
        ("startback", {k: v for k, v in sb_answers(set(), 0).items() if k != "sb4"}, "sb4"),
        ("startback", sb_answers(set(), 5), "sb9"),  # out of range
        ("startback", sb_answers(set(), 0) | {"sb2": 2}, "sb2"),
        ("startback", sb_answers(set(), 0) | {"sb3": "1"}, "sb3"),  # not a number
        ("startback", sb_answers(set(), 0) | {"sb1": True}, "sb1"),  # bool is not an answer
        ("nprs", {"pain_now": 11}, "pain_now"),
        ("nprs", {"pain_now": 4.0}, "pain_now"),
        ("nprs", {}, "pain_now"),
        ("peg", {"peg_pain": -1, "peg_enjoyment": 2, "peg_activity": 3}, "peg_pain"),
        ("rmdq", {f"rmdq{n}": 0 for n in range(1, 24)}, "rmdq24"),
    ],
)
def test_bad_answers_are_rejected_naming_the_item(
    qs: dict[str, Questionnaire], qid: str, answers: dict[str, object], item: str
) -> None:
    with pytest.raises(AnswerError) as caught:
        score(qs[qid], answers)
    assert isinstance(caught.value, ValueError)
    assert caught.value.item_id == item
    assert repr(item) in str(caught.value)
    assert qid in str(caught.value)


def test_a_scorer_refuses_the_wrong_questionnaire(qs: dict[str, Questionnaire]) -> None:
    with pytest.raises(ValueError, match="startback"):
        score_startback(qs["nprs"], {"pain_now": 3})


def test_scoring_rules_reject_a_reshaped_questionnaire(qs: dict[str, Questionnaire]) -> None:
    from dataclasses import replace

    sb = qs["startback"]
    check_questionnaire(sb)
    with pytest.raises(DefinitionError, match="order"):
        check_questionnaire(replace(sb, items=(sb.items[1], sb.items[0], *sb.items[2:])))
    with pytest.raises(DefinitionError, match="sb9"):
        check_questionnaire(replace(sb, items=sb.items[:8]))
    no_extremely = replace(sb.items[8], options=sb.items[8].options[:4])
    with pytest.raises(DefinitionError) as caught:
        check_questionnaire(replace(sb, items=(*sb.items[:8], no_extremely)))
    assert caught.value.item_id == "sb9"


# --- minimal important change -----------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "latest", "improved", "worse"),
    [
        (6, 4, True, False),  # 2 points
        (6, 5, False, False),  # 1 point, 17%
        (3, 2, True, False),  # 1 point but 33%
        (10, 7, True, False),  # exactly 30%
        (5, 4, False, False),  # 20%
        (4, 6, False, True),  # 2 points worse
        (0, 0, False, False),
        (20 / 3, 14 / 3, True, False),  # PEG-style thirds, exactly 2 points
    ],
)
def test_pain_change(baseline: float, latest: float, improved: bool, worse: bool) -> None:
    change = pain_change(baseline, latest)
    assert change.important_improvement is improved
    assert change.important_worsening is worse


@pytest.mark.parametrize(
    ("baseline", "latest", "improved", "worse"),
    [
        (12, 7, True, False),  # 5 points
        (20, 16, False, False),  # 4 points, 20%
        (12, 8, True, False),  # 4 points, 33%
        (10, 15, False, True),
        (24, 20, False, False),
    ],
)
def test_rmdq_change(baseline: int, latest: int, improved: bool, worse: bool) -> None:
    change = rmdq_change(baseline, latest)
    assert change.important_improvement is improved
    assert change.important_worsening is worse
    assert change.improvement == baseline - latest


def test_change_percent_and_range() -> None:
    assert pain_change(8, 6).improvement_percent == pytest.approx(25.0)
    assert pain_change(0, 3).improvement_percent is None
    with pytest.raises(ValueError, match="outside"):
        pain_change(11, 3)
    with pytest.raises(ValueError, match="outside"):
        rmdq_change(12, 25)


# --- content errors name file, item and field -------------------------------------------


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(Path(DATA_DIR) / "sources", target / "sources")
    shutil.copytree(QDIR, target / "questionnaires")
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_copy_validates(data_copy: Path) -> None:
    assert len(validate_questionnaires(data_copy)["questionnaires"]) == 4


@pytest.mark.parametrize(
    ("file", "old", "new", "item", "field"),
    [
        (
            "startback.yaml",
            '- {value: 0, label: "Disagree"}',
            '- {value: "x", label: "Disagree"}',
            "sb1",
            "options.0.value",
        ),
        ("startback.yaml", "score: 91351-7", "score: 91351-8", "startback", "loinc.score"),
        ("peg.yaml", "loinc: 91145-3", "loinc: 91145-4", "peg_enjoyment", "loinc"),
        (
            "startback.yaml",
            '        - {value: 4, label: "Extremely"}\n',
            "",
            "sb9",
            "options",
        ),
        ("rmdq.yaml", "sources: [roland-morris-1983", "sources: [nowhere-1999", "rmdq", "sources"),
        ("nprs.yaml", "id: pain_now", "id: pain_today", "pain_today", "id"),
        ("peg.yaml", "recall_period: past week", "recall_period: 7", "peg", "recall_period"),
    ],
)
def test_content_errors_name_file_item_and_field(
    data_copy: Path, file: str, old: str, new: str, item: str, field: str
) -> None:
    edit(data_copy / "questionnaires" / file, old, new)
    with pytest.raises(ContentError) as caught:
        validate_questionnaires(data_copy)
    error = caught.value
    assert (error.file, error.item, error.field) == (f"questionnaires/{file}", item, field)


def test_a_notice_file_that_drops_the_keele_statement_is_an_error(data_copy: Path) -> None:
    notice = data_copy / "questionnaires" / "STARTBACK-NOTICE.txt"
    edit(notice, "part funded by Arthritis Research UK", "funded by someone")
    with pytest.raises(ContentError) as caught:
        validate_questionnaires(data_copy)
    assert caught.value.file == "questionnaires/STARTBACK-NOTICE.txt"
    assert caught.value.field == "copyright"
    notice.unlink()
    with pytest.raises(ContentError, match="missing"):
        validate_questionnaires(data_copy)
