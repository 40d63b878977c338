"""Self-care advice: coverage, evidence grades, sources, readability, selection, bad files."""

from __future__ import annotations

import re
import shutil
import statistics
from collections.abc import Iterator
from pathlib import Path

import pytest
from readability import fk_grade

from backcoach.content import loader
from backcoach.content.advice import (
    ADVICE_FILE,
    load_advice,
    validate_advice,
)
from backcoach.content.loader import DATA_DIR, ContentError
from backcoach.domain.advice import (
    EVERYONE,
    EVIDENCE_GRADES,
    WAYS,
    AdviceItem,
    Selector,
    applies,
    matches,
    select,
)
from backcoach.domain.model import Level

MIN_ITEMS = 35
MAX_MEAN_GRADE = 8.0  # over titles, texts, evidence notes and cautions together
MAX_GRADE = 9.0  # for each text, evidence note and caution
SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep the validated-advice cache out of the user's home directory."""
    monkeypatch.setenv("BACKCOACH_CACHE_DIR", str(tmp_path / "cache"))
    load_advice.cache_clear()
    yield
    load_advice.cache_clear()


@pytest.fixture
def items() -> tuple[AdviceItem, ...]:
    return load_advice()


@pytest.fixture
def by_id(items: tuple[AdviceItem, ...]) -> dict[str, AdviceItem]:
    return {i.id: i for i in items}


def ids_for(
    items: tuple[AdviceItem, ...],
    condition_ids: list[str],
    findings_present: list[str],
    level: str | Level | None = None,
    startback: str | None = None,
) -> set[str]:
    """The ids of the shipped items that apply to this person."""
    return {i.id for i in select(items, condition_ids, findings_present, level, startback)}


# --- the file as a whole ----------------------------------------------------------------


def test_load_advice_returns_domain_objects_and_caches(
    items: tuple[AdviceItem, ...], tmp_path: Path
) -> None:
    assert len(items) >= MIN_ITEMS
    assert all(isinstance(i, AdviceItem) for i in items)
    assert all(isinstance(i.when, Selector) and isinstance(i.not_if, Selector) for i in items)
    assert load_advice() is items
    assert list((tmp_path / "cache").glob("advice-*.json"))
    load_advice.cache_clear()  # a second process would read the cache file
    assert load_advice() == items


def test_every_way_is_covered(items: tuple[AdviceItem, ...]) -> None:
    assert {i.way for i in items} == set(WAYS)


def test_ids_are_unique(items: tuple[AdviceItem, ...]) -> None:
    ids = [i.id for i in items]
    assert len(ids) == len(set(ids))


def test_every_item_has_an_evidence_grade_and_a_one_sentence_note(
    items: tuple[AdviceItem, ...],
) -> None:
    for item in items:
        assert item.evidence in EVIDENCE_GRADES, item.id
        assert len(SENTENCE_END.findall(item.evidence_note)) == 1, item.id
    assert {i.evidence for i in items} >= {"high", "moderate", "low", "very_low"}


def test_texts_are_two_to_four_sentences(items: tuple[AdviceItem, ...]) -> None:
    wrong = [i.id for i in items if not 2 <= len(SENTENCE_END.findall(i.text)) <= 4]
    assert wrong == []


def test_every_item_cites_sources_that_resolve(items: tuple[AdviceItem, ...]) -> None:
    catalog = {s["id"]: s for s in loader.load_plain()["sources"]}
    for item in items:
        assert item.sources, item.id
        for sid in item.sources:
            assert sid in catalog, f"{item.id}: {sid}"
            assert catalog[sid]["url"].startswith("https://"), sid


def test_the_advice_sources_file_is_all_cited(items: tuple[AdviceItem, ...]) -> None:
    import yaml

    path = Path(DATA_DIR) / "sources" / "advice.yaml"
    own = {s["id"] for s in yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]}
    cited = {sid for i in items for sid in i.sources}
    assert own - cited == set()


def test_selectors_name_catalog_ids(items: tuple[AdviceItem, ...]) -> None:
    plain = loader.load_plain()
    findings = {f["id"] for f in plain["findings"]}
    conditions = {c["id"] for c in plain["conditions"]}
    for item in items:
        for s in (item.when, item.not_if):
            assert set(s.conditions_any) <= conditions, item.id
            assert set(s.findings_any) | set(s.findings_none) <= findings, item.id


