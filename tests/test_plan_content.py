"""Plans built from the real content: safety properties and golden plans for a cast.

Golden plans are readable snapshots in tests/golden/. After a deliberate change to the
content or the builder, regenerate them with BACKCOACH_UPDATE_GOLDEN=1, read the diff as
a clinician would, and commit the files with the change.
"""

from __future__ import annotations

import functools
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from cast import CAST
from hypothesis import given, settings
from hypothesis import strategies as st

from backcoach.adapters.caseio import case_from_dict
from backcoach.cli.plan import plan_to_dict, render_plan
from backcoach.content.advice import load_advice
from backcoach.content.exercises import load_exercises
from backcoach.content.loader import load_catalog
from backcoach.domain.assessment import Assessor
from backcoach.domain.plan import Plan, build_plan
from backcoach.domain.preferences import make_preferences

GOLDEN = Path(__file__).parent / "golden"
START = date(2026, 11, 30)
CATALOG = load_catalog()
ASSESSOR = Assessor(CATALOG)
EXERCISES = load_exercises()
ADVICE = load_advice()
FINDING_IDS = [f.id for f in CATALOG.findings]
SOURCE_IDS = {s.id for s in CATALOG.sources}


def plan_for(raw: dict[str, Any], startback: str | None = None, **prefs: Any) -> Plan:
    case = case_from_dict(raw, set(FINDING_IDS))
    serious = {c.id for c in CATALOG.conditions if c.kind == "serious"}
    return build_plan(
        ASSESSOR.assess(case),
        make_preferences(**prefs),
        EXERCISES,
        ADVICE,
        START,
        startback,
        serious_conditions=serious,
    )


case_dicts = st.fixed_dictionaries(
    {
        "age": st.integers(12, 100),
        "sex": st.sampled_from(["female", "male", "other"]),
        "findings": st.dictionaries(
            st.sampled_from(FINDING_IDS), st.sampled_from(["present", "absent"]), max_size=40
        ),
    },
    optional={"pain_intensity": st.integers(0, 10), "duration_days": st.integers(0, 400)},
)


@settings(max_examples=150, deadline=None)
@given(case_dicts, st.sampled_from([None, "low", "medium", "high"]), st.integers(5, 60))
def test_no_plan_ever_holds_an_exercise_the_person_should_avoid(
    raw: dict[str, Any], startback: str | None, minutes: int
) -> None:
    plan = plan_for(raw, startback, minutes_per_day=minutes)
    if plan.kind == "none":
        assert plan.weeks == () and plan.advice == ()
        return
    for week in plan.weeks:
        for item in week.routine:
            assert item.exercise.is_safe_for(plan.profile.avoid), item.exercise.id
    # Every item of the plan carries a source that resolves.
    for week in plan.weeks:
        for item in week.routine:
            assert item.exercise.sources and set(item.exercise.sources) <= _all_sources()
    for advice in plan.advice:
        assert advice.sources and set(advice.sources) <= _all_sources()
    # Same input, same plan.
    assert plan == plan_for(raw, startback, minutes_per_day=minutes)


@functools.cache
def _all_sources() -> frozenset[str]:
    import yaml

    from backcoach.content import loader

    ids = set()
    for path in sorted(Path(loader.DATA_DIR, "sources").glob("*.yaml")):
        ids |= {s["id"] for s in yaml.safe_load(path.read_text())["sources"]}
    return frozenset(ids)


@pytest.mark.parametrize("who", sorted(CAST))
def test_golden_plans(who: str) -> None:
    plan = plan_for(CAST[who])
    text = render_plan(plan, 1) + "\n--- week 6 routine ---\n"
    text += "\n".join(
        f"{item.exercise.id}: {item.dose.reps} reps x {item.dose.sets}"
        for item in plan.weeks[-1].routine
    )
    path = GOLDEN / f"plan-{who}.txt"
    if os.environ.get("BACKCOACH_UPDATE_GOLDEN"):
        path.write_text(text + "\n")
    assert path.read_text() == text + "\n", f"{path} is out of date: see the module docstring"


def test_the_cast_gets_what_is_safe_and_relevant() -> None:
    runner = plan_to_dict(plan_for(CAST["runner-after-half-marathon"]))
    assert runner["kind"] == "full"
    assert any(a["way"] == "running" for a in runner["advice"])
    pregnant = plan_for(CAST["pregnant-pelvic-girdle-pain"])
    positions = {i.exercise.position for w in pregnant.weeks for i in w.routine}
    assert not positions & {"lying_front", "lying_back"}
    assert "nsaids_lowest_dose_shortest_time" not in [a.id for a in pregnant.advice]
    osteo = plan_for(CAST["older-man-osteoporosis"])
    assert not {c for w in osteo.weeks for i in w.routine for c in i.exercise.cautions} & {
        "osteoporosis_flexion",
        "osteoporosis_twist",
    }
    sciatica = plan_for(CAST["sciatica-one-leg"])
    assert "nerve_tension" in sciatica.profile.avoid
    assert not [
        i for w in sciatica.weeks for i in w.routine if "nerve_tension" in i.exercise.cautions
    ]
    desk = plan_to_dict(plan_for(CAST["desk-worker-text-neck"]))
    assert {r["exercise"] for r in desk["weeks"][0]["routine"]} & {
        "chin_tuck",
        "scapular_squeeze",
        "wall_angel",
        "thoracic_extension_chair",
        "open_book",
        "seated_thoracic_rotation",
        "neck_side_stretch",
    }
    assert any(a["way"] == "workstation" for a in desk["advice"])
