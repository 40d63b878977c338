"""Load the exercise library and build domain :class:`Exercise` objects.

The exercises live in ``content/data/exercises.yaml``; each one names a drawing in
``content/data/drawings/`` and cites sources from ``content/data/sources/*.yaml``.
Validation (the pydantic models below, unique ids, source references, the drawing files and
the safety rules that tie a position to its caution tags) runs when the files change. Its
output is cached as JSON with the files' sizes and modification times, like the catalog, so
a warm start makes a few stat calls and reads one JSON file: no pydantic, no YAML.

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
from backcoach.domain.exercises import (
    AREAS,
    CAUTION_TAGS,
    EQUIPMENT,
    KINDS,
    POSITIONS,
    Dose,
    Exercise,
)

if TYPE_CHECKING:
    from pathlib import Path

    from pydantic import BaseModel

EXERCISES_FILE = "exercises.yaml"
DRAWINGS_FOLDER = "drawings"
CACHE_FORMAT = 1

# Safety rules: a position that always needs a caution tag.
POSITION_CAUTIONS = {
    "lying_front": "pregnancy_prone",
    "lying_back": "pregnancy_supine",
    "all_fours": "wrist_knee",
}
_SENTENCE_BREAK = re.compile(r"[.!?]\s+\S")


# --- public API -------------------------------------------------------------------------


@cache
def load_exercises() -> tuple[Exercise, ...]:
    """Every shipped exercise, in file order, validated once per change of the files."""
    plain = load_plain(os.fspath(DATA_DIR))
    return tuple(exercise_from_plain(x) for x in plain["exercises"])


def load_exercise(exercise_id: str) -> Exercise:
    """One shipped exercise, e.g. ``"bird_dog"``; ``KeyError`` if there is none."""
    for exercise in load_exercises():
        if exercise.id == exercise_id:
            return exercise
    raise KeyError(exercise_id)


def drawing_path(exercise: Exercise, data_dir: str = DATA_DIR) -> str:
    """Where the exercise's drawing (an SVG file) is."""
    return os.path.join(data_dir, DRAWINGS_FOLDER, exercise.drawing)


def validate_exercises(data_dir: str | Path = DATA_DIR) -> dict[str, Any]:
    """Validate the exercise library; return it as plain JSON-able data."""
    from pathlib import Path

    from backcoach.content.validate import (
        check_sources,
        read_source_ids,
        read_yaml,
        validate_document,
    )

    data_dir = Path(data_dir)
    source_ids = read_source_ids(data_dir)
    raw = read_yaml(data_dir / EXERCISES_FILE, EXERCISES_FILE)
    model = validate_document(EXERCISES_FILE, raw, _file_model(), items_at=("exercises",))
    exercises: list[dict[str, Any]] = model.model_dump(mode="json")["exercises"]

    drawings = data_dir / DRAWINGS_FOLDER
    seen: set[str] = set()
    for data in exercises:
        xid: str = data["id"]
        if xid in seen:
            raise ContentError(EXERCISES_FILE, xid, "id", "duplicate id")
        seen.add(xid)
        check_sources(EXERCISES_FILE, xid, "sources", data["sources"], source_ids)
        if not (drawings / data["drawing"]).is_file():
            raise ContentError(
                EXERCISES_FILE, xid, "drawing", f"{DRAWINGS_FOLDER}/{data['drawing']} is missing"
            )
        _check_safety(data)
    return {"exercises": exercises}


def exercise_from_plain(x: dict[str, Any]) -> Exercise:
    d = x["dose"]
    return Exercise(
        id=x["id"],
        name=x["name"],
        purpose=x["purpose"],
        area=x["area"],
        kind=x["kind"],
        position=x["position"],
        equipment=tuple(x["equipment"]),
        steps=tuple(x["steps"]),
        dose=Dose(
            reps=d["reps"],
            hold_seconds=d["hold_seconds"],
            sets=d["sets"],
            times_per_day=d["times_per_day"],
            per_side=d["per_side"],
            minutes=d["minutes"],
            reps_max=d["reps_max"],
            hold_breaths=d["hold_breaths"],
        ),
        progression=x["progression"],
        regression=x["regression"],
        cautions=tuple(x["cautions"]),
        stop_if=x["stop_if"],
        sources=tuple(x["sources"]),
        drawing=x["drawing"],
    )


def signature(data_dir: str = DATA_DIR) -> list[list[object]]:
    """What the cache is valid for: program version, the files' size and mtime."""
    entries: list[list[object]] = [[__version__, CACHE_FORMAT, list(CAUTION_TAGS)]]
    try:
        stat = os.stat(os.path.join(data_dir, EXERCISES_FILE))
        entries.append([EXERCISES_FILE, stat.st_size, stat.st_mtime_ns])
    except OSError:
        entries.append([EXERCISES_FILE, None, None])
    for folder, suffix in (("sources", ".yaml"), (DRAWINGS_FOLDER, ".svg")):
        base = os.path.join(data_dir, folder)
        try:
            names = sorted(os.listdir(base))
        except OSError:
            names = []
        for name in names:
            if name.endswith(suffix):
                stat = os.stat(os.path.join(base, name))
                entries.append([f"{folder}/{name}", stat.st_size, stat.st_mtime_ns])
    return entries


# --- loading ----------------------------------------------------------------------------