# --- readability --------------------------------------------------------------------------


def scored(items: tuple[AdviceItem, ...]) -> list[tuple[str, str, float, str]]:
    rows = []
    for item in items:
        for field in ("title", "text", "evidence_note"):
            value = getattr(item, field)
            rows.append((item.id, field, fk_grade(value), value))
        for caution in item.cautions:
            rows.append((item.id, "cautions", fk_grade(caution), caution))
    return rows


def test_advice_is_easy_to_read_on_average(items: tuple[AdviceItem, ...]) -> None:
    rows = scored(items)
    mean = statistics.mean(r[2] for r in rows)
    assert mean <= MAX_MEAN_GRADE, f"mean Flesch-Kincaid grade {mean:.2f}"


def test_each_text_note_and_caution_is_easy_to_read(items: tuple[AdviceItem, ...]) -> None:
    # Titles count towards the mean only: the formula is not meaningful for 3 words.
    too_hard = [
        f"{i} / {f}: grade {g:.1f}: {t}"
        for i, f, g, t in scored(items)
        if f != "title" and g > MAX_GRADE
    ]
    assert too_hard == []


# --- the required topics ------------------------------------------------------------------


def test_reassurance_and_stay_active(by_id: dict[str, AdviceItem]) -> None:
    good = by_id["back_pain_usually_gets_better"]
    assert good.way == "education" and "nice-ng59" in good.sources
    active = by_id["stay_active_avoid_bed_rest"]
    assert "bed" in active.text and {"nice-ng59", "dahm-2010"} <= set(active.sources)
    assert active.when.is_empty and active.not_if.is_empty


def test_running_items(by_id: dict[str, AdviceItem]) -> None:
    why = by_id["running_why_back_hurts"]
    assert "soreness" in why.text and "longer than usual" in why.text
    rule = by_id["running_single_run_rule"]
    assert "10%" in rule.text and "30 days" in rule.text and "frandsen-2025" in rule.sources
    back = by_id["running_return_walk_run"]
    assert "walk-run" in back.text and "flat" in back.text
    pain = by_id["running_pain_rules"]
    assert "3 out of 10" in pain.text and "5" in pain.text and "next morning" in pain.text
    assert by_id["safety_runner_stop_signs"].way == "safety_net"


def test_desk_work_items_are_honest_about_weak_evidence(by_id: dict[str, AdviceItem]) -> None:
    breaks = by_id["desk_movement_breaks"]
    assert "best posture is your next posture" in breaks.text
    setup = by_id["desk_setup_for_comfort"]
    assert setup.evidence in ("low", "very_low") and "driessen-2010" in setup.sources
    assert by_id["posture_no_perfect_position"].evidence in ("low", "very_low")
    lifting = by_id["lifting_technique"]
    assert "knees" in lifting.text and "verbeek-2011" in lifting.sources


def test_sleep_items(by_id: dict[str, AdviceItem]) -> None:
    assert "7 to 9 hours" in by_id["sleep_seven_to_nine_hours"].text
    positions = by_id["sleep_positions"].text
    assert "pillow between your knees" in positions and "pillow under your knees" in positions
    mattress = by_id["mattress_medium_firm"]
    assert "medium-firm" in mattress.text and "not need to buy" in mattress.text
    assert "kovacs-2003" in mattress.sources and "Kovacs 2003" in mattress.evidence_note


def test_pain_relief_follows_nice_and_never_prescribes(
    items: tuple[AdviceItem, ...], by_id: dict[str, AdviceItem]
) -> None:
    heat = by_id["heat_for_pain"]
    assert "french-2006" in heat.sources and heat.evidence == "moderate"
    nsaid = by_id["nsaids_lowest_dose_shortest_time"]
    assert "lowest dose" in nsaid.text and "shortest time" in nsaid.text
    assert "pharmacist" in nsaid.text
    cautions = " ".join(nsaid.cautions).lower()
    for check in ("ulcer", "kidney", "heart failure", "asthma", "blood thinner", "65", "pregnant"):
        assert check in cautions, check
    paracetamol = by_id["paracetamol_not_alone"]
    assert "not recommend" in paracetamol.text and "alone" in paracetamol.text
    assert "williams-2014" in paracetamol.sources
    for item in items:
        if item.way == "pain_relief":
            assert not re.search(r"\d\s*(mg|milligram|tablet)", item.text), item.id


