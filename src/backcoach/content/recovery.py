"""Load ``content/data/recovery.yaml``: the recovery record's thresholds, re-screen questions,
weekly plan-change rules and progress words, as a domain :class:`RecoveryRules`.

Validated by pydantic when the files change (every source and finding must exist, every
re-screen finding must be a red flag, every domain rule must have its words), then cached
as JSON like the rest of the content. Errors are :class:`ContentError` naming the field.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Any

from backcoach.content import loader
from backcoach.content.loader import DATA_DIR, ContentError, cached
from backcoach.domain.recovery import ACTIONS, VERDICTS, AdaptationRule, RecoveryRules

if TYPE_CHECKING:
    from pathlib import Path

    from pydantic import BaseModel

RECOVERY_FILE = "recovery.yaml"
CACHE_FORMAT = 2
# The rules domain/recovery.py decides by, each needing its words in the file.
RULE_IDS = (
    "red_flag",
    "startback_higher",
    "not_better_after_6_weeks",
    "flare",
    "not_better_after_2_weeks",
    "better_and_kept_up",
    "kept_up_no_trend",
    "routine_not_kept",
    "steady",
    "not_enough_data",
)


@cache
def load_recovery_rules() -> RecoveryRules:
    plain = load_plain(os.fspath(DATA_DIR))
    return rules_from_plain(plain)


def rules_from_plain(plain: dict[str, Any]) -> RecoveryRules:
    t = {name: item["value"] for name, item in plain["thresholds"].items()}
    return RecoveryRules(
        rescreen=tuple(plain["rescreen"]["findings"]),
        average_days=t["average_days"],
        fewest_days_for_average=t["fewest_days_for_average"],
        fell_points=t["fell_points"],
        flare_rise_points=t["flare_rise_points"],
        good_adherence_percent=t["good_adherence_percent"],
        suggest_help_after_weeks=t["suggest_help_after_weeks"],
        recommend_help_after_weeks=t["recommend_help_after_weeks"],
        peg_every_days=t["peg_every_days"],
        rmdq_every_days=t["rmdq_every_days"],
        startback_weeks=tuple(t["startback_weeks"]),
        fewest_nights_for_sleep=t["fewest_nights_for_sleep"],
        short_sleep_hours=t["short_sleep_hours"],
        adaptation=tuple(
            AdaptationRule(r["id"], r["action"], r["message"], tuple(r["sources"]))
            for r in plain["adaptation"]
        ),
        verdicts={**plain["verdicts"], **plain["scores"]},
    )


def load_plain(data_dir: str = DATA_DIR) -> dict[str, Any]:
    data_dir = os.fspath(data_dir)
    wanted: list[list[object]] = [
        [RECOVERY_FILE, CACHE_FORMAT, repr((ACTIONS, VERDICTS, RULE_IDS))],
        *loader.signature(data_dir),
    ]
    return cached("recovery", data_dir, wanted, lambda: validate_recovery(data_dir))


def validate_recovery(data_dir: str | Path = DATA_DIR) -> dict[str, Any]:
    from pathlib import Path

    from backcoach.content.validate import read_yaml, validate_document

    data_dir = Path(data_dir)
    catalog = loader.load_plain(os.fspath(data_dir))
    raw = read_yaml(data_dir / RECOVERY_FILE, RECOVERY_FILE)
    plain: dict[str, Any] = validate_document(RECOVERY_FILE, raw, _file_model()).model_dump(
        mode="json"
    )
    _check_references(plain, catalog)
    return plain


def _check_references(plain: dict[str, Any], catalog: dict[str, Any]) -> None:
    from backcoach.content.validate import check_sources

    sources = {s["id"] for s in catalog["sources"]}
    red_flags = {f["id"] for f in catalog["findings"] if f["red_flag"]}
    for fid in plain["rescreen"]["findings"]:
        if fid not in red_flags:
            raise ContentError(RECOVERY_FILE, fid, "rescreen.findings", "not a red-flag finding")
    cited = [("rescreen", plain["rescreen"]["sources"])]
    cited += [(name, item["sources"]) for name, item in plain["thresholds"].items()]
    cited += [(rule["id"], rule["sources"]) for rule in plain["adaptation"]]
    for item, ids in cited:
        check_sources(RECOVERY_FILE, item, "sources", ids, sources)
    rule_ids = [rule["id"] for rule in plain["adaptation"]]
    if sorted(rule_ids) != sorted(RULE_IDS):
        missing = sorted(set(RULE_IDS) - set(rule_ids))
        extra = sorted(set(rule_ids) - set(RULE_IDS))
        raise ContentError(
            RECOVERY_FILE,
            None,
            "adaptation",
            f"rules must be exactly the program's (missing {missing}, unknown {extra})",
        )


@cache
def _file_model() -> type[BaseModel]:
    from typing import Literal

    from pydantic import Field

    from backcoach.content.schema import Id, Strict

    class Threshold(Strict):
        value: int | float | list[int]
        basis: Literal["literature", "guideline", "design"]
        sources: list[str] = Field(min_length=1)
        note: str = Field(min_length=10)

    class Thresholds(Strict):
        average_days: Threshold
        fewest_days_for_average: Threshold
        fell_points: Threshold
        flare_rise_points: Threshold
        good_adherence_percent: Threshold
        suggest_help_after_weeks: Threshold
        recommend_help_after_weeks: Threshold
        peg_every_days: Threshold
        rmdq_every_days: Threshold
        startback_weeks: Threshold
        fewest_nights_for_sleep: Threshold
        short_sleep_hours: Threshold

    class Rescreen(Strict):
        findings: list[str] = Field(min_length=1)
        sources: list[str] = Field(min_length=1)
        note: str

    class Rule(Strict):
        id: str = Id
        action: Literal[ACTIONS]  # type: ignore[valid-type]
        message: str = Field(min_length=10, max_length=400)
        sources: list[str] = Field(min_length=1)

    class Verdicts(Strict):
        real_improvement: str
        some_improvement: str
        no_change: str
        worse: str
        not_enough_data: str

    class Scores(Strict):
        peg_better: str
        peg_same: str
        rmdq_better: str
        rmdq_same: str

    class RecoveryFile(Strict):
        version: Literal[1]
        rescreen: Rescreen
        thresholds: Thresholds
        adaptation: list[Rule]
        verdicts: Verdicts
        scores: Scores

    return RecoveryFile
