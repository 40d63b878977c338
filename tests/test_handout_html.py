"""The printable handout (``backcoach plan --html FILE``), built from the real content.

The handout is checked as data: it must parse as XML (the markup is XHTML-compatible), carry
one drawing per exercise card, load nothing from the network, and cite a source for every
piece of advice it shows. How it looks on paper was checked by hand (headless Chromium).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from cast import CAST
from hypothesis import given, settings
from hypothesis import strategies as st

from backcoach.adapters.caseio import case_from_dict
from backcoach.adapters.handout_html import MAX_PER_WAY, plan_html, write_html
from backcoach.content.advice import load_advice
from backcoach.content.exercises import drawing_path, load_exercise, load_exercises
from backcoach.content.loader import load_catalog
from backcoach.domain.advice import WAY_TITLES, AdviceItem
from backcoach.domain.assessment import Assessor
from backcoach.domain.model import Case
from backcoach.domain.plan import Plan, build_plan
from backcoach.domain.preferences import make_preferences

XHTML = "{http://www.w3.org/1999/xhtml}"
SVG = "{http://www.w3.org/2000/svg}"
START = date(2026, 11, 30)
CATALOG = load_catalog()
ASSESSOR = Assessor(CATALOG)
FINDING_IDS = {f.id for f in CATALOG.findings}
SOURCES = {s.id: s for s in CATALOG.sources}
SERIOUS = [c.id for c in CATALOG.conditions if c.kind == "serious"]

PEOPLE: dict[str, dict[str, Any]] = {
    "runner": CAST["runner-after-half-marathon"],
    "pregnant": CAST["pregnant-pelvic-girdle-pain"],
    "desk_worker": CAST["desk-worker-text-neck"],
}
EMERGENCY: dict[str, Any] = {
    "age": 41,
    "sex": "male",
    "pain_intensity": 8,
    "duration_days": 5,
    "findings": {
        "pain_lower_back": "present",
        "pain_both_legs": "present",
        "saddle_numbness": "present",
        "urinary_retention": "present",
    },
}


def case_of(raw: dict[str, Any]) -> Case:
    return case_from_dict(raw, FINDING_IDS)


def plan_for(raw: dict[str, Any], **prefs: Any) -> Plan:
    return build_plan(
        ASSESSOR.assess(case_of(raw)),
        make_preferences(**prefs),
        load_exercises(),
        load_advice(),
        START,
        serious_conditions=SERIOUS,
    )


def parse(text: str) -> ET.Element:
    """The handout as XML: the HTML5 doctype line first, then well-formed XHTML."""
    assert text.startswith("<!DOCTYPE html>\n")
    return ET.fromstring(text.removeprefix("<!DOCTYPE html>\n"))


def text_of(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def by_class(root: ET.Element, tag: str, name: str) -> list[ET.Element]:
    return [e for e in root.iter(XHTML + tag) if name in e.get("class", "").split()]


def drawing_title(exercise_id: str) -> str:
    root = ET.parse(drawing_path(load_exercise(exercise_id))).getroot()
    title = root.find(SVG + "title")
    assert title is not None and title.text
    return title.text


@pytest.fixture(scope="module", params=sorted(PEOPLE))
def person(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def plan(person: str) -> Plan:
    return plan_for(PEOPLE[person])


@pytest.fixture(scope="module")
def html_text(plan: Plan) -> str:
    return plan_html(plan)


@pytest.fixture(scope="module")
def root(html_text: str) -> ET.Element:
    return parse(html_text)


# --- the document ---------------------------------------------------------------------------


def test_the_handout_is_well_formed_xhtml(root: ET.Element) -> None:
    assert root.tag == XHTML + "html"
    assert root.get("lang") == "en-GB"
    head, body = root.find(XHTML + "head"), root.find(XHTML + "body")
    assert head is not None and body is not None
    assert text_of(head.find(XHTML + "title")) == "Your back plan"  # type: ignore[arg-type]
    assert head.find(XHTML + "meta").get("charset") == "utf-8"  # type: ignore[union-attr]


def test_the_page_is_styled_for_a4_print_with_system_fonts(root: ET.Element) -> None:
    style = text_of(root.find(f"{XHTML}head/{XHTML}style"))  # type: ignore[arg-type]
    assert "@page { size: A4; margin: 12mm; }" in style
    assert "@media print" in style
    assert "font-size: 11pt" in style and "system-ui" in style
    assert "grid-template-columns: 1fr 1fr" in style  # two columns of cards


def test_no_script_and_nothing_loaded_from_elsewhere(html_text: str, root: ET.Element) -> None:
    assert "<script" not in html_text.lower()
    assert "javascript:" not in html_text.lower()
    for tag in ("script", "link", "img", "iframe", "object", "embed", "image", "use"):
        assert not [e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == tag], tag
    style = text_of(root.find(f"{XHTML}head/{XHTML}style"))  # type: ignore[arg-type]
    assert "url(" not in style and "@import" not in style and "http" not in style
    links = 0
    for element in root.iter():
        for name, value in element.attrib.items():
            assert not name.startswith("on"), (element.tag, name)  # no event handlers
            if "http" in value or name.rsplit("}", 1)[-1] == "href":
                # The only web addresses are links to the sources, in the footer.
                assert element.tag == XHTML + "a" and name == "href", (element.tag, name)
                assert value.startswith("https://") or value.startswith("http://")
                links += 1
    footer_links = [a.get("href") for a in root.iter(XHTML + "a")]
    assert links == len(footer_links) > 0


def test_the_heading_says_what_and_when_and_not_a_diagnosis(plan: Plan, root: ET.Element) -> None:
    header = text_of(root.find(f".//{XHTML}header"))  # type: ignore[arg-type]
    assert "Your back plan" in header
    assert "Mon 30 Nov to Sun 6 Dec 2026" in header
    cause = CATALOG.condition(plan.profile.conditions[0]).name
    assert f"Most likely cause: {cause[0].lower()}{cause[1:]}." in header
    assert "This is not a diagnosis." in header
    footer = text_of(root.find(f".//{XHTML}footer"))  # type: ignore[arg-type]
    assert "backcoach is not a diagnosis" in footer


# --- the routine ----------------------------------------------------------------------------


def test_every_routine_exercise_has_a_card_with_its_drawing(plan: Plan, root: ET.Element) -> None:
    week = plan.weeks[0]
    assert week.routine, "each of these people gets a routine"
    cards = [c for c in by_class(root, "article", "card") if c.get("id", "").startswith("ex")]
    assert [c.get("id") for c in cards] == [f"exercise-{i.exercise.id}" for i in week.routine]
    for card, item in zip(cards, week.routine, strict=True):
        drawings = list(card.iter(SVG + "svg"))
        assert len(drawings) == 1, item.exercise.id
        title = drawings[0].find(SVG + "title")
        assert title is not None and title.text == drawing_title(item.exercise.id)
        assert len(list(drawings[0])) > 3  # the figure itself, not an empty frame
        text = text_of(card)
        assert item.exercise.name in text
        steps = card.findall(f"{XHTML}ol/{XHTML}li")
        assert [text_of(s) for s in steps] == list(item.exercise.steps)
        assert 3 <= len(steps) <= 6
        assert item.exercise.stop_if in text
        assert text_of(card.find(f".//{XHTML}p[@class='stop']")).startswith("Stop")  # type: ignore[arg-type]


def test_the_dose_shown_is_this_weeks(plan: Plan, root: ET.Element) -> None:
    from backcoach.domain.exercises import dose_text

    for item in plan.weeks[0].routine:
        card = root.find(f".//{XHTML}article[@id='exercise-{item.exercise.id}']")
        assert card is not None
        dose = card.find(f".//{XHTML}p[@class='dose']")
        assert dose is not None and text_of(dose) == dose_text(item.dose) + "."


def test_the_walking_goal_is_a_card_with_the_walking_drawing(plan: Plan, root: ET.Element) -> None:
    walk = root.find(f".//{XHTML}article[@id='walking-goal']")
    assert walk is not None
    assert f"{plan.weeks[0].walking_minutes} minutes a day this week" in text_of(walk)
    drawings = list(walk.iter(SVG + "svg"))
    assert len(drawings) == 1
    assert drawings[0].find(SVG + "title").text == drawing_title("walking")  # type: ignore[union-attr]


def test_a_later_week_shows_that_weeks_dose() -> None:
    plan = plan_for(PEOPLE["runner"])
    week3 = parse(plan_html(plan, week=3))
    header = text_of(week3.find(f".//{XHTML}header"))  # type: ignore[arg-type]
    assert "Week 3 of 6: Mon 14 Dec to Sun 20 Dec 2026" in header
    from backcoach.domain.exercises import dose_text

    item = plan.weeks[2].routine[0]
    assert dose_text(item.dose) in text_of(week3)
    with pytest.raises(ValueError, match="weeks 1 to 6"):
        plan_html(plan, week=7)


def test_the_pregnant_woman_gets_no_prone_or_supine_exercise() -> None:
    plan = plan_for(PEOPLE["pregnant"])
    root = parse(plan_html(plan))
    cards = [c.get("id", "") for c in by_class(root, "article", "card")]
    exercise_ids = [c.removeprefix("exercise-") for c in cards if c.startswith("exercise-")]
    assert exercise_ids
    for exercise_id in exercise_ids:
        exercise = load_exercise(exercise_id)
        assert exercise.position not in ("lying_front", "lying_back"), exercise_id
        assert not {"pregnancy_prone", "pregnancy_supine"} & set(exercise.cautions)
    # ... and the page says what it left out, and why.
    left_out = by_class(root, "section", "left-out")
    assert len(left_out) == 1
    text = text_of(left_out[0])
    assert "Left out to keep you safe" in text
    assert "Lying on the front: Back extension." in text
    assert "Knee rolls" in text and "lying flat on the back" in text.lower()


def test_a_while_you_wait_plan_puts_the_action_first() -> None:
    plan = plan_for(PEOPLE["pregnant"])
    assert plan.kind == "while_you_wait"
    root = parse(plan_html(plan))
    main = root.find(f".//{XHTML}main")
    assert main is not None
    sections = [child for child in main if child.tag == XHTML + "section"]
    assert sections[0].get("class") == "action"  # before the routine
    level = CATALOG.advice(plan.profile.level)
    assert level.action in text_of(sections[0])
    assert "While you wait to be seen" in text_of(root)


def test_a_full_plan_has_no_action_box() -> None:
    root = parse(plan_html(plan_for(PEOPLE["runner"])))
    assert not by_class(root, "section", "action")


# --- the advice and its sources -------------------------------------------------------------


def advice_by_title(plan: Plan) -> dict[str, AdviceItem]:
    """Each item by its title as shown: as written, or with a full stop added."""
    items = {item.title: item for item in plan.advice}
    return {**{f"{title}.": item for title, item in items.items()}, **items}


def footer_entries(root: ET.Element) -> dict[int, str]:
    footer = root.find(f".//{XHTML}footer")
    assert footer is not None
    entries: dict[int, str] = {}
    for li in footer.iter(XHTML + "li"):
        text = text_of(li)
        match = re.match(r"\[(\d+)\] ", text)
        assert match, text
        entries[int(match.group(1))] = text
    assert sorted(entries) == list(range(1, len(entries) + 1))  # numbered 1, 2, 3, ...
    return entries


def cited(element: ET.Element) -> list[int]:
    numbers: list[int] = []
    for span in by_class(element, "span", "cite"):
        numbers += [int(n) for n in re.findall(r"\d+", text_of(span))]
    return numbers


def cites_source(entry: str, source_id: str) -> bool:
    title = SOURCES[source_id].title
    return title.partition(": ")[0] in entry


def test_every_advice_item_shown_has_its_source_in_the_footer(plan: Plan, root: ET.Element) -> None:
    entries = footer_entries(root)
    items = advice_by_title(plan)
    shown = 0
    for li in [*by_class(root, "section", "advice"), *by_class(root, "section", "safety")]:
        for entry in li.iter(XHTML + "li"):
            strong = entry.find(XHTML + "strong")
            assert strong is not None
            item = items[text_of(strong)]
            numbers = cited(entry)
            assert len(numbers) == 1, item.id
            assert cites_source(entries[numbers[0]], item.sources[0]), (item.id, numbers)
            shown += 1
    assert shown >= 8


def test_every_citation_on_the_page_points_into_the_footer(root: ET.Element) -> None:
    entries = footer_entries(root)
    main = root.find(f".//{XHTML}main")
    assert main is not None
    numbers = cited(main)
    assert numbers and set(numbers) == set(entries)  # all used, none dangling


def test_the_advice_is_grouped_by_way_and_kept_short(plan: Plan, root: ET.Element) -> None:
    advice = by_class(root, "section", "advice")
    assert len(advice) == 1
    items = advice_by_title(plan)
    titles = {WAY_TITLES[w]: w for w in WAY_TITLES}
    ways_shown = []
    for block in by_class(advice[0], "div", "way"):
        heading = text_of(block.find(XHTML + "h3"))  # type: ignore[arg-type]
        if heading == "Not advised for back pain":
            continue
        way = titles[heading]
        ways_shown.append(way)
        entries = block.findall(f"{XHTML}ul/{XHTML}li")
        assert 1 <= len(entries) <= MAX_PER_WAY
        for entry in entries:
            item = items[text_of(entry.find(XHTML + "strong"))]  # type: ignore[arg-type]
            assert item.way == way
            grade = item.evidence.replace("_", " ")
            assert f"Evidence: {grade}." in text_of(entry)
    # Every way of the plan shows, except the warning signs (their own box) and general
    # exercise advice (the routine is the exercise).
    planned = [i.way for i in plan.advice if not i.title.startswith("Not advised")]
    expected = [w for w in dict.fromkeys(planned) if w not in ("safety_net", "exercise")]
    assert [w for w in ways_shown if w != "exercise"] == expected


def test_the_advice_for_this_person_and_what_to_do_comes_first() -> None:
    runner = text_of(parse(plan_html(plan_for(PEOPLE["runner"]))))
    # What to do (heat, moderate evidence) before what not to do (high-evidence advice
    # against paracetamol alone), and the runner's own items before general ones.
    assert "Easing the pain Heat can ease the pain." in runner
    assert "The single-run rule." in runner
    pregnant = text_of(parse(plan_html(plan_for(PEOPLE["pregnant"]))))
    assert "Pelvic girdle pain in pregnancy." in pregnant
    assert "In pregnancy, no ibuprofen." in pregnant
    assert "In pregnancy, go to sleep on your side." in pregnant
    assert "ibuprofen or naproxen, may help" not in pregnant  # the general NSAID item


def test_not_advised_items_share_one_line(plan: Plan, root: ET.Element) -> None:
    not_advised = [i for i in plan.advice if i.title.startswith("Not advised:")]
    assert not_advised
    blocks = by_class(root, "div", "not-advised")
    assert len(blocks) == 1
    paragraphs = blocks[0].findall(XHTML + "p")
    assert len(paragraphs) == 1
    text = text_of(paragraphs[0])
    for item in not_advised:
        assert item.title.removeprefix("Not advised: ") in text
    assert "Not advised:" not in text_of(root)  # never as items of their own


def test_the_warning_signs_are_boxed_in_full(plan: Plan, root: ET.Element) -> None:
    boxes = by_class(root, "section", "safety")
    assert len(boxes) == 1
    text = text_of(boxes[0])
    safety = [i for i in plan.advice if i.way == "safety_net"]
    assert any("999" in i.title for i in safety)
    for item in safety:
        assert item.title in text
        assert " ".join(item.text.split()) in text  # never shortened
    assert "border: 2.5pt solid #000" in text_of(root.find(f"{XHTML}head/{XHTML}style"))  # type: ignore[arg-type]


def test_the_same_plan_gives_the_same_page(plan: Plan, html_text: str) -> None:
    assert plan_html(plan) == html_text


case_dicts = st.fixed_dictionaries(
    {
        "age": st.integers(12, 100),
        "sex": st.sampled_from(["female", "male", "other"]),
        "findings": st.dictionaries(
            st.sampled_from(sorted(FINDING_IDS)),
            st.sampled_from(["present", "absent"]),
            max_size=30,
        ),
    },
    optional={"pain_intensity": st.integers(0, 10), "duration_days": st.integers(0, 400)},
)


@settings(max_examples=60, deadline=None)
@given(case_dicts, st.integers(5, 60))
def test_any_plan_gives_a_well_formed_handout(raw: dict[str, Any], minutes: int) -> None:
    plan = plan_for(raw, minutes_per_day=minutes)
    if plan.kind == "none":
        with pytest.raises(ValueError):
            plan_html(plan)
        return
    root = parse(plan_html(plan))
    routine = plan.weeks[0].routine
    cards = [c for c in by_class(root, "article", "card") if c.get("id", "").startswith("ex")]
    assert len(cards) == len(routine)
    assert len(list(root.iter(SVG + "svg"))) == len(routine) + (1 if routine else 0)
    main = root.find(f".//{XHTML}main")
    assert main is not None and set(cited(main)) == set(footer_entries(root))
    assert by_class(root, "section", "safety")


# --- no plan, no handout --------------------------------------------------------------------


def test_an_emergency_gets_no_handout(tmp_path: Path) -> None:
    plan = plan_for(EMERGENCY)
    assert plan.kind == "none"
    with pytest.raises(ValueError, match="no plan"):
        plan_html(plan)
    target = tmp_path / "out.html"
    with pytest.raises(ValueError):
        write_html(plan, str(target))
    assert list(tmp_path.iterdir()) == []


# --- writing the file -----------------------------------------------------------------------


def test_write_html_replaces_the_file_atomically(tmp_path: Path) -> None:
    plan = plan_for(PEOPLE["desk_worker"])
    target = tmp_path / "handout.html"
    target.write_text("old")
    write_html(plan, str(target))
    assert target.read_text(encoding="utf-8") == plan_html(plan)
    assert [p.name for p in tmp_path.iterdir()] == ["handout.html"]  # no temporary file left


def test_write_html_into_a_missing_folder_is_an_oserror(tmp_path: Path) -> None:
    plan = plan_for(PEOPLE["desk_worker"])
    with pytest.raises(OSError):
        write_html(plan, str(tmp_path / "no-such-folder" / "handout.html"))
    assert list(tmp_path.iterdir()) == []


def test_write_html_onto_a_folder_cleans_up(tmp_path: Path) -> None:
    plan = plan_for(PEOPLE["desk_worker"])
    (tmp_path / "taken").mkdir()
    with pytest.raises(OSError):
        write_html(plan, str(tmp_path / "taken"))
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]


# --- through the real command ---------------------------------------------------------------


def run_plan(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BACKCOACH_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}
    command = [sys.executable, "-m", "backcoach", "plan", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("who", sorted(PEOPLE))
def test_backcoach_plan_html_writes_the_handout(tmp_path: Path, who: str) -> None:
    case_file = tmp_path / f"{who}.json"
    case_file.write_text(json.dumps(PEOPLE[who]))
    out = tmp_path / "out.html"
    result = run_plan(
        tmp_path, "--case", str(case_file), "--html", str(out), "--start", "2026-11-30"
    )
    assert result.returncode == 0, result.stderr
    assert f"Wrote {out}" in result.stderr
    text = out.read_text(encoding="utf-8")
    assert text == plan_html(plan_for(PEOPLE[who]))  # the same page as in process
    root = parse(text)
    assert len(list(root.iter(SVG + "svg"))) >= 2


def test_backcoach_plan_html_for_an_emergency_writes_nothing(tmp_path: Path) -> None:
    case_file = tmp_path / "emergency.json"
    case_file.write_text(json.dumps(EMERGENCY))
    out = tmp_path / "out.html"
    result = run_plan(
        tmp_path, "--case", str(case_file), "--html", str(out), "--start", "2026-11-30"
    )
    assert result.returncode != 0
    assert "urgent care" in result.stderr
    assert not out.exists()
