"""Bad input: exit 2 (1 for a batch with bad lines), one line naming the field, no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import backcoach

GOOD = {"age": 35, "sex": "female", "findings": {"saddle_numbness": "absent"}}


def case_with(**changes: object) -> bytes:
    case = {**GOOD, **changes}
    return json.dumps({k: v for k, v in case.items() if v is not ...}).encode()


BAD_CASES = {
    "invalid-json": (b'{"age": 35, "sex": ', "invalid JSON"),
    "not-an-object": (b"[1, 2]", "must be a JSON object"),
    "unknown-finding": (
        case_with(findings={"back_hurts_a_lot": "present"}),
        "findings.back_hurts_a_lot",
    ),
    "typo-finding": (
        case_with(findings={"saddle_numbnes": "present"}),
        "did you mean 'saddle_numbness'",
    ),
    "wrong-answer": (case_with(findings={"fever": "yes"}), "findings.fever"),
    "age-150": (case_with(age=150), "'age'"),
    "age-minus-1": (case_with(age=-1), "'age'"),
    "age-float": (case_with(age=35.5), "'age'"),
    "age-bool": (case_with(age=True), "'age'"),
    "missing-sex": (case_with(sex=...), "'sex'"),
    "bad-sex": (case_with(sex="x"), "'sex'"),
    "pain-11": (case_with(pain_intensity=11), "'pain_intensity'"),
    "duration-negative": (case_with(duration_days=-3), "'duration_days'"),
    "missing-findings": (case_with(findings=...), "'findings'"),
    "findings-list": (case_with(findings=["fever"]), "'findings'"),
    "extra-field": (case_with(weight=80), "'weight'"),
    "binary-garbage": (bytes(range(256)) * 4, "UTF-8"),
    "empty": (b"", "empty"),
    "whitespace-only": (b"  \n\n", "empty"),
}


def assert_clean_error(stderr: bytes, needle: str) -> None:
    text = stderr.decode("utf-8", "replace")
    assert "Traceback" not in text
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert needle in lines[0], lines[0]


@pytest.mark.parametrize("name", BAD_CASES)
def test_bad_case_file_exits_2_naming_the_field(name: str, tmp_path: Path) -> None:
    data, needle = BAD_CASES[name]
    path = tmp_path / "case.json"
    path.write_bytes(data)
    done = backcoach("assess", "--case", str(path), "--json")
    assert done.returncode == 2
    assert done.stdout == b""
    assert_clean_error(done.stderr, needle)
    assert str(path) in done.stderr.decode()


def test_missing_file() -> None:
    done = backcoach("assess", "--case", "/no/such/case.json")
    assert done.returncode == 2
    assert_clean_error(done.stderr, "no such file")


def test_stdin_closed() -> None:
    done = backcoach("assess", "--case", "-", "--json", close_stdin=True)
    assert done.returncode == 2
    assert_clean_error(done.stderr, "standard input")


def test_huge_case_file_is_refused_without_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b'{"text": "' + b"a" * (50 * 1024 * 1024) + b'"}')
    done = backcoach("assess", "--case", str(path))
    assert done.returncode == 2
    assert_clean_error(done.stderr, "larger than 1 MB")


def test_batch_with_a_50_mb_line_and_garbage(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    with path.open("wb") as fh:
        fh.write(case_with(id="first") + b"\n")
        fh.write(b'{"id": "huge", "text": "' + b"x" * (50 * 1024 * 1024) + b'"}\n')
        fh.write(bytes(range(1, 256)).replace(b"\n", b"") + b"\n")
        fh.write(b"\n")
        fh.write(case_with(id="last", age=200) + b"\n")
        fh.write(case_with(id="after"))  # no final newline
    done = backcoach("assess", "--batch", str(path), "--json")
    assert done.returncode == 1
    out = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert len(out) == 6
    assert out[0]["id"] == "first" and "triage" in out[0]
    assert out[1] == {"line": 2, "id": None, "error": "line is longer than 1 MB, which no case is"}
    assert (out[2]["line"] == 3 and "UTF-8" in out[2]["error"]) or "JSON" in out[2]["error"]
    assert out[3]["line"] == 4 and "empty line" in out[3]["error"]
    assert out[4] == {
        "line": 5,
        "id": "last",
        "error": "field 'age': must be from 0 to 120 (got 200)",
    }
    assert out[5]["id"] == "after" and "triage" in out[5]
    assert "Traceback" not in done.stderr.decode()


def test_empty_batch_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    done = backcoach("assess", "--batch", str(path))
    assert done.returncode == 2
    assert_clean_error(done.stderr, "empty")


def test_batch_stdin_closed() -> None:
    done = backcoach("assess", "--batch", "-", close_stdin=True)
    assert done.returncode == 2
    assert_clean_error(done.stderr, "standard input")


def test_case_and_batch_together_is_a_usage_error() -> None:
    done = backcoach("assess", "--case", "a", "--batch", "b")
    assert done.returncode == 2
    assert b"not allowed with" in done.stderr
