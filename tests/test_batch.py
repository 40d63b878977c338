"""The vectorised batch path gives exactly the scalar path's results."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from backcoach.adapters.batch import BatchAssessor
from backcoach.adapters.caseio import case_from_dict
from backcoach.adapters.result_json import ResultWriter
from backcoach.content.loader import load_catalog
from backcoach.domain.assessment import Assessor

CATALOG = load_catalog()
ASSESSOR = Assessor(CATALOG)
WRITER = ResultWriter(CATALOG)
BATCH = BatchAssessor(CATALOG, ASSESSOR, WRITER)
FINDING_IDS = [f.id for f in CATALOG.findings]
KNOWN = set(FINDING_IDS)

case_dicts = st.fixed_dictionaries(
    {
        "age": st.integers(0, 120),
        "sex": st.sampled_from(["female", "male", "other"]),
        "findings": st.dictionaries(
            st.sampled_from(FINDING_IDS),
            st.sampled_from(["present", "absent", "unknown"]),
            max_size=len(FINDING_IDS),
        ),
    },
    optional={
        "pain_intensity": st.integers(0, 10),
        "duration_days": st.integers(0, 36500),
        "id": st.text(max_size=12),
    },
)


def scalar(raw: dict[str, Any]) -> dict[str, Any]:
    return WRITER.to_dict(ASSESSOR.assess(case_from_dict(raw, KNOWN)))


@settings(max_examples=60, deadline=None)
@given(st.lists(case_dicts, min_size=1, max_size=40))
def test_batch_results_equal_the_scalar_results(raws: list[dict[str, Any]]) -> None:
    lines = BATCH.encode([case_from_dict(raw, KNOWN) for raw in raws])
    assert len(lines) == len(raws)
    for raw, line in zip(raws, lines, strict=True):
        assert "\n" not in line
        assert json.loads(line) == scalar(raw)


def test_many_realistic_cases_in_one_chunk() -> None:
    import random

    rng = random.Random(7)
    danger = [f.id for f in CATALOG.findings if f.phase == "danger"]
    raws = []
    for i in range(600):
        findings = {
            fid: rng.choices(["absent", "present", "unknown"], [90, 5, 5])[0] for fid in danger
        }
        for fid in rng.sample(FINDING_IDS, 20):
            findings.setdefault(fid, rng.choice(["present", "absent"]))
        raws.append(
            {
                "id": f"c{i}",
                "age": rng.randint(1, 110),
                "sex": rng.choice(["female", "male", "other"]),
                "duration_days": rng.randint(0, 200),
                "pain_intensity": rng.randint(0, 10),
                "findings": findings,
            }
        )
    lines = BATCH.encode([case_from_dict(raw, KNOWN) for raw in raws])
    for raw, line in zip(raws, lines, strict=True):
        assert json.loads(line) == scalar(raw)


def test_unicode_ids_and_empty_cases() -> None:
    raws = [
        {"id": 'Zoë \u2603 "quoted"', "age": 30, "sex": "other", "findings": {}},
        {"age": 0, "sex": "female", "findings": {"fever": "unknown"}},
    ]
    lines = BATCH.encode([case_from_dict(raw, KNOWN) for raw in raws])
    assert [json.loads(line) for line in lines] == [scalar(raw) for raw in raws]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 40000)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=5,
)
near_valid = st.fixed_dictionaries(
    {},
    optional={
        "age": st.one_of(st.integers(-2, 125), json_values),
        "sex": st.one_of(st.sampled_from(["female", "male", "other", "x"]), json_values),
        "pain_intensity": st.one_of(st.integers(-1, 11), json_values),
        "duration_days": st.one_of(st.integers(-1, 36501), json_values),
        "id": st.one_of(st.text(max_size=5), json_values),
        "text": json_values,
        "findings": st.one_of(
            st.dictionaries(
                st.sampled_from([*FINDING_IDS[:10], "saddle_numbnes", "x"]),
                st.sampled_from(["present", "absent", "unknown", "yes", ""]),
                max_size=6,
            ),
            json_values,
        ),
        "extra": json_values,
    },
)


@settings(max_examples=300, deadline=None)
@given(near_valid)
def test_the_quick_parse_accepts_only_what_the_validator_accepts(raw: dict[str, Any]) -> None:
    from backcoach.adapters.caseio import CaseError

    quick = BATCH.quick_case(raw)
    try:
        expected = case_from_dict(raw, KNOWN)
    except CaseError:
        assert quick is None
        return
    if quick is not None:
        case, columns = quick
        assert case._replace(questionnaires={}) == expected._replace(questionnaires={})
        assert sorted(columns) == sorted(BATCH.column[item] for item in expected.findings.items())
