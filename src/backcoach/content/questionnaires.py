"""Load the questionnaire files and build domain :class:`Questionnaire` objects.

The files live in ``content/data/questionnaires/*.yaml``, one questionnaire per file, named
after its id. Validation (the pydantic models below, source references, the licence notice
file, and the domain's check that the items fit the scoring rules) runs when the files
change. Its output is cached as JSON with the files' sizes and modification times, like
the catalog, so a warm start makes a few stat calls and reads one JSON file: no pydantic,
no YAML.

Every validation error is a :class:`~backcoach.content.loader.ContentError` naming the
file, the item and the field.
"""

from __future__ import annotations

import os
import re
from functools import cache
from typing import TYPE_CHECKING, Any

from backcoach import __version__
from backcoach.content.loader import DATA_DIR, ContentError, cached
from backcoach.domain.questionnaires import (
    EXPECTED_ITEMS,
    DefinitionError,
    Item,
    Option,
    Questionnaire,
    check_questionnaire,
)

if TYPE_CHECKING:
    from pathlib import Path

    from pydantic import BaseModel

QUESTIONNAIRE_FOLDER = "questionnaires"
CACHE_FORMAT = 1
LOINC_PATTERN = r"^[0-9]{1,7}-[0-9]$"


# --- public API -------------------------------------------------------------------------


@cache
def load_questionnaires() -> dict[str, Questionnaire]:
    """Every shipped questionnaire by id, validated once per change of the files.

    The dict is cached and shared: treat it as read-only.
    """
    plain = load_plain(os.fspath(DATA_DIR))
    return {q["id"]: questionnaire_from_plain(q) for q in plain["questionnaires"]}


def load_questionnaire(questionnaire_id: str) -> Questionnaire:
    """One shipped questionnaire, e.g. ``"startback"``; ``KeyError`` if there is none."""
    return load_questionnaires()[questionnaire_id]


def validate_questionnaires(data_dir: str | Path = DATA_DIR) -> dict[str, Any]:
    """Validate the questionnaire files; return them as plain JSON-able data."""
    from pathlib import Path

    from backcoach.content.validate import (
        check_sources,
        read_source_ids,
        read_yaml,
        validate_document,
    )

    data_dir = Path(data_dir)
    source_ids = read_source_ids(data_dir)

    folder = data_dir / QUESTIONNAIRE_FOLDER
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        raise ContentError(f"{QUESTIONNAIRE_FOLDER}/", None, None, "no questionnaire files")
    file_model = _file_model()
    questionnaires: list[dict[str, Any]] = []
    for path in paths:
        label = f"{QUESTIONNAIRE_FOLDER}/{path.name}"
        raw = read_yaml(path, label)
        model = validate_document(
            label,
            raw,
            file_model,
            items_at=("questionnaire", "items"),
            owner_at=("questionnaire",),
        )
        data: dict[str, Any] = model.model_dump(mode="json")["questionnaire"]
        qid: str = data["id"]
        if path.stem != qid:  # file names are unique, so this keeps ids unique too
            raise ContentError(label, qid, "id", f"the file must be named {qid}.yaml")
        check_sources(label, qid, "sources", data["sources"], source_ids)
        _check_notice(folder, label, data)
        try:
            check_questionnaire(questionnaire_from_plain(data))
        except DefinitionError as exc:
            raise ContentError(label, exc.item_id or qid, exc.field, exc.problem) from None
        questionnaires.append(data)
    return {"questionnaires": questionnaires}


def questionnaire_from_plain(q: dict[str, Any]) -> Questionnaire:
    return Questionnaire(
        id=q["id"],
        name=q["name"],
        version=q["version"],
        language=q["language"],
        licence=q["licence"],
        recall_period=q["recall_period"],
        instructions=q["instructions"],
        items=tuple(
            Item(
                id=i["id"],
                text=i["text"],
                options=tuple(Option(o["value"], o["label"]) for o in i["options"]),
                loinc=i["loinc"],
            )
            for i in q["items"]
        ),
        scoring=q["scoring"],
        score_loinc=q["loinc"]["score"],
        sources=tuple(q["sources"]),
        wording_source=q["wording_source"],
        copyright=q["copyright"],
        licence_notice=q["licence_notice"],
        funding=q["funding"],
        notice_file=q["notice_file"],
    )


def signature(data_dir: str = DATA_DIR) -> list[list[object]]:
    """What the cache is valid for: program version, scoring rules, files' size and mtime."""
    entries: list[list[object]] = [[__version__, CACHE_FORMAT, repr(EXPECTED_ITEMS)]]
    for folder, suffixes in ((QUESTIONNAIRE_FOLDER, (".yaml", ".txt")), ("sources", (".yaml",))):
        base = os.path.join(data_dir, folder)
        try:
            names = sorted(os.listdir(base))
        except OSError:
            names = []
        for name in names:
            if name.endswith(suffixes):
                stat = os.stat(os.path.join(base, name))
                entries.append([f"{folder}/{name}", stat.st_size, stat.st_mtime_ns])
    return entries


