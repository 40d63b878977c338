"""Content integrity: every reference resolves, everything cites a source, errors name the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from support import SPEC, needs_shared

from backcoach.content import loader
from backcoach.content.loader import ContentError, iter_source_refs, validate_content

PLAIN = validate_content()
SOURCE_IDS = {s["id"] for s in PLAIN["sources"]}


def test_every_citation_resolves_to_a_registered_source() -> None:
    refs = list(iter_source_refs(PLAIN))
    assert len(refs) > 100  # the walk really covers the content
    missing = [(file, item, sid) for file, item, sid in refs if sid not in SOURCE_IDS]
    assert missing == []


def test_every_rule_condition_level_and_model_cites_a_source() -> None:
    for kind in ("rules", "conditions", "levels", "likelihoods"):
        for item in PLAIN[kind]:
            assert item["sources"], (kind, item)
    for model in PLAIN["likelihoods"]:
        for evidence in model["evidence"]:
            assert evidence["sources"], (model["condition"], evidence["finding"])


def test_every_red_flag_cites_a_source_and_is_asked_first() -> None:
    for finding in PLAIN["findings"]:
        if finding["red_flag"]:
            assert finding["sources"] and finding["phase"] == "danger", finding["id"]


def test_every_source_is_cited_somewhere() -> None:
    cited = {sid for _, _, sid in iter_source_refs(PLAIN)}
    # Sources used only by other content (questionnaires, plans) are listed by those files.
    unused = SOURCE_IDS - cited
    assert len(unused) <= len(SOURCE_IDS) // 2, sorted(unused)


def test_every_finding_in_a_rule_or_model_exists() -> None:
    finding_ids = {f["id"] for f in PLAIN["findings"]}
    for rule in PLAIN["rules"]:
        when = rule["when"]
        named = when["present"] + when["absent"] + [f for c in when["at_least"] for f in c["of"]]
        assert set(named) <= finding_ids, rule["id"]
    for model in PLAIN["likelihoods"]:
        assert {e["finding"] for e in model["evidence"]} <= finding_ids


def test_every_triage_level_is_reachable_by_some_rule() -> None:
    assert {r["level"] for r in PLAIN["rules"]} >= {
        "emergency_ambulance",
        "emergency",
        "consultation_24",
        "consultation",
    }


@needs_shared()
def test_every_spec_finding_and_condition_is_implemented() -> None:
    spec_findings = yaml.safe_load((SPEC / "findings.yaml").read_text())
    ids = {fid for items in spec_findings.values() if isinstance(items, dict) for fid in items}
    assert ids <= {f["id"] for f in PLAIN["findings"]}
    spec_conditions = yaml.safe_load((SPEC / "conditions.yaml").read_text())
    assert set(spec_conditions) - {"version"} <= {c["id"] for c in PLAIN["conditions"]}
    kinds = {cid: v["kind"] for cid, v in spec_conditions.items() if cid != "version"}
    assert {c["id"]: c["kind"] for c in PLAIN["conditions"] if c["id"] in kinds} == kinds


# --- errors in content files name the file, the item and the field ------------------------


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(loader.DATA_DIR, target)
    return target


def edit(path: Path, change: str, to: str) -> None:
    text = path.read_text()
    assert change in text
    path.write_text(text.replace(change, to, 1))


def test_missing_field_is_named(data_copy: Path) -> None:
    edit(
        data_copy / "triage_rules.yaml",
        "  - id: ces-saddle-numbness\n    level: emergency\n",
        "  - id: ces-saddle-numbness\n",
    )
    with pytest.raises(ContentError) as err:
        validate_content(str(data_copy))
    assert err.value.file == "triage_rules.yaml"
    assert err.value.item == "ces-saddle-numbness"
    assert err.value.field == "level"


def test_unknown_finding_in_a_rule_is_named(data_copy: Path) -> None:
    edit(
        data_copy / "triage_rules.yaml",
        "when: {present: [saddle_numbness]}",
        "when: {present: [saddle_numbnes]}",
    )
    with pytest.raises(
        ContentError,
        match=r"triage_rules.yaml: item 'ces-saddle-numbness', field 'when.present': unknown finding 'saddle_numbnes'",
    ):
        validate_content(str(data_copy))


def test_unknown_source_is_named(data_copy: Path) -> None:
    edit(
        data_copy / "levels.yaml",
        "sources: [infermedica-triage, nhs-back-pain]\n",
        "sources: [no-such-source]\n",
    )
    with pytest.raises(
        ContentError,
        match=r"levels.yaml: item 'emergency_ambulance', field 'sources': unknown source 'no-such-source'",
    ):
        validate_content(str(data_copy))


def test_a_red_flag_required_absent_is_refused(data_copy: Path) -> None:
    edit(
        data_copy / "triage_rules.yaml",
        "absent: [pain_mechanical, pain_widespread]",
        "absent: [pain_mechanical, fever]",
    )
    with pytest.raises(ContentError, match="red flag 'fever' cannot be required absent"):
        validate_content(str(data_copy))


def test_broken_yaml_is_named(data_copy: Path) -> None:
    (data_copy / "conditions.yaml").write_text("conditions: [\n")
    with pytest.raises(ContentError, match=r"conditions\.yaml: not valid YAML"):
        validate_content(str(data_copy))


def test_the_cache_follows_edits(
    data_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKCOACH_CACHE_DIR", str(tmp_path / "cache"))
    first = loader.load_plain(str(data_copy))
    assert loader.load_plain(str(data_copy)) == first  # served from the cache
    assert list((tmp_path / "cache").iterdir())
    edit(
        data_copy / "levels.yaml",
        'headline: "Call an ambulance now"',
        'headline: "Call an ambulance at once"',
    )
    second = loader.load_plain(str(data_copy))
    assert second["levels"][0]["headline"] == "Call an ambulance at once"
    assert second["fingerprint"] != first["fingerprint"]


def test_an_unwritable_cache_only_costs_speed(
    data_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("BACKCOACH_CACHE_DIR", str(blocker / "cache"))
    assert loader.load_plain(str(data_copy))["rules"]


def test_a_new_home_folder_is_private(
    data_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "new-home"
    monkeypatch.delenv("BACKCOACH_CACHE_DIR", raising=False)
    monkeypatch.setenv("BACKCOACH_HOME", str(home))
    loader.load_plain(str(data_copy))
    assert (home / "cache").is_dir()
    assert home.stat().st_mode & 0o777 == 0o700
    assert (home / "cache").stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize(
    ("file", "change", "to", "field"),
    [
        ("recovery.yaml", "  average_days:\n    value: 7\n    basis: design",
         "  average_days:\n    value: 7\n    basis: a guess", "thresholds.average_days.basis"),
        ("running.yaml", "    basis: literature\n    sources: [frandsen-2025]",
         "    basis: folklore\n    sources: [frandsen-2025]", "thresholds.spike_ratio.basis"),
    ],
)  # fmt: skip
def test_recovery_and_running_errors_name_the_field(
    data_copy: Path, file: str, change: str, to: str, field: str
) -> None:
    from backcoach.content.recovery import validate_recovery
    from backcoach.content.running import validate_running

    validate = {"recovery.yaml": validate_recovery, "running.yaml": validate_running}[file]
    validate(data_copy)  # as shipped: valid
    edit(data_copy / file, change, to)
    with pytest.raises(ContentError) as err:
        validate(data_copy)
    assert (err.value.file, err.value.item, err.value.field) == (file, None, field)