def test_breathing_and_meditation_are_honest(by_id: dict[str, AdviceItem]) -> None:
    assert "10 slow breaths" in by_id["breathing_ten_slow_breaths"].text
    meditation = by_id["breathing_short_meditation"]
    assert "5 to 10 minutes" in meditation.text
    assert "8-week" in meditation.evidence_note and "cherkin-2016" in meditation.sources


def test_stress_and_pacing(by_id: dict[str, AdviceItem]) -> None:
    assert by_id["stress_and_pain"].way == "stress"
    assert "by time or by goals, not by how much it hurts" in by_id["pacing_graded_activity"].text


def test_diet_claims_are_graded_honestly(
    items: tuple[AdviceItem, ...], by_id: dict[str, AdviceItem]
) -> None:
    diet = by_id["diet_no_magic_foods"]
    assert diet.evidence == "very_low" and "weak" in diet.evidence_note
    assert "little or no good evidence" in diet.text
    bones = by_id["diet_calcium_vitamin_d_bones"]
    assert (
        "calcium" in bones.text and "vitamin D" in bones.text and "not your back pain" in bones.text
    )
    assert bones.evidence == "very_low" and "weak" in bones.evidence_note
    assert not any("phosphorus" in (i.text + i.evidence_note).lower() for i in items)
    assert "shiri-2010" in by_id["smoking_quit_support"].sources
    assert by_id["weight_healthy_range"].when.findings_any == ("overweight",)


def test_safety_net(by_id: dict[str, AdviceItem]) -> None:
    emergency = by_id["safety_emergency_signs"]
    assert emergency.when.is_empty and "999" in emergency.title
    assert "both legs" in emergency.text and "bladder" in emergency.text
    later = by_id["safety_not_improving"].text
    assert "2 weeks" in later and "4 to 6 weeks" in later
    assert "GP or physiotherapist" in later


def test_pregnancy_and_osteoporosis_items(by_id: dict[str, AdviceItem]) -> None:
    assert "flat on your back" in by_id["pregnancy_not_flat_on_back"].text
    assert "ibuprofen" in by_id["pregnancy_no_nsaids"].text
    assert "bump" in by_id["pregnancy_heat_not_on_bump"].text
    assert "midwife" in by_id["pelvic_girdle_pain_tell_midwife"].text
    bending = by_id["osteoporosis_avoid_loaded_bending"]
    assert "bending forward and twisting" in bending.text
    assert "osteoporosis" in bending.when.findings_any


def test_high_startback_risk_is_pointed_to_matched_care(by_id: dict[str, AdviceItem]) -> None:
    high = by_id["care_matched_high_risk"]
    assert high.when.startback == ("high",) and "physiotherapist" in high.text
    assert {"nice-ng59", "hill-2011"} <= set(high.sources)


def test_the_do_not_list(items: tuple[AdviceItem, ...]) -> None:
    do_not = [i for i in items if i.id.startswith("do_not_")]
    assert all(i.way == "education" and "Not advised" in i.title for i in do_not)
    words = " ".join(i.text.lower() for i in do_not)
    for treatment in ("belt", "corset", "tens", "ultrasound", "traction", "insoles"):
        assert treatment in words, treatment
    assert all("nice-ng59" in i.sources for i in do_not)


# --- who gets what: applies() on the shipped items ----------------------------------------


