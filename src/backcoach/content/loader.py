"""Load the content files, validate them, and build the domain :class:`Catalog`.

Validation (pydantic and cross-reference checks) runs whenever the files change; its
output is cached as JSON together with the files' sizes and modification times, so a
command that only needs the catalog pays for a few stat calls and one JSON file, not for
pydantic and YAML. (The start-up time of ``backcoach assess --case`` is a target.)
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from backcoach import __version__
from backcoach.domain.catalog import (
    AtLeast,
    Catalog,
    Condition,
    ConditionModel,
    Evidence,
    Finding,
    LevelAdvice,
    PriorModifier,
    Source,
    TriageRule,
)
from backcoach.domain.model import Level

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
CACHE_FORMAT = 2


class ContentError(Exception):
    """A content file is invalid. The message names the file, the item and the field."""

    def __init__(self, file: str, item: str | None, field: str | None, problem: str) -> None:
        self.file, self.item, self.field, self.problem = file, item, field, problem
        where = file
        if item is not None:
            where += f": item {item!r}"
        if field:
            where += f", field {field!r}"
        super().__init__(f"{where}: {problem}")


def content_files(data_dir: str = DATA_DIR) -> list[str]:
    """Every YAML content file, in a stable order."""
    found: list[str] = []
    for root, dirs, files in os.walk(data_dir):
        dirs.sort()
        found.extend(os.path.join(root, name) for name in sorted(files) if name.endswith(".yaml"))
    return found


def signature(data_dir: str = DATA_DIR) -> list[list[object]]:
    """What the cache is valid for: the program version and each file's size and mtime.

    Stat calls only, like Python's own .pyc check, so a warm start reads no YAML.
    """
    entries: list[list[object]] = [[__version__, CACHE_FORMAT]]
    for path in content_files(data_dir):
        stat = os.stat(path)
        entries.append([os.path.relpath(path, data_dir), stat.st_size, stat.st_mtime_ns])
    return entries


def cache_dir() -> str:
    if explicit := os.environ.get("BACKCOACH_CACHE_DIR"):
        return explicit
    if home := os.environ.get("BACKCOACH_HOME"):
        return os.path.join(home, "cache")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "backcoach")


@cache
def load_catalog() -> Catalog:
    """The catalog of the installed content, validated once per change of the files."""
    return catalog_from_plain(load_plain(DATA_DIR))


def load_plain(data_dir: str = DATA_DIR) -> dict[str, Any]:
    """The validated content as plain data, from the cache when the files are unchanged."""
    return cached("catalog", data_dir, signature(data_dir), lambda: validate_content(data_dir))


def cached(
    kind: str, data_dir: str, wanted: list[list[object]], build: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """``build()``'s result, kept in the cache folder while ``wanted`` (the signature of
    the files it was built from) stays the same. One cache file per kind and data folder."""
    tag = zlib.crc32(os.path.abspath(data_dir).encode())
    path = os.path.join(cache_dir(), f"{kind}-{tag:08x}.json")
    try:
        with open(path, "rb") as fh:
            stored = json.load(fh)
        if stored.get("signature") == wanted:
            plain: dict[str, Any] = stored["content"]
            return plain
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    plain = build()
    data = json.dumps({"signature": wanted, "content": plain}, separators=(",", ":"))
    _write_atomically(path, data.encode())
    return plain


def _write_atomically(path: str, data: bytes) -> None:
    """Best effort: a read-only or missing cache directory only costs speed."""
    import tempfile

    try:
        _make_private_dirs(os.path.dirname(path))
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".cache-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        return


def _make_private_dirs(path: str) -> None:
    """Create ``path`` and any missing parents readable by the owner only: the cache sits
    beside health data when BACKCOACH_HOME is set."""
    missing = []
    while path and not os.path.isdir(path):
        missing.append(path)
        path = os.path.dirname(path)
    for folder in reversed(missing):
        os.mkdir(folder, 0o700)


def validate_content(data_dir: str = DATA_DIR) -> dict[str, Any]:
    """Validate every content file and return the catalog as plain JSON-able data."""
    from pathlib import Path

    from backcoach.content.validate import validate_directory

    return validate_directory(Path(data_dir))


def catalog_from_plain(plain: dict[str, Any]) -> Catalog:
    def tup(value: Any) -> tuple[Any, ...]:
        return tuple(value or ())

    findings = tuple(
        Finding(
            id=f["id"],
            group=f["group"],
            question=f["question"],
            help=f["help"],
            red_flag=f["red_flag"],
            phase=f["phase"],
            ask_if_any=tup(f["ask_if_any"]),
            ask_if_sex=tup(f["ask_if_sex"]),
            ask_if_age_min=f["ask_if_age_min"],
            ask_if_age_max=f["ask_if_age_max"],
            label=f["label"],
        )
        for f in plain["findings"]
    )
    conditions = tuple(
        Condition(
            id=c["id"],
            kind=c["kind"],
            name=c["name"],
            what_it_is=c["what_it_is"],
            why_it_happens=c["why_it_happens"],
            what_helps=c["what_helps"],
            when_to_get_help=c["when_to_get_help"],
            sources=tup(c["sources"]),
        )
        for c in plain["conditions"]
    )
    rules = tuple(
        TriageRule(
            id=r["id"],
            level=Level.from_id(r["level"]),
            message=r["message"],
            sources=tup(r["sources"]),
            present=tup(r["when"]["present"]),
            at_least=tuple(AtLeast(a["n"], tup(a["of"])) for a in r["when"]["at_least"]),
            absent=tup(r["when"]["absent"]),
            age_min=r["when"]["age_min"],
            age_max=r["when"]["age_max"],
            sexes=tup(r["when"]["sex"]),
            duration_min=r["when"]["duration_days_min"],
            duration_max=r["when"]["duration_days_max"],
            pain_min=r["when"]["pain_min"],
            fire_if_duration_unknown=r["when"]["fire_if_duration_unknown"],
        )
        for r in plain["rules"]
    )
    models = tuple(
        ConditionModel(
            condition=m["condition"],
            prior=m["prior"],
            modifiers=tuple(
                PriorModifier(
                    factor=x["factor"],
                    age_min=x["age_min"],
                    age_max=x["age_max"],
                    sexes=tup(x["sex"]),
                    duration_min=x["duration_days_min"],
                    duration_max=x["duration_days_max"],
                )
                for x in m["modifiers"]
            ),
        )
        for m in plain["likelihoods"]
    )
    evidence = tuple(
        Evidence(m["condition"], e["finding"], e["lr_present"], e["lr_absent"])
        for m in plain["likelihoods"]
        for e in m["evidence"]
    )
    sources = tuple(
        Source(s["id"], s["kind"], s["title"], s["by"], s["year"], s["url"])
        for s in plain["sources"]
    )
    levels = tuple(
        LevelAdvice(Level.from_id(x["id"]), x["headline"], x["action"], tup(x["sources"]))
        for x in plain["levels"]
    )
    return Catalog(
        findings=findings,
        levels=levels,
        conditions=conditions,
        rules=rules,
        condition_models=models,
        evidence=evidence,
        sources=sources,
        version=plain["fingerprint"],
    )


def iter_source_refs(plain: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """Every (file, item id, source id) citation in the plain catalog."""
    for f in plain["findings"]:
        for s in f["sources"]:
            yield "findings.yaml", f["id"], s
    for x in plain["levels"]:
        for s in x["sources"]:
            yield "levels.yaml", x["id"], s
    for c in plain["conditions"]:
        for s in c["sources"]:
            yield "conditions.yaml", c["id"], s
    for r in plain["rules"]:
        for s in r["sources"]:
            yield "triage_rules.yaml", r["id"], s
    for m in plain["likelihoods"]:
        for s in m["sources"]:
            yield "likelihoods.yaml", m["condition"], s
        for x in m["modifiers"]:
            for s in x["sources"]:
                yield "likelihoods.yaml", m["condition"], s
        for e in m["evidence"]:
            for s in e["sources"]:
                yield "likelihoods.yaml", f"{m['condition']}/{e['finding']}", s