def loinc_check_digit_ok(code: str) -> bool:
    """LOINC mod-10 check: double the number formed by the odd digits from the right."""
    if not re.fullmatch(LOINC_PATTERN, code):
        return False
    body, check = code.split("-")
    reversed_digits = body[::-1]
    odd = int(reversed_digits[0::2][::-1]) * 2
    even = reversed_digits[1::2][::-1]
    total = sum(int(c) for c in f"{even}{odd}")
    return (10 - total % 10) % 10 == int(check)


# --- loading ----------------------------------------------------------------------------


def load_plain(data_dir: str = DATA_DIR) -> dict[str, Any]:
    """The validated questionnaires as plain data, from the cache when files are unchanged."""
    data_dir = os.fspath(data_dir)
    return cached(
        "questionnaires", data_dir, signature(data_dir), lambda: validate_questionnaires(data_dir)
    )


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _check_notice(folder: Path, label: str, data: dict[str, Any]) -> None:
    """A questionnaire with a licence notice ships a notice file quoting its statements."""
    qid, name = data["id"], data["notice_file"]
    if data["licence_notice"] and not name:
        raise ContentError(label, qid, "notice_file", "a licence notice needs a notice file")
    if not name:
        return
    path = folder / name
    try:
        text = _normalise(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContentError(label, qid, "notice_file", f"{name} is missing") from None
    for field in ("copyright", "licence_notice", "funding"):
        statement = _normalise(data[field])
        if statement and statement not in text:
            raise ContentError(
                f"{QUESTIONNAIRE_FOLDER}/{name}", qid, field, f"{name} does not quote the {field}"
            )


# --- the schema -------------------------------------------------------------------------


@cache
def _file_model() -> type[BaseModel]:
    """The pydantic model of one questionnaire file, built on first use."""
    from typing import Literal

    from pydantic import Field, field_validator, model_validator

    from backcoach.content.schema import Id, Strict

    def check_loinc(value: str | None) -> str | None:
        if value is not None and not loinc_check_digit_ok(value):
            raise ValueError(f"{value!r} is not a valid LOINC code (check digit)")
        return value

    class OptionModel(Strict):
        value: int = Field(ge=0, le=100)
        label: str = Field(min_length=1, max_length=120)

    class ItemModel(Strict):
        id: str = Id
        text: str = Field(min_length=3, max_length=400)
        loinc: str | None = Field(default=None, pattern=LOINC_PATTERN)
        options: list[OptionModel] = Field(min_length=2, max_length=11)

        _loinc = field_validator("loinc")(check_loinc)

        @model_validator(mode="after")
        def _distinct_options(self) -> ItemModel:
            values = [o.value for o in self.options]
            labels = [o.label for o in self.options]
            if len(set(values)) != len(values):
                raise ValueError("two options share a value")
            if len(set(labels)) != len(labels):
                raise ValueError("two options share a label")
            return self

    class LoincModel(Strict):
        score: str | None = Field(pattern=LOINC_PATTERN)
        score_name: str = ""
        panel: str | None = Field(default=None, pattern=LOINC_PATTERN)
        note: str = ""

        _score = field_validator("score", "panel")(check_loinc)

        @model_validator(mode="after")
        def _explained(self) -> LoincModel:
            if self.score is None and not self.note:
                raise ValueError("without a score code, say why in 'note'")
            if self.score is not None and not self.score_name:
                raise ValueError("give the LOINC name of the score code in 'score_name'")
            return self

    class QuestionnaireModel(Strict):
        id: str = Id
        name: str = Field(min_length=3, max_length=120)
        version: str = Field(min_length=1, max_length=80)
        language: str = Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
        licence: str = Field(min_length=10)
        copyright: str = ""
        licence_notice: str = ""
        funding: str = ""
        notice_file: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_\-.]+\.txt$")
        sources: list[str] = Field(min_length=1)
        wording_source: str = Field(min_length=20)
        recall_period: str = Field(min_length=3, max_length=40)
        instructions: str = Field(min_length=10)
        loinc: LoincModel
        items: list[ItemModel] = Field(min_length=1)
        scoring: str = Field(min_length=20)

        @field_validator("items")
        @classmethod
        def _unique_items(cls, value: list[ItemModel]) -> list[ItemModel]:
            seen: set[str] = set()
            for item in value:
                if item.id in seen:
                    raise ValueError(f"item {item.id!r} is listed twice")
                seen.add(item.id)
            return value

    class QuestionnaireFile(Strict):
        version: Literal[1]
        questionnaire: QuestionnaireModel

    return QuestionnaireFile