def test_pregnancy_excludes_the_nsaid_item(items: tuple[AdviceItem, ...]) -> None:
    pregnant = ids_for(items, condition_ids=["pregnancy_related"], findings_present=["pregnant"])
    assert "nsaids_lowest_dose_shortest_time" not in pregnant
    assert "heat_for_pain" not in pregnant and "sleep_positions" not in pregnant
    assert {
        "pregnancy_no_nsaids",
        "pregnancy_heat_not_on_bump",
        "pregnancy_sleep_on_side",
    } <= pregnant
    # Being pregnant alone (no condition ranked) is enough, and so is the condition alone.
    assert "nsaids_lowest_dose_shortest_time" not in ids_for(
        items, condition_ids=[], findings_present=["pregnant"]
    )
    assert "nsaids_lowest_dose_shortest_time" not in ids_for(
        items, condition_ids=["pregnancy_related"], findings_present=[]
    )
    assert "nsaids_lowest_dose_shortest_time" in ids_for(
        items, condition_ids=["nonspecific_low_back_pain"], findings_present=[]
    )


def test_a_runner_gets_the_running_items(items: tuple[AdviceItem, ...]) -> None:
    running = {i.id for i in items if i.way == "running"}
    runner = ids_for(
        items,
        condition_ids=["exercise_muscle_soreness"],
        findings_present=["runner", "onset_during_or_after_running"],
        level="self_care",
    )
    assert running <= runner
    assert "soreness_after_exercise" not in runner  # the running version replaces it
    office = ids_for(items, condition_ids=["nonspecific_low_back_pain"], findings_present=[])
    assert running & office == set()


def test_a_desk_worker_gets_the_workstation_items(items: tuple[AdviceItem, ...]) -> None:
    desk = ids_for(
        items,
        condition_ids=["postural_back_neck_pain"],
        findings_present=["desk_work_long_hours"],
    )
    assert {"desk_movement_breaks", "desk_setup_for_comfort", "posture_no_perfect_position"} <= desk
    assert "lifting_technique" not in desk
    lifter = ids_for(items, condition_ids=[], findings_present=["onset_after_lifting_or_twisting"])
    assert "lifting_technique" in lifter and "desk_setup_for_comfort" not in lifter


def test_levels_and_startback_pick_their_items(items: tuple[AdviceItem, ...]) -> None:
    self_care = ids_for(items, condition_ids=[], findings_present=[], level=Level.SELF_CARE)
    assert "safety_not_improving" in self_care and "safety_while_you_wait" not in self_care
    waiting = ids_for(items, condition_ids=[], findings_present=[], level="consultation")
    assert "safety_while_you_wait" in waiting and "safety_not_improving" not in waiting
    high = ids_for(items, condition_ids=[], findings_present=[], startback="high")
    assert "care_matched_high_risk" in high and "care_matched_medium_risk" not in high
    unknown = ids_for(items, condition_ids=[], findings_present=[], startback=None)
    assert "care_matched_high_risk" not in unknown


def test_everyone_gets_the_core_items(items: tuple[AdviceItem, ...]) -> None:
    anyone = ids_for(items, condition_ids=[], findings_present=[], level="self_care")
    core = {
        "back_pain_usually_gets_better",
        "stay_active_avoid_bed_rest",
        "safety_emergency_signs",
        "mattress_medium_firm",
        "paracetamol_not_alone",
    }
    assert core <= anyone


# --- applies(): the rule itself -----------------------------------------------------------


def item(when: Selector = EVERYONE, not_if: Selector = EVERYONE) -> AdviceItem:
    return AdviceItem(
        id="x",
        way="education",
        title="t",
        text="t",
        evidence="low",
        evidence_note="n",
        sources=("s",),
        when=when,
        not_if=not_if,
    )


def test_empty_when_applies_to_everyone_and_empty_not_if_excludes_no_one() -> None:
    assert applies(item(), [], [])
    assert applies(item(), ["a"], ["b"], "emergency", "high")


def test_conditions_any_and_findings_any_are_alternatives() -> None:
    x = item(when=Selector(conditions_any=("c",), findings_any=("f",)))
    assert applies(x, ["c"], [])
    assert applies(x, [], ["f"])
    assert not applies(x, ["other"], ["other"])


def test_every_given_part_must_hold() -> None:
    x = item(when=Selector(findings_any=("f",), levels=("self_care",), startback=("high",)))
    assert applies(x, [], ["f"], "self_care", "high")
    assert not applies(x, [], ["f"], "consultation", "high")
    assert not applies(x, [], ["f"], "self_care", "low")
    assert not applies(x, [], ["f"], "self_care", None)
    assert not applies(x, [], ["f"], None, "high")
    assert applies(x, [], ["f"], Level.SELF_CARE, "high")


