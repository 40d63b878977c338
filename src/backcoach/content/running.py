"""Load ``content/data/running.yaml`` as the domain's :class:`TrainingRules`, validated by
pydantic when the files change (every source must exist), then cached like the rest."""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Any

from backcoach.content import loader
from backcoach.content.loader import DATA_DIR, cached
from backcoach.domain.training import TrainingRules

if TYPE_CHECKING:
    from pathlib import Path

    from pydantic import BaseModel

RUNNING_FILE = "running.yaml"
CACHE_FORMAT = 2


@cache
def load_training_rules() -> TrainingRules:
    plain = load_plain(os.fspath(DATA_DIR))
    return TrainingRules(**{k: v["value"] for k, v in plain["thresholds"].items()})


def load_plain(data_dir: str = DATA_DIR) -> dict[str, Any]:
    wanted: list[list[object]] = [
        [RUNNING_FILE, CACHE_FORMAT, repr(TrainingRules._fields)],
        *loader.signature(data_dir),
    ]
    return cached("running", data_dir, wanted, lambda: validate_running(data_dir))


def validate_running(data_dir: str | Path = DATA_DIR) -> dict[str, Any]:
    from pathlib import Path

    from backcoach.content.validate import check_sources, read_yaml, validate_document

    data_dir = Path(data_dir)
    catalog = loader.load_plain(os.fspath(data_dir))
    raw = read_yaml(data_dir / RUNNING_FILE, RUNNING_FILE)
    plain: dict[str, Any] = validate_document(RUNNING_FILE, raw, _file_model()).model_dump(
        mode="json"
    )
    sources = {s["id"] for s in catalog["sources"]}
    for name, item in plain["thresholds"].items():
        check_sources(RUNNING_FILE, name, "sources", item["sources"], sources)
    return plain


@cache
def _file_model() -> type[BaseModel]:
    from typing import Literal

    from pydantic import Field, create_model

    from backcoach.content.schema import Strict

    class Threshold(Strict):
        value: int | float = Field(gt=0)
        basis: Literal["literature", "guideline", "design"]
        sources: list[str] = Field(min_length=1)
        note: str = Field(min_length=10)

    thresholds = create_model(  # type: ignore[call-overload]
        "Thresholds", __base__=Strict, **dict.fromkeys(TrainingRules._fields, (Threshold, ...))
    )

    class RunningFile(Strict):
        version: Literal[1]
        thresholds: thresholds

    return RunningFile
