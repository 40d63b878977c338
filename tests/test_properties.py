"""Property-based tests of the assessment over the real content."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backcoach.adapters.caseio import case_from_dict
from backcoach.adapters.result_json import ResultWriter
from backcoach.cli.main import main
from backcoach.content.loader import load_catalog
from backcoach.domain.assessment import Assessor
from backcoach.domain.model import Case

CATALOG = load_catalog()
ASSESSOR = Assessor(CATALOG)
FINDING_IDS = [f.id for f in CATALOG.findings]
RED_FLAGS = [f.id for f in CATALOG.findings if f.red_flag]
KNOWN = set(FINDING_IDS)

answers = st.sampled_from(["present", "absent", "unknown"])
case_dicts = st.fixed_dictionaries(
    {
        "age": st.integers(0, 120),
        "sex": st.sampled_from(["female", "male", "other"]),
        "findings": st.dictionaries(st.sampled_from(FINDING_IDS), answers, max_size=30),
    },
    optional={
        "pain_intensity": st.integers(0, 10),
        "duration_days": st.integers(0, 36500),
        "id": st.text(max_size=20),
    },
)


def level_of(raw: dict[str, Any]) -> int:
    return int(ASSESSOR.assess(case_from_dict(raw, KNOWN)).triage.level)


@given(case_dicts, st.sampled_from(RED_FLAGS))
def test_adding_a_present_red_flag_never_lowers_the_level(raw: dict[str, Any], flag: str) -> None:
    before = level_of(raw)
    after = level_of({**raw, "findings": {**raw["findings"], flag: "present"}})
    assert after >= before


@given(case_dicts, st.sampled_from(FINDING_IDS))
def test_unknown_never_gives_a_lower_level_than_absent(raw: dict[str, Any], fid: str) -> None:
    unknown = level_of({**raw, "findings": {**raw["findings"], fid: "unknown"}})
    absent = level_of({**raw, "findings": {**raw["findings"], fid: "absent"}})
    assert unknown >= absent


@given(case_dicts)
def test_random_valid_cases_never_crash_and_are_well_formed(raw: dict[str, Any]) -> None:
    assessment = ASSESSOR.assess(case_from_dict(raw, KNOWN))
    result = ResultWriter(CATALOG).to_dict(assessment)
    assert math.isclose(sum(c.probability for c in assessment.conditions), 1.0, rel_tol=1e-9)
    assert len({c["id"] for c in result["conditions"]}) == len(CATALOG.conditions)
    assert result["provisional"] == bool(result["unanswered_red_flags"])
    for fid in result["unanswered_red_flags"]:
        assert raw["findings"].get(fid, "unknown") == "unknown"
    json.dumps(result)


@given(case_dicts)
def test_the_same_case_always_gives_the_same_result(raw: dict[str, Any]) -> None:
    writer = ResultWriter(CATALOG)
    first = writer.to_dict(ASSESSOR.assess(case_from_dict(raw, KNOWN)))
    # A fresh engine and a reordered findings dict must not change anything.
    reordered = {**raw, "findings": dict(reversed(list(raw["findings"].items())))}
    second = ResultWriter(CATALOG).to_dict(
        Assessor(CATALOG).assess(case_from_dict(reordered, KNOWN))
    )
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


# Each corruption returns (case, the field the error must name).
def _corruptions() -> st.SearchStrategy[tuple[dict[str, Any], str]]:
    def corrupt(raw: dict[str, Any], how: int, junk: Any, word: str) -> tuple[dict[str, Any], str]:
        raw = dict(raw)
        if how == 0:
            raw["age"] = junk if not (isinstance(junk, int) and 0 <= junk <= 120) else 121
            return raw, "age"
        if how == 1:
            raw["sex"] = word if word not in ("female", "male", "other") else "unknown"
            return raw, "sex"
        if how == 2:
            fid = "zz_" + word
            raw["findings"] = {**raw["findings"], fid: "present"}
            return raw, f"findings.{fid}"
        if how == 3:
            fid = FINDING_IDS[len(word) % len(FINDING_IDS)]
            raw["findings"] = {**raw["findings"], fid: word + "!"}
            return raw, f"findings.{fid}"
        if how == 4:
            raw["pain_intensity"] = 11 + len(word)
            return raw, "pain_intensity"
        if how == 5:
            raw.pop("sex")
            return raw, "sex"
        raw["x_" + word] = junk
        return raw, "x_" + word

    junk = st.one_of(
        st.integers(-(10**6), 10**6),
        st.floats(allow_nan=False),
        st.text(max_size=5),
        st.none(),
        st.booleans(),
    )
    words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)
    return st.builds(corrupt, case_dicts, st.integers(0, 6), junk, words)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_corruptions())
def test_random_invalid_cases_exit_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], corrupted: tuple[dict[str, Any], str]
) -> None:
    raw, field = corrupted
    path = tmp_path / "case.json"
    path.write_text(json.dumps(raw))
    assert main(["assess", "--case", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"'{field}'" in captured.err, captured.err
    assert "Traceback" not in captured.err


def test_case_object_is_what_the_engine_sees() -> None:
    case = case_from_dict({"age": 40, "sex": "male", "findings": {"fever": "unknown"}}, KNOWN)
    assert case == Case(age=40, sex="male", findings={})