def test_findings_none_and_not_if() -> None:
    x = item(when=Selector(findings_none=("g",)))
    assert applies(x, [], ["f"]) and not applies(x, [], ["f", "g"])
    y = item(not_if=Selector(conditions_any=("c",), findings_any=("f",)))
    assert applies(y, [], [])
    assert not applies(y, ["c"], [])
    assert not applies(y, [], ["f"])
    z = item(not_if=Selector(levels=("emergency",)))
    assert applies(z, [], [], "self_care") and not applies(z, [], [], Level.EMERGENCY)


def test_matches_and_select_keep_order() -> None:
    assert matches(Selector(), [], [], None, None)
    a = item(when=Selector(findings_any=("f",)))._replace(id="a")
    b = item()._replace(id="b")
    c = item(when=Selector(findings_any=("g",)))._replace(id="c")
    assert [i.id for i in select([a, b, c], [], ["f"])] == ["a", "b"]
    assert [i.id for i in select((c, b, a), [], ["f", "g"])] == ["c", "b", "a"]


# --- a broken file names the file, the item and the field ---------------------------------


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_copy_validates(data_copy: Path) -> None:
    assert len(validate_advice(data_copy)["advice"]) >= MIN_ITEMS


@pytest.mark.parametrize(
    ("old", "new", "item_id", "field"),
    [
        (
            "    way: sleep\n    title: Good sleep",
            "    way: napping\n    title: Good sleep",
            "sleep_positions",
            "way",
        ),
        ("    evidence: high\n", "    evidence: strong\n", "paracetamol_not_alone", "evidence"),
        (
            "    sources: [kovacs-2003]",
            "    sources: [kovacs-2030]",
            "mattress_medium_firm",
            "sources",
        ),
        (
            "      findings_any: [smoker]",
            "      findings_any: [smokes]",
            "smoking_quit_support",
            "when.findings_any",
        ),
        (
            "      startback: [high]",
            "      startback: [very_high]",
            "care_matched_high_risk",
            "when.startback",
        ),
        (
            "      levels: [self_care]\n    sources: [nhs-inform",
            "      levels: [home]\n    sources: [nhs-inform",
            "safety_not_improving",
            "when.levels.0",
        ),
        (
            "    title: Ten slow breaths\n",
            "    title: Ten slow breaths\n    colour: blue\n",
            "breathing_ten_slow_breaths",
            "colour",
        ),
        ("  - id: do_not_tens\n", "  - id: do_not_belts_corsets\n", "do_not_belts_corsets", "id"),
        ("    sources: [french-2006]\n", "    sources: []\n", "cold_pack_optional", "sources"),
    ],
)
def test_content_errors_name_file_item_and_field(
    data_copy: Path, old: str, new: str, item_id: str, field: str
) -> None:
    edit(data_copy / ADVICE_FILE, old, new)
    with pytest.raises(ContentError) as caught:
        validate_advice(data_copy)
    error = caught.value
    assert (error.file, error.item, error.field) == (ADVICE_FILE, item_id, field)
    assert item_id in str(error) and field in str(error)


def test_an_unknown_condition_in_not_if_is_named(data_copy: Path) -> None:
    edit(
        data_copy / ADVICE_FILE,
        "      conditions_any: [pregnancy_related]\n    cautions:\n      - Check with",
        "      conditions_any: [pregnancy]\n    cautions:\n      - Check with",
    )
    with pytest.raises(ContentError) as caught:
        validate_advice(data_copy)
    error = caught.value
    assert (error.file, error.item, error.field) == (
        ADVICE_FILE,
        "nsaids_lowest_dose_shortest_time",
        "not_if.conditions_any",
    )
    assert "pregnancy" in error.problem


def test_a_missing_or_broken_file_is_named(data_copy: Path) -> None:
    (data_copy / ADVICE_FILE).write_text("advice: [\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"advice\.yaml: not valid YAML"):
        validate_advice(data_copy)
    (data_copy / ADVICE_FILE).unlink()
    with pytest.raises(ContentError, match="missing"):
        validate_advice(data_copy)
