"""Clinical vignettes: the engine's triage level and likely-cause ranking against the sources.

The vignettes (``tests/vignettes/cases.yaml``) were written from the clinical sources (NHS,
NICE, IFOMPT, research/clinical.md), not from the engine's rule or likelihood files, so a
failure here means the engine and the sources disagree; decide which side is right before
changing either. Each vignette is run once, in-process; the same run feeds the tests and the
accuracy table that ``tests/conftest.py`` prints at the end of the session.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from backcoach.content.loader import load_catalog
from backcoach.domain.assessment import Assessor
from backcoach.domain.model import Case, Level

HERE = Path(__file__).resolve().parent
CASES_FILE = HERE / "vignettes" / "cases.yaml"
SPEC = HERE.parent.parent / "shared" / "spec"
SCHEMA_FILE = SPEC / "case.schema.json"

REQUIRED_KEYS = frozenset({"id", "title", "case", "expected_level", "cite", "why"})
OPTIONAL_KEYS = frozenset(
    {
        "expected_top",
        "acceptable_top",
        "expect_provisional",
        "expect_unanswered_contains",
        "known_limitation",
    }
)
LEVEL_IDS = tuple(level.id for level in Level)

# What the brief asks the suite to cover (a shrinking suite should fail loudly).
MIN_VIGNETTES = 70
MIN_PER_LEVEL = {
    "self_care": 10,
    "consultation": 8,
    "consultation_24": 8,
    "emergency": 8,
    "emergency_ambulance": 6,
}
MIN_RUNNING = 8
RUNNING_MARKERS = ("runner", "onset_during_or_after_running")

# Published anchors printed next to our numbers (research/clinical.md §4).
SEMIGRAN_2015_TRIAGE = 57
SEMIGRAN_2015_SELF_CARE = 33
HILL_2020_SELF_CARE = 40
GILBERT_2020_GP_SAFE = 97.0
SEMIGRAN_2016_TOP1_CHECKERS, SEMIGRAN_2016_TOP1_DOCTORS = 34.0, 72.1
SEMIGRAN_2016_TOP3_CHECKERS, SEMIGRAN_2016_TOP3_DOCTORS = 51.2, 84.3


def load_vignettes() -> list[dict[str, Any]]:
    data = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
    cases = data["cases"]
    assert isinstance(cases, list)
    return cases


VIGNETTES = load_vignettes()
BY_ID = {v["id"]: v for v in VIGNETTES}


def accepted_top(vignette: dict[str, Any]) -> frozenset[str]:
    """Condition ids any of which may come first (empty when the top is left open)."""
    ids = set(vignette.get("acceptable_top") or ())
    if vignette.get("expected_top"):
        ids.add(vignette["expected_top"])
    return frozenset(ids)


def is_running_case(vignette: dict[str, Any]) -> bool:
    findings = vignette["case"]["findings"]
    return any(findings.get(marker) == "present" for marker in RUNNING_MARKERS)


def to_case(vignette: dict[str, Any]) -> Case:
    """The spec case as an engine ``Case``: only present/absent answers are kept."""
    raw = vignette["case"]
    findings = {fid: answer for fid, answer in raw["findings"].items() if answer != "unknown"}
    return Case(
        age=raw["age"],
        sex=raw["sex"],
        findings=findings,
        pain_intensity=raw.get("pain_intensity"),
        duration_days=raw.get("duration_days"),
        id=vignette["id"],
        text=raw.get("text"),
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    level: Level | None
    provisional: bool = False
    unanswered: tuple[str, ...] = ()
    ranking: tuple[str, ...] = ()
    error: str | None = None


@cache
def run_all() -> dict[str, Outcome]:
    """Assess every vignette once; an engine error is recorded, not raised."""
    try:
        assessor = Assessor(load_catalog())
    except Exception as exc:  # the content is being written; report it on every vignette
        error = f"catalog failed to load: {type(exc).__name__}: {exc}"
        return {v["id"]: Outcome(level=None, error=error) for v in VIGNETTES}
    outcomes = {}
    for vignette in VIGNETTES:
        try:
            result = assessor.assess(to_case(vignette))
        except Exception as exc:
            outcomes[vignette["id"]] = Outcome(level=None, error=f"{type(exc).__name__}: {exc}")
            continue
        outcomes[vignette["id"]] = Outcome(
            level=result.triage.level,
            provisional=result.triage.provisional,
            unanswered=tuple(result.triage.unanswered_red_flags),
            ranking=tuple(c.id for c in result.conditions),
        )
    return outcomes


def outcome(vignette_id: str) -> Outcome:
    got = run_all()[vignette_id]
    if got.error is not None:
        pytest.fail(f"{vignette_id}: the engine failed: {got.error}")
    return got


def _params(selected: list[dict[str, Any]]) -> list[Any]:
    return [pytest.param(v["id"], id=v["id"]) for v in selected]


# --------------------------------------------------------------------------------------------
# The vignette file itself


def _spec_ids() -> tuple[set[str], set[str]]:
    """Finding and condition ids from the shared spec, or from the engine if it is absent."""
    if SPEC.is_dir():
        findings_doc = yaml.safe_load((SPEC / "findings.yaml").read_text(encoding="utf-8"))
        findings = {
            fid for group in findings_doc.values() if isinstance(group, dict) for fid in group
        }
        conditions_doc = yaml.safe_load((SPEC / "conditions.yaml").read_text(encoding="utf-8"))
        conditions = {cid for cid, value in conditions_doc.items() if isinstance(value, dict)}
        return findings, conditions
    catalog = load_catalog()
    return {f.id for f in catalog.findings}, {c.id for c in catalog.conditions}


def test_vignette_file_is_well_formed() -> None:
    finding_ids, condition_ids = _spec_ids()
    ids = [v["id"] for v in VIGNETTES]
    problems = [f"duplicate id {i!r}" for i, n in Counter(ids).items() if n > 1]
    for v in VIGNETTES:
        vid = v.get("id", "?")
        keys = set(v)
        if missing := REQUIRED_KEYS - keys:
            problems.append(f"{vid}: missing {sorted(missing)}")
        if extra := keys - REQUIRED_KEYS - OPTIONAL_KEYS:
            problems.append(f"{vid}: unknown keys {sorted(extra)}")
        if v.get("expected_level") not in LEVEL_IDS:
            problems.append(f"{vid}: bad expected_level {v.get('expected_level')!r}")
        for cid in accepted_top(v):
            if cid not in condition_ids:
                problems.append(f"{vid}: unknown condition {cid!r}")
        for fid in v["case"]["findings"]:
            if fid not in finding_ids:
                problems.append(f"{vid}: unknown finding {fid!r}")
        for fid in v.get("expect_unanswered_contains") or ():
            if fid not in finding_ids:
                problems.append(f"{vid}: unknown finding {fid!r} in expect_unanswered_contains")
            elif v["case"]["findings"].get(fid, "unknown") != "unknown":
                problems.append(f"{vid}: {fid!r} is expected unanswered but has an answer")
        if not v.get("cite") or not str(v.get("why", "")).strip():
            problems.append(f"{vid}: needs cite and why")
    assert not problems, "\n".join(problems)


def test_suite_covers_the_brief() -> None:
    _, condition_ids = _spec_ids()
    levels = Counter(v["expected_level"] for v in VIGNETTES)
    tops = {v["expected_top"] for v in VIGNETTES if v.get("expected_top")}
    running = [v["id"] for v in VIGNETTES if is_running_case(v)]
    assert len(VIGNETTES) >= MIN_VIGNETTES
    short = {lvl: levels[lvl] for lvl, n in MIN_PER_LEVEL.items() if levels[lvl] < n}
    assert not short, f"too few vignettes for {short}"
    assert not condition_ids - tops, f"never expected first: {sorted(condition_ids - tops)}"
    assert len(running) >= MIN_RUNNING, running
    assert any(v.get("expect_provisional") for v in VIGNETTES)


@pytest.mark.skipif(not SCHEMA_FILE.is_file(), reason="shared/spec/case.schema.json is not present")
@pytest.mark.parametrize("vignette_id", _params(VIGNETTES))
def test_case_matches_spec_schema(vignette_id: str) -> None:
    import jsonschema

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(BY_ID[vignette_id]["case"])


# --------------------------------------------------------------------------------------------
# The engine against the vignettes


@pytest.mark.parametrize("vignette_id", _params(VIGNETTES))
def test_triage_level(vignette_id: str) -> None:
    vignette = BY_ID[vignette_id]
    got = outcome(vignette_id)
    assert got.level is not None
    expected = vignette["expected_level"]
    assert got.level.id == expected, (
        f"{vignette['title']}: expected {expected}, got {got.level.id}. Why: {vignette['why']}"
    )


def _top_params(selected: list[dict[str, Any]]) -> list[Any]:
    """A vignette may record a known limitation of the ranking: the test then is an
    expected failure (strict, so a fix shows up as an unexpected pass)."""
    return [
        pytest.param(
            v["id"],
            id=v["id"],
            marks=[pytest.mark.xfail(reason=v["known_limitation"], strict=True)]
            if v.get("known_limitation")
            else [],
        )
        for v in selected
    ]


@pytest.mark.parametrize("vignette_id", _top_params([v for v in VIGNETTES if accepted_top(v)]))
def test_top_condition(vignette_id: str) -> None:
    vignette = BY_ID[vignette_id]
    got = outcome(vignette_id)
    accepted = accepted_top(vignette)
    first = got.ranking[0] if got.ranking else None
    assert first in accepted, (
        f"{vignette['title']}: expected first one of {sorted(accepted)}, "
        f"got {first} (ranking {list(got.ranking[:4])})"
    )


EMERGENCIES = [v for v in VIGNETTES if Level.from_id(v["expected_level"]) >= Level.EMERGENCY]


@pytest.mark.parametrize("vignette_id", _params(EMERGENCIES))
def test_emergency_never_triaged_below_emergency(vignette_id: str) -> None:
    """Safety: zero missed emergencies (research/clinical.md §4 acceptance targets)."""
    got = outcome(vignette_id)
    assert got.level is not None
    assert got.level >= Level.EMERGENCY, (
        f"{BY_ID[vignette_id]['title']}: an emergency was triaged as {got.level.id}"
    )


PROVISIONAL_CASES = [
    v for v in VIGNETTES if "expect_provisional" in v or v.get("expect_unanswered_contains")
]


@pytest.mark.parametrize("vignette_id", _params(PROVISIONAL_CASES))
def test_provisional_and_unanswered_red_flags(vignette_id: str) -> None:
    vignette = BY_ID[vignette_id]
    got = outcome(vignette_id)
    if "expect_provisional" in vignette:
        assert got.provisional is vignette["expect_provisional"], (
            f"expected provisional={vignette['expect_provisional']}, got {got.provisional} "
            f"(unanswered red flags {list(got.unanswered)})"
        )
    missing = set(vignette.get("expect_unanswered_contains") or ()) - set(got.unanswered)
    assert not missing, (
        f"not listed as unanswered: {sorted(missing)}; listed {list(got.unanswered)}"
    )


# --------------------------------------------------------------------------------------------
# Accuracy report (printed by tests/conftest.py through pytest_terminal_summary)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "   n/a"


def vignette_report_lines() -> list[str] | None:
    """The accuracy table, or None when this session never ran the vignettes."""
    if run_all.cache_info().currsize == 0:
        return None
    outcomes = run_all()
    n = len(VIGNETTES)
    errors = [v["id"] for v in VIGNETTES if outcomes[v["id"]].error is not None]

    rows = []
    total = {"n": 0, "exact": 0, "under": 0, "over": 0, "safe": 0, "gilbert": 0}
    mismatches = []
    for level in reversed(Level):
        row = dict.fromkeys(total, 0)
        for v in VIGNETTES:
            if v["expected_level"] != level.id:
                continue
            got = outcomes[v["id"]].level
            row["n"] += 1
            if got is None:
                continue
            row["exact"] += got == level
            row["under"] += got < level
            row["over"] += got > level
            row["safe"] += got >= level
            row["gilbert"] += got >= level - 1
            if got != level:
                mismatches.append(f"  {v['id']}: expected {level.id}, got {got.id}")
        rows.append((level.id, row))
        for key in total:
            total[key] += row[key]

    header = f"  {'expected level':<22}{'n':>4}{'exact':>15}{'under':>7}{'over':>6}{'safe':>9}"
    table = [header]
    for name, row in [*rows, ("all", total)]:
        table.append(
            f"  {name:<22}{row['n']:>4}{row['exact']:>7} {_pct(row['exact'], row['n'])}"
            f"{row['under']:>7}{row['over']:>6}   {_pct(row['safe'], row['n'])}"
        )

    missed = sum(
        1
        for v in EMERGENCIES
        if (got := outcomes[v["id"]].level) is not None and got < Level.EMERGENCY
    )
    self_care = dict(rows)["self_care"]

    ranked = [v for v in VIGNETTES if accepted_top(v)]
    top1 = top3 = 0
    for v in ranked:
        ranking = outcomes[v["id"]].ranking
        accepted = accepted_top(v)
        top1 += bool(ranking) and ranking[0] in accepted
        top3 += bool(accepted & set(ranking[:3]))

    lines = [
        f"{n} vignettes from {CASES_FILE.relative_to(HERE.parent)}; engine errors: {len(errors)}"
        + (f" ({', '.join(errors[:5])}{', ...' if len(errors) > 5 else ''})" if errors else ""),
        *table,
        f"exact level accuracy: {_pct(total['exact'], n).strip()}"
        f"  (Semigran 2015 symptom checkers: {SEMIGRAN_2015_TRIAGE}%)",
        f"under-triage: {total['under']}   over-triage: {total['over']}"
        f"   emergencies triaged below emergency: {missed}",
        f"safe (at or above the expected level): {_pct(total['safe'], n).strip()}"
        f"   at or above, or one level below (Gilbert 2020 wording):"
        f" {_pct(total['gilbert'], n).strip()}  (GPs {GILBERT_2020_GP_SAFE}%)",
        f"self-care exact: {_pct(self_care['exact'], self_care['n']).strip()}"
        f"  (Semigran 2015: {SEMIGRAN_2015_SELF_CARE}%, Hill 2020: {HILL_2020_SELF_CARE}%;"
        " target >= 70%)",
        f"top-1 condition: {top1}/{len(ranked)} = {_pct(top1, len(ranked)).strip()}"
        f"  (Semigran 2016: checkers {SEMIGRAN_2016_TOP1_CHECKERS}%,"
        f" physicians {SEMIGRAN_2016_TOP1_DOCTORS}%)",
        f"top-3 condition: {top3}/{len(ranked)} = {_pct(top3, len(ranked)).strip()}"
        f"  (Semigran 2016: checkers {SEMIGRAN_2016_TOP3_CHECKERS}%,"
        f" physicians {SEMIGRAN_2016_TOP3_DOCTORS}%)",
    ]
    if mismatches:
        lines += ["level mismatches:", *mismatches]
    return lines
