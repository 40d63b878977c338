"""The machine interface of shared/spec/README.md, through the real command."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from support import SPEC, backcoach, needs_shared

pytestmark = needs_shared()


def result_schema() -> dict[str, object]:
    return json.loads((SPEC / "result.schema.json").read_text())  # type: ignore[no-any-return]


def expected_examples() -> list[dict[str, str]]:
    with (SPEC / "examples" / "expected.tsv").open() as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.mark.parametrize(
    "row", expected_examples() if SPEC.is_dir() else [], ids=lambda r: r["case"]
)
def test_spec_examples_give_the_clinicians_level_and_top_condition(row: dict[str, str]) -> None:
    import jsonschema

    done = backcoach("assess", "--case", str(SPEC / "examples" / f"{row['case']}.json"), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    jsonschema.validate(result, result_schema())
    assert result["id"] == row["case"]
    assert result["triage"]["level"] == row["level"]
    assert result["conditions"][0]["id"] == row["top_condition"]


def test_case_from_stdin() -> None:
    case = (SPEC / "examples" / "cauda-equina.json").read_bytes()
    done = backcoach("assess", "--case", "-", "--json", stdin=case)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["triage"]["level"] == "emergency"
    fired = {r["rule"]: r for r in result["triage"]["reasons"]}
    assert fired["ces-saddle-numbness"]["findings"] == ["saddle_numbness"]
    assert all(r["source"] for r in result["triage"]["reasons"])


def test_batch_keeps_order_and_reports_bad_lines_in_place(tmp_path: Path) -> None:
    import jsonschema

    good = [
        json.loads((SPEC / "examples" / f"{n}.json").read_text())
        for n in ("runner-doms", "cauda-equina")
    ]
    lines = [
        json.dumps(good[0]),
        '{"id": "typo", "age": 40, "sex": "male", "findings": {"saddle_numbnes": "present"}}',
        json.dumps(good[1]),
    ]
    batch = tmp_path / "cases.jsonl"
    batch.write_text("\n".join(lines) + "\n")
    done = backcoach("assess", "--batch", str(batch), "--json")
    assert done.returncode == 1
    out = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [o.get("id") for o in out] == ["runner-doms", "typo", "cauda-equina"]
    assert out[1]["line"] == 2
    assert "findings.saddle_numbnes" in out[1]["error"]
    assert "saddle_numbness" in out[1]["error"]  # the "did you mean" hint
    for result in (out[0], out[2]):
        jsonschema.validate(result, result_schema())
    assert b"line 2" in done.stderr


def test_all_good_batch_exits_zero(tmp_path: Path) -> None:
    case = json.loads((SPEC / "examples" / "runner-doms.json").read_text())
    batch = tmp_path / "cases.jsonl"
    batch.write_text("\n".join(json.dumps({**case, "id": str(i)}) for i in range(50)))
    done = backcoach("assess", "--batch", str(batch), "--json")
    assert done.returncode == 0, done.stderr
    assert [json.loads(x)["id"] for x in done.stdout.decode().splitlines()] == [
        str(i) for i in range(50)
    ]


def test_findings_catalog_implements_every_spec_id() -> None:
    import yaml

    done = backcoach("findings", "--json")
    assert done.returncode == 0
    catalog = {f["id"]: f for f in json.loads(done.stdout)}
    spec = yaml.safe_load((SPEC / "findings.yaml").read_text())
    spec_ids = {fid for group, items in spec.items() if isinstance(items, dict) for fid in items}
    assert spec_ids <= catalog.keys()
    for item in catalog.values():
        assert set(item) >= {"id", "group", "question", "red_flag"}
        assert isinstance(item["red_flag"], bool)


def test_conditions_catalog_implements_every_spec_id() -> None:
    import yaml

    done = backcoach("conditions", "--json")
    assert done.returncode == 0
    catalog = {c["id"]: c for c in json.loads(done.stdout)}
    spec = yaml.safe_load((SPEC / "conditions.yaml").read_text())
    assert {cid for cid in spec if cid != "version"} <= catalog.keys()
    for item in catalog.values():
        assert item["name"] and item["what_it_is"] and item["sources"]


def test_human_output_names_the_level_and_causes() -> None:
    done = backcoach("assess", "--case", str(SPEC / "examples" / "runner-doms.json"))
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode()
    assert "LOOK AFTER THIS AT HOME" in text
    assert "LIKELY CAUSES" in text
    assert max(len(line) for line in text.splitlines()) <= 80