def load_plain(data_dir: str = DATA_DIR) -> dict[str, Any]:
    """The validated exercises as plain data, from the cache when files are unchanged."""
    data_dir = os.fspath(data_dir)
    return cached("exercises", data_dir, signature(data_dir), lambda: validate_exercises(data_dir))


def _check_safety(data: dict[str, Any]) -> None:
    """Rules that keep the caution tags honest, checked after the schema."""
    xid, cautions = data["id"], data["cautions"]
    needed = POSITION_CAUTIONS.get(data["position"])
    if needed and needed not in cautions:
        raise ContentError(
            EXERCISES_FILE,
            xid,
            "cautions",
            f"an exercise done in position {data['position']!r} needs the {needed!r} tag",
        )
    dose = data["dose"]
    if (data["kind"] == "aerobic") != (dose["minutes"] is not None):
        raise ContentError(
            EXERCISES_FILE, xid, "dose.minutes", "give minutes for aerobic exercise, and only then"
        )


# --- the schema -------------------------------------------------------------------------


def _one_of(allowed: tuple[str, ...], what: str) -> Any:
    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"unknown {what} {value!r}; use one of: {', '.join(allowed)}")
        return value

    return check


def _distinct_members(allowed: tuple[str, ...], what: str) -> Any:
    def check(value: list[str]) -> list[str]:
        for tag in value:
            if tag not in allowed:
                raise ValueError(f"unknown {what} {tag!r}; use one of: {', '.join(allowed)}")
        if len(set(value)) != len(value):
            raise ValueError(f"a {what} is listed twice")
        return value

    return check


def _one_sentence(value: str) -> str:
    if value[-1:] not in ".!?":
        raise ValueError("end the sentence with a full stop")
    if _SENTENCE_BREAK.search(value):
        raise ValueError("write one sentence only")
    return value


@cache
def _file_model() -> type[BaseModel]:
    """The pydantic model of the exercises file, built on first use."""
    from typing import Literal

    from pydantic import Field, field_validator, model_validator

    from backcoach.content.schema import Id, Strict

    class DoseModel(Strict):
        reps: int | None = Field(default=None, ge=1, le=50)
        reps_max: int | None = Field(default=None, ge=1, le=50)
        hold_seconds: int | None = Field(default=None, ge=1, le=120)
        hold_breaths: int | None = Field(default=None, ge=1, le=10)
        sets: int = Field(ge=1, le=5)
        times_per_day: int = Field(ge=1, le=6)
        per_side: bool
        minutes: int | None = Field(default=None, ge=1, le=180)

        @model_validator(mode="after")
        def _coherent(self) -> DoseModel:
            if self.reps is None and self.hold_seconds is None and self.minutes is None:
                raise ValueError("give reps, hold_seconds or minutes")
            if self.reps_max is not None and (self.reps is None or self.reps_max <= self.reps):
                raise ValueError("reps_max needs reps and must be more than reps")
            if self.hold_seconds is not None and self.hold_breaths is not None:
                raise ValueError("give hold_seconds or hold_breaths, not both")
            if self.hold_breaths is not None and self.reps is None:
                raise ValueError("hold_breaths needs reps")
            if self.minutes is not None and (self.reps is not None or self.hold_seconds):
                raise ValueError("a timed activity has minutes only, no reps or holds")
            return self

    sentence = Field(min_length=10, max_length=240)

    class ExerciseModel(Strict):
        id: str = Id
        name: str = Field(min_length=3, max_length=60)
        purpose: str = sentence
        area: str
        kind: str
        position: str
        equipment: list[str] = Field(min_length=1)
        steps: list[str] = Field(min_length=3, max_length=6)
        dose: DoseModel
        progression: str = sentence
        regression: str = sentence
        cautions: list[str]
        stop_if: str = sentence
        sources: list[str] = Field(min_length=1)
        drawing: str = Field(pattern=r"^[a-z0-9_]+\.svg$")

        _area = field_validator("area")(_one_of(AREAS, "area"))
        _kind = field_validator("kind")(_one_of(KINDS, "kind"))
        _position = field_validator("position")(_one_of(POSITIONS, "position"))
        _equipment = field_validator("equipment")(_distinct_members(EQUIPMENT, "equipment"))
        _cautions = field_validator("cautions")(_distinct_members(CAUTION_TAGS, "caution tag"))
        _sentences = field_validator("purpose", "progression", "regression", "stop_if")(
            _one_sentence
        )

        @field_validator("id")
        @classmethod
        def _snake_case(cls, value: str) -> str:
            if not re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", value):
                raise ValueError("use snake_case, for example 'knee_rolls'")
            return value

        @field_validator("steps")
        @classmethod
        def _short_steps(cls, value: list[str]) -> list[str]:
            for number, step in enumerate(value, start=1):
                if not 5 <= len(step) <= 160:
                    raise ValueError(f"step {number} must be 5 to 160 characters")
                _one_sentence(step)
            return value

        @field_validator("equipment")
        @classmethod
        def _none_alone(cls, value: list[str]) -> list[str]:
            if "none" in value and len(value) > 1:
                raise ValueError("'none' cannot go with other equipment")
            return value

    class ExercisesFile(Strict):
        version: Literal[1]
        exercises: list[ExerciseModel] = Field(min_length=1)

    return ExercisesFile
