"""Case files: JSON in, :class:`Case` out, with errors that name the field.

Implements ``shared/spec/case.schema.json`` by hand rather than with a JSON Schema library:
it is the hot path of ``assess --batch`` and the errors must read well. A finding id that
is not in the catalog is an error with a "did you mean" hint, never a silent unknown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any

from backcoach.domain.model import ABSENT, PRESENT, SEXES, UNKNOWN, Case

if TYPE_CHECKING:
    from backcoach.domain.questionnaires import Questionnaire

_UTF8_BOM = b"\xef\xbb\xbf"
_FINDING_ID = re.compile(r"^[a-z][a-z0-9_]*$")
# The spec's fields plus one extension: "questionnaires" (answers the interview saves).
_FIELDS = frozenset(
    ("id", "age", "sex", "pain_intensity", "duration_days", "findings", "text", "questionnaires")
)
_ANSWERS = frozenset((PRESENT, ABSENT, UNKNOWN))


class CaseError(ValueError):
    """Invalid case input. ``field`` names the offending field (dotted for findings)."""

    def __init__(self, field: str | None, problem: str, case_id: str | None = None) -> None:
        self.field = field
        self.problem = problem
        self.case_id = case_id
        super().__init__(f"field {field!r}: {problem}" if field else problem)


def parse_case_text(
    text: str | bytes,
    known_findings: Collection[str],
    questionnaires: Mapping[str, Questionnaire] | None = None,
    *,
    loads: Callable[[bytes], Any] | None = None,
) -> Case:
    """Parse one case from JSON text.

    ``questionnaires`` (id -> definition) checks the optional ``questionnaires`` field;
    when not given, the installed questionnaires are loaded, only if the field is present.
    ``loads`` swaps in a faster JSON parser for bytes (``assess --batch`` uses orjson,
    which checks the UTF-8 itself); its errors must be ``ValueError`` subclasses.
    """
    if loads is not None and isinstance(text, bytes):
        try:
            raw = loads(text.removeprefix(_UTF8_BOM))
        except ValueError as exc:
            raise CaseError(None, f"invalid JSON: {exc}") from None
        return case_from_dict(raw, known_findings, questionnaires)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CaseError(None, f"not UTF-8 text (bad byte at offset {exc.start})") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaseError(
            None, f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise CaseError(None, "invalid JSON: nested too deeply") from None
    return case_from_dict(raw, known_findings, questionnaires)


def case_from_dict(
    raw: Any,
    known_findings: Collection[str],
    questionnaires: Mapping[str, Questionnaire] | None = None,
) -> Case:
    if not isinstance(raw, dict):
        raise CaseError(None, f"a case must be a JSON object, got {_json_type(raw)}")
    case_id = raw.get("id")
    if case_id is not None and (not isinstance(case_id, str) or len(case_id) > 200):
        raise CaseError("id", "must be a string of at most 200 characters")
    try:
        extra = raw.keys() - _FIELDS
        if extra:
            name = sorted(extra)[0]
            raise CaseError(name, f"unknown field (allowed: {', '.join(sorted(_FIELDS))})")
        age = _integer(raw, "age", 0, 120, required=True)
        sex = raw.get("sex")
        if sex is None:
            raise CaseError("sex", "is required: one of female, male, other")
        if sex not in SEXES:
            raise CaseError("sex", f"must be one of female, male, other (got {_show(sex)})")
        pain = _integer(raw, "pain_intensity", 0, 10)
        duration = _integer(raw, "duration_days", 0, 36500)
        text = raw.get("text")
        if text is not None and (not isinstance(text, str) or len(text) > 5000):
            raise CaseError("text", "must be a string of at most 5000 characters")
        findings = _findings(raw.get("findings", _MISSING), known_findings)
        answers = (
            _questionnaires(raw["questionnaires"], questionnaires)
            if "questionnaires" in raw
            else {}
        )
    except CaseError as exc:
        exc.case_id = case_id
        raise
    return Case(
        age=age,  # type: ignore[arg-type]  # required=True never returns None
        sex=sex,
        findings=findings,
        pain_intensity=pain,
        duration_days=duration,
        id=case_id,
        text=text,
        questionnaires=answers,
    )


_MISSING = object()


def _integer(
    raw: dict[str, Any], name: str, low: int, high: int, *, required: bool = False
) -> int | None:
    value = raw.get(name)
    if value is None:
        if required or name in raw:
            raise CaseError(name, f"is required: a whole number from {low} to {high}")
        return None
    if type(value) is not int:
        raise CaseError(name, f"must be a whole number from {low} to {high} (got {_show(value)})")
    if not low <= value <= high:
        raise CaseError(name, f"must be from {low} to {high} (got {value})")
    return value


def _findings(value: Any, known: Collection[str]) -> dict[str, Any]:
    if value is _MISSING:
        raise CaseError(
            "findings", "is required: an object of finding id -> present/absent/unknown"
        )
    if not isinstance(value, dict):
        raise CaseError("findings", f"must be an object, got {_json_type(value)}")
    answered = {}
    for fid, answer in value.items():
        if fid not in known:
            raise CaseError(f"findings.{_clip(fid)}", _unknown_finding(fid, known))
        if answer not in _ANSWERS:
            raise CaseError(
                f"findings.{fid}", f"must be present, absent or unknown (got {_show(answer)})"
            )
        if answer != UNKNOWN:
            answered[fid] = answer
    return answered


def _questionnaires(
    value: Any, definitions: Mapping[str, Questionnaire] | None
) -> dict[str, dict[str, int]]:
    """``{questionnaire id: {item id: option value}}``, every item answered."""
    if not isinstance(value, dict):
        raise CaseError(
            "questionnaires",
            f"must be an object of questionnaire id -> answers, got {_json_type(value)}",
        )
    if not value:
        return {}
    from backcoach.domain.questionnaires import AnswerError, validate_answers

    if definitions is None:
        definitions = _installed_questionnaires()
    answers: dict[str, dict[str, int]] = {}
    for qid, items in value.items():
        questionnaire = definitions.get(qid)
        if questionnaire is None:
            known = ", ".join(sorted(definitions)) or "none"
            raise CaseError(
                f"questionnaires.{_clip(qid)}", f"unknown questionnaire (known: {known})"
            )
        if not isinstance(items, dict):
            raise CaseError(
                f"questionnaires.{qid}",
                f"must be an object of item id -> answer value, got {_json_type(items)}",
            )
        try:
            answers[qid] = validate_answers(questionnaire, items)
        except AnswerError as exc:
            raise CaseError(f"questionnaires.{qid}.{_clip(exc.item_id)}", exc.problem) from None
    return answers


def _installed_questionnaires() -> Mapping[str, Questionnaire]:
    from backcoach.content.loader import ContentError
    from backcoach.content.questionnaires import load_questionnaires

    try:
        return load_questionnaires()
    except ContentError as exc:  # a broken install, not the case's fault
        raise CaseError("questionnaires", f"cannot be checked: {exc}") from None


def _unknown_finding(fid: str, known: Collection[str]) -> str:
    if not _FINDING_ID.match(fid):
        return "not a valid finding id (lower case letters, digits and _)"
    import difflib  # only on the error path

    close = difflib.get_close_matches(fid, list(known), n=1, cutoff=0.75)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown finding id{hint} (see `backcoach findings`)"


def _json_type(value: Any) -> str:
    names: dict[type, str] = {
        list: "an array",
        str: "a string",
        bool: "true/false",
        type(None): "null",
    }
    return names.get(type(value), "a number")


def _show(value: Any) -> str:
    return _clip(json.dumps(value))


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
