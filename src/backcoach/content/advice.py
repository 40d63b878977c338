"""Load the self-care advice file and build domain :class:`AdviceItem` objects.

The advice lives in ``content/data/advice.yaml``. Validation (the pydantic models below,
then cross-checks: ids unique, every source id in ``sources/*.yaml``, every condition
and finding id in the catalog) runs when any content file changes. Its output is cached
as JSON with the files' sizes and modification times, like the catalog, so a warm start
makes a few stat calls and reads one JSON file: no pydantic, no YAML.

Every validation error is a :class:`~backcoach.content.loader.ContentError` naming the
file, the item and the field.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Any

from backcoach.content import loader
from backcoach.content.loader import DATA_DIR, ContentError, cached
from backcoach.domain.advice import (
    EVIDENCE_GRADES,
    STARTBACK_RISKS,
    WAYS,
    AdviceItem,
    Selector,
)

if TYPE_CHECKING:
    from pathlib import Path

    from pydantic import BaseModel

ADVICE_FILE = "advice.yaml"
CACHE_FORMAT = 1
SELECTOR_FIELDS = ("when", "not_if")


# --- public API -------------------------------------------------------------------------


@cache
def load_advice() -> tuple[AdviceItem, ...]:
    """Every shipped advice item, in file order, validated once per change of the files.

    The tuple is cached and shared; its items are immutable.
    """
    plain = load_plain(os.fspath(DATA_DIR))
    return tuple(advice_from_plain(a) for a in plain["advice"])


def validate_advice(data_dir: str | Path = DATA_DIR) -> dict[str, Any]:
    """Validate the advice file against the catalog; return it as plain JSON-able data."""
    from pathlib import Path

    from backcoach.content.validate import read_yaml, validate_document

    data_dir = Path(data_dir)
    catalog = loader.load_plain(os.fspath(data_dir))
    raw = read_yaml(data_dir / ADVICE_FILE, ADVICE_FILE)
    model = validate_document(ADVICE_FILE, raw, _file_model(), items_at=("advice",))
    items: list[dict[str, Any]] = model.model_dump(mode="json")["advice"]
    _check_references(
        items,
        source_ids={s["id"] for s in catalog["sources"]},
        finding_ids={f["id"] for f in catalog["findings"]},
        condition_ids={c["id"] for c in catalog["conditions"]},
    )
    return {"advice": items}


def advice_from_plain(a: dict[str, Any]) -> AdviceItem:
    return AdviceItem(
        id=a["id"],
        way=a["way"],
        title=a["title"],
        text=a["text"],
        evidence=a["evidence"],
        evidence_note=a["evidence_note"],
        sources=tuple(a["sources"]),
        when=_selector(a["when"]),
        not_if=_selector(a["not_if"]),
        cautions=tuple(a["cautions"]),
    )


def signature(data_dir: str = DATA_DIR) -> list[list[object]]:
    """What the cache is valid for: the advice rules' vocabulary and every content file
    (the advice file, the sources and the catalog it is checked against)."""
    head: list[object] = [ADVICE_FILE, CACHE_FORMAT, repr((WAYS, EVIDENCE_GRADES))]
    return [head, *loader.signature(data_dir)]


def load_plain(data_dir: str = DATA_DIR) -> dict[str, Any]:
    """The validated advice as plain data, from the cache when files are unchanged."""
    data_dir = os.fspath(data_dir)
    return cached("advice", data_dir, signature(data_dir), lambda: validate_advice(data_dir))


# --- checks -----------------------------------------------------------------------------


def _selector(s: dict[str, Any]) -> Selector:
    return Selector(
        conditions_any=tuple(s["conditions_any"]),
        findings_any=tuple(s["findings_any"]),
        findings_none=tuple(s["findings_none"]),
        levels=tuple(s["levels"]),
        startback=tuple(s["startback"]),
    )


def _check_references(
    items: list[dict[str, Any]],
    source_ids: set[str],
    finding_ids: set[str],
    condition_ids: set[str],
) -> None:
    from backcoach.content.validate import check_sources

    seen: set[str] = set()
    for item in items:
        aid: str = item["id"]
        if aid in seen:
            raise ContentError(ADVICE_FILE, aid, "id", "duplicate id")
        seen.add(aid)
        check_sources(ADVICE_FILE, aid, "sources", item["sources"], source_ids)
        for part in SELECTOR_FIELDS:
            selector = item[part]
            for cid in selector["conditions_any"]:
                if cid not in condition_ids:
                    field = f"{part}.conditions_any"
                    raise ContentError(ADVICE_FILE, aid, field, f"unknown condition {cid!r}")
            for key in ("findings_any", "findings_none"):
                for fid in selector[key]:
                    if fid not in finding_ids:
                        field = f"{part}.{key}"
                        raise ContentError(ADVICE_FILE, aid, field, f"unknown finding {fid!r}")


# --- the schema -------------------------------------------------------------------------


@cache
def _file_model() -> type[BaseModel]:
    """The pydantic model of the advice file, built on first use."""
    from typing import Literal

    from pydantic import Field, field_validator

    from backcoach.content.schema import Id, LevelId, Strict

    def one_of(allowed: tuple[str, ...]) -> Any:
        def check(value: str) -> str:
            if value not in allowed:
                raise ValueError(f"{value!r} is not one of: {', '.join(allowed)}")
            return value

        return check

    def no_repeats(value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("an id is listed twice")
        return value

    def check_startback(value: list[str]) -> list[str]:
        for risk in value:
            one_of(STARTBACK_RISKS)(risk)
        return no_repeats(value)

    class SelectorModel(Strict):
        conditions_any: list[str] = Field(default_factory=list)
        findings_any: list[str] = Field(default_factory=list)
        findings_none: list[str] = Field(default_factory=list)
        levels: list[LevelId] = Field(default_factory=list)
        startback: list[str] = Field(default_factory=list)

        _repeats = field_validator("conditions_any", "findings_any", "findings_none", "levels")(
            no_repeats
        )
        _startback = field_validator("startback")(check_startback)

    class AdviceModel(Strict):
        id: str = Id
        way: str
        title: str = Field(min_length=3, max_length=60)
        text: str = Field(min_length=40, max_length=600)
        evidence: str
        evidence_note: str = Field(min_length=20, max_length=300)
        when: SelectorModel = Field(default_factory=SelectorModel)
        not_if: SelectorModel = Field(default_factory=SelectorModel)
        cautions: list[str] = Field(default_factory=list)
        sources: list[str] = Field(min_length=1)

        _way = field_validator("way")(one_of(WAYS))
        _evidence = field_validator("evidence")(one_of(EVIDENCE_GRADES))

        @field_validator("cautions")
        @classmethod
        def _short_cautions(cls, value: list[str]) -> list[str]:
            for caution in value:
                if not 5 <= len(caution) <= 200:
                    raise ValueError("each caution must be 5 to 200 characters")
            return value

        _sources = field_validator("sources")(no_repeats)

    class AdviceFile(Strict):
        version: Literal[1]
        advice: list[AdviceModel] = Field(min_length=1)

    return AdviceFile
