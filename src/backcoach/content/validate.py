"""Validation of the content files: pydantic per item, then cross-references.

Every error names the file, the item id and the field. Imported only when the cached
catalog is missing or stale.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from backcoach.content.loader import ContentError, content_files
from backcoach.content.schema import (
    ConditionItem,
    ConditionModelItem,
    FindingItem,
    LevelItem,
    RuleItem,
    SourceItem,
)

M = TypeVar("M", bound=BaseModel)

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path, label: str) -> Any:
    try:
        with path.open("rb") as fh:
            return yaml.load(fh, Loader=_Loader)
    except FileNotFoundError:
        raise ContentError(label, None, None, "file is missing") from None
    except yaml.YAMLError as exc:
        raise ContentError(label, None, None, f"not valid YAML: {exc}") from None


def validate_document(
    label: str,
    raw: Any,
    model: type[M],
    items_at: tuple[str, ...] = (),
    owner_at: tuple[str, ...] = (),
) -> M:
    """``model.model_validate(raw)``, or a ContentError naming the file, the item and the
    field. An error inside the list at ``items_at`` (a path of keys) names the item by its
    id, else by its position; one elsewhere under ``owner_at`` names the owner by its id
    (a questionnaire file's one questionnaire)."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = list(error["loc"])
        raise _located_error(label, raw, loc, error["msg"], items_at, owner_at) from None


def _located_error(
    label: str,
    raw: Any,
    loc: list[Any],
    message: str,
    items_at: tuple[str, ...],
    owner_at: tuple[str, ...],
) -> ContentError:
    n = len(items_at)
    if n and len(loc) > n and tuple(loc[:n]) == items_at and isinstance(loc[n], int):
        items = _dig(raw, items_at)
        index = loc[n]
        item = items[index] if isinstance(items, list) and index < len(items) else None
        item_id = item.get("id") if isinstance(item, dict) else None
        name = str(item_id) if item_id is not None else f"#{index + 1}"
        return ContentError(label, name, _dotted(loc[n + 1 :]), message)
    m = len(owner_at)
    if m and tuple(loc[:m]) == owner_at:
        owner = _dig(raw, owner_at)
        owner_id = owner.get("id") if isinstance(owner, dict) else None
        owner_name = str(owner_id) if owner_id is not None else None
        return ContentError(label, owner_name, _dotted(loc[m:]), message)
    return ContentError(label, None, _dotted(loc), message)


def _dig(raw: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        raw = raw.get(key) if isinstance(raw, dict) else None
    return raw


def _dotted(parts: list[Any]) -> str | None:
    return ".".join(str(part) for part in parts) or None


def parse_items(
    label: str, document: Any, key: str, model: type[M], id_field: str = "id"
) -> list[M]:
    if not isinstance(document, dict) or not isinstance(document.get(key), list):
        raise ContentError(label, None, key, f"expected a mapping with a list under {key!r}")
    items: list[M] = []
    seen: set[str] = set()
    for position, raw in enumerate(document[key], start=1):
        item_id = raw.get(id_field) if isinstance(raw, dict) else None
        name = str(item_id) if item_id is not None else f"#{position}"
        try:
            item = model.model_validate(raw)
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(part) for part in error["loc"])
            raise ContentError(label, name, field or None, error["msg"]) from None
        if name in seen:
            raise ContentError(label, name, id_field, "duplicate id")
        seen.add(name)
        items.append(item)
    return items


def read_sources(data_dir: Path) -> list[SourceItem]:
    """The sources registry (``sources/*.yaml``), each file validated."""
    sources: list[SourceItem] = []
    for path in sorted((data_dir / "sources").glob("*.yaml")):
        label = f"sources/{path.name}"
        sources.extend(parse_items(label, read_yaml(path, label), "sources", SourceItem))
    return sources


def read_source_ids(data_dir: Path) -> set[str]:
    return {s.id for s in read_sources(data_dir)}


def check_sources(
    label: str, item: str | None, field: str, cited: Iterable[str], known: Collection[str]
) -> None:
    """Every source ``item`` cites is in the registry; else ContentError naming it."""
    for sid in cited:
        if sid not in known:
            raise ContentError(label, item, field, f"unknown source {sid!r}")


def content_hash(data_dir: Path) -> str:
    """A short hash of every content file: the content version reported in results."""
    digest = hashlib.sha256()
    for name in content_files(str(data_dir)):
        path = Path(name)
        digest.update(path.relative_to(data_dir).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def parse_file(
    data_dir: Path, name: str, key: str, model: type[M], id_field: str = "id"
) -> list[M]:
    return parse_items(name, read_yaml(data_dir / name, name), key, model, id_field)


def validate_directory(data_dir: Path) -> dict[str, Any]:
    sources = read_sources(data_dir)
    _unique(sources, "sources/*.yaml")
    findings = parse_file(data_dir, "findings.yaml", "findings", FindingItem)
    conditions = parse_file(data_dir, "conditions.yaml", "conditions", ConditionItem)
    rules = parse_file(data_dir, "triage_rules.yaml", "rules", RuleItem)
    models = parse_file(
        data_dir, "likelihoods.yaml", "conditions", ConditionModelItem, id_field="condition"
    )
    levels = parse_file(data_dir, "levels.yaml", "levels", LevelItem)
    if len(levels) != 5:
        raise ContentError(
            "levels.yaml", None, "levels", "every one of the 5 triage levels needs advice"
        )
    source_ids = {s.id for s in sources}
    for level in levels:
        check_sources("levels.yaml", level.id, "sources", level.sources, source_ids)
    _check_references(sources, findings, conditions, rules, models)
    return {
        "fingerprint": content_hash(data_dir),
        "sources": [s.model_dump(mode="json") for s in sources],
        "findings": [f.model_dump(mode="json") for f in findings],
        "conditions": [c.model_dump(mode="json") for c in conditions],
        "rules": [r.model_dump(mode="json") for r in rules],
        "likelihoods": [m.model_dump(mode="json") for m in models],
        "levels": [x.model_dump(mode="json") for x in levels],
    }


def _unique(items: list[SourceItem], label: str) -> None:
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise ContentError(label, item.id, "id", "duplicate source id")
        seen.add(item.id)


def _check_references(
    sources: list[SourceItem],
    findings: list[FindingItem],
    conditions: list[ConditionItem],
    rules: list[RuleItem],
    models: list[ConditionModelItem],
) -> None:
    source_ids = {s.id for s in sources}
    finding_ids = {f.id for f in findings}
    red_flags = {f.id for f in findings if f.red_flag}
    condition_ids = {c.id for c in conditions}

    def need_sources(label: str, item: str, field: str, cited: list[str]) -> None:
        check_sources(label, item, field, cited, source_ids)

    def need_findings(label: str, item: str, field: str, cited: list[str]) -> None:
        for fid in cited:
            if fid not in finding_ids:
                raise ContentError(label, item, field, f"unknown finding {fid!r}")

    for f in findings:
        need_sources("findings.yaml", f.id, "sources", f.sources)
        need_findings("findings.yaml", f.id, "ask_if_any", f.ask_if_any)
    for c in conditions:
        need_sources("conditions.yaml", c.id, "sources", c.sources)
    for r in rules:
        label = "triage_rules.yaml"
        need_sources(label, r.id, "sources", r.sources)
        need_findings(label, r.id, "when.present", r.when.present)
        need_findings(label, r.id, "when.absent", r.when.absent)
        for n, clause in enumerate(r.when.at_least):
            need_findings(label, r.id, f"when.at_least.{n}.of", clause.of)
        # Safety: "no" to a red flag must never be what makes a rule fire, or a
        # present red flag could lower the level.
        for fid in r.when.absent:
            if fid in red_flags:
                raise ContentError(
                    label, r.id, "when.absent", f"red flag {fid!r} cannot be required absent"
                )
    modelled = set()
    for m in models:
        label = "likelihoods.yaml"
        if m.condition not in condition_ids:
            raise ContentError(label, m.condition, "condition", "unknown condition")
        modelled.add(m.condition)
        need_sources(label, m.condition, "sources", m.sources)
        for n, x in enumerate(m.modifiers):
            need_sources(label, m.condition, f"modifiers.{n}.sources", x.sources)
        for e in m.evidence:
            need_findings(label, m.condition, "evidence.finding", [e.finding])
            need_sources(label, f"{m.condition}/{e.finding}", "sources", e.sources)
    for cid in sorted(condition_ids - modelled):
        raise ContentError(
            "likelihoods.yaml", cid, "condition", "condition has no likelihood model"
        )
