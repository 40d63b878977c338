"""The exercise library: content, caution tags, drawings, sources, plain words, dose wording,
loading and the errors a broken file gives."""

from __future__ import annotations

import shutil
import statistics
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from readability import fk_grade, text_blocks

from backcoach.content.exercises import (
    DRAWINGS_FOLDER,
    EXERCISES_FILE,
    drawing_path,
    exercise_from_plain,
    load_exercise,
    load_exercises,
    validate_exercises,
)
from backcoach.content.loader import DATA_DIR, ContentError
from backcoach.domain.exercises import (
    AREAS,
    CAUTION_MEANINGS,
    CAUTION_TAGS,
    KINDS,
    Dose,
    Exercise,
    dose_text,
)

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(DATA_DIR)
DRAWINGS = DATA / DRAWINGS_FOLDER
SVG = "{http://www.w3.org/2000/svg}"
DRAWN = {"line", "polyline", "polygon", "path", "circle", "ellipse", "rect"}
SENTENCE_FIELDS = ("purpose", "progression", "regression", "stop_if")
MAX_GRADE = 8.0
# Validated straight from the files (no cache), for parametrising tests.
SHIPPED = tuple(exercise_from_plain(x) for x in validate_exercises()["exercises"])


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep the validated-exercises cache out of the user's home directory."""
    monkeypatch.setenv("BACKCOACH_CACHE_DIR", str(tmp_path / "cache"))
    load_exercises.cache_clear()
    yield
    load_exercises.cache_clear()


@pytest.fixture
def library() -> tuple[Exercise, ...]:
    return load_exercises()


def source_ids() -> set[str]:
    ids: set[str] = set()
    for path in sorted((DATA / "sources").glob("*.yaml")):
        ids.update(s["id"] for s in yaml.safe_load(path.read_text(encoding="utf-8"))["sources"])
    return ids


# --- the library -------------------------------------------------------------------------


def test_at_least_24_exercises_with_unique_snake_case_ids(library: tuple[Exercise, ...]) -> None:
    ids = [e.id for e in library]
    assert len(ids) >= 24
    assert len(set(ids)) == len(ids)
    assert all(i.replace("_", "").isalnum() and i == i.lower() for i in ids)


def test_every_area_is_covered(library: tuple[Exercise, ...]) -> None:
    assert {e.area for e in library} == set(AREAS)
    for area in ("lower_back", "upper_back_neck", "hips_hamstrings", "trunk"):
        assert sum(e.area == area for e in library) >= 4, area


def test_there_is_a_walking_programme(library: tuple[Exercise, ...]) -> None:
    walking = load_exercise("walking")
    assert walking.kind == "aerobic" and walking.dose.minutes
    assert {e.kind for e in library} == set(KINDS)


def test_every_caution_tag_is_used_and_explained(library: tuple[Exercise, ...]) -> None:
    used = {tag for e in library for tag in e.cautions}
    assert used == set(CAUTION_TAGS)
    assert set(CAUTION_MEANINGS) == set(CAUTION_TAGS)


@pytest.mark.parametrize(
    ("position", "tag"),
    [
        ("lying_front", "pregnancy_prone"),
        ("lying_back", "pregnancy_supine"),
        ("all_fours", "wrist_knee"),
    ],
)
def test_positions_carry_their_caution(
    library: tuple[Exercise, ...], position: str, tag: str
) -> None:
    for e in library:
        if e.position == position:
            assert tag in e.cautions, e.id


def test_cautions_follow_the_clinical_notes() -> None:
    # clinical.md section 7: what each well-known exercise must never be offered with.
    expected = {
        "prone_press_up": {"pregnancy_prone", "extension"},
        "standing_back_bend": {"extension"},
        "hamstring_stretch": {"nerve_tension"},
        "piriformis_stretch": {"hip_replacement"},
        "knee_to_chest": {"osteoporosis_flexion", "hip_replacement"},
        "mcgill_curl_up": {"neck"},
        "side_plank_knees": {"shoulder"},
        "bird_dog": {"wrist_knee"},
        "seated_thoracic_rotation": {"osteoporosis_twist"},
    }
    for exercise_id, tags in expected.items():
        assert tags <= set(load_exercise(exercise_id).cautions), exercise_id


@pytest.mark.parametrize(
    "avoid",
    [
        {"pregnancy_prone", "pregnancy_supine"},
        {"osteoporosis_flexion", "osteoporosis_twist"},
        {"extension", "nerve_tension"},
        {"wrist_knee", "shoulder", "neck", "hip_replacement"},
    ],
    ids=["pregnancy", "osteoporosis", "stenosis_sciatica", "joints"],
)
def test_every_area_keeps_an_exercise_for_each_caution_group(
    library: tuple[Exercise, ...], avoid: set[str]
) -> None:
    for area in AREAS:
        assert any(e.area == area and e.is_safe_for(avoid) for e in library), (area, avoid)


def test_matching_cautions(library: tuple[Exercise, ...]) -> None:
    press_up = load_exercise("prone_press_up")
    assert press_up.matching_cautions({"extension", "neck"}) == ("extension",)
    assert not press_up.is_safe_for(["pregnancy_prone"])
    assert press_up.is_safe_for([])
    with pytest.raises(KeyError):
        load_exercise("sit_ups")


def test_nhs_doses_are_kept() -> None:
    # NHS: 8 to 10 times, hold for one deep breath; NHS inform: 5 times, 3 times a day.
    for exercise_id in ("knee_rolls", "bottom_to_heels", "prone_press_up"):
        dose = load_exercise(exercise_id).dose
        assert (dose.reps, dose.reps_max, dose.hold_breaths) == (8, 10, 1), exercise_id
    for exercise_id in ("pelvic_tilt", "standing_back_bend"):
        dose = load_exercise(exercise_id).dose
        assert (dose.reps, dose.times_per_day) == (5, 3), exercise_id


def test_steps_are_three_to_six_short_sentences(library: tuple[Exercise, ...]) -> None:
    for e in library:
        assert 3 <= len(e.steps) <= 6, e.id
        for step in e.steps:
            assert step.endswith(".") and len(step) <= 160, (e.id, step)


def test_load_caches_and_gives_the_same_objects(tmp_path: Path) -> None:
    first = load_exercises()
    assert all(isinstance(e, Exercise) and isinstance(e.dose, Dose) for e in first)
    assert load_exercises() is first
    assert list((tmp_path / "cache").glob("exercises-*.json"))
    load_exercises.cache_clear()  # a second process reads the cache file
    assert load_exercises() == first


# --- drawings ----------------------------------------------------------------------------


@pytest.mark.parametrize("exercise", SHIPPED, ids=lambda e: e.id)
def test_drawing_is_a_clean_two_pose_svg(exercise: Exercise) -> None:
    path = Path(drawing_path(exercise))
    assert path.is_file(), path
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 400 160"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == exercise.name
    elements = list(root.iter())
    tags = [el.tag.removeprefix(SVG) for el in elements]
    assert sum(tag in DRAWN for tag in tags) >= 6
    assert not {"script", "foreignObject", "image", "use", "text", "style"} & set(tags)
    for el in elements:
        for name, value in el.attrib.items():
            assert not name.startswith("on"), (path.name, name)
            assert not name.endswith("href"), (path.name, name)
            assert "url(" not in value and "://" not in value, (path.name, name)
    groups = {el.get("class") for el in root.iter(f"{SVG}g")}
    assert {"start", "end", "arrow"} <= groups  # start pose, end pose, an arrow between
    text = path.read_text(encoding="utf-8")
    assert 'stroke="#1f2937"' in text and 'stroke-linecap="round"' in text


def test_every_drawing_belongs_to_an_exercise(library: tuple[Exercise, ...]) -> None:
    assert {p.name for p in DRAWINGS.glob("*.svg")} == {e.drawing for e in library}


def test_drawings_ship_with_the_package() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "content/data/**/*.svg" in pyproject["tool"]["setuptools"]["package-data"]["backcoach"]


# --- sources -----------------------------------------------------------------------------


def test_every_exercise_cites_a_registered_source(library: tuple[Exercise, ...]) -> None:
    known = source_ids()
    for e in library:
        assert e.sources, e.id
        assert set(e.sources) <= known, (e.id, set(e.sources) - known)


def test_source_ids_are_unique_across_the_sources_folder() -> None:
    ids: list[str] = []
    for path in sorted((DATA / "sources").glob("*.yaml")):
        ids += [s["id"] for s in yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]]
    assert len(ids) == len(set(ids))


# --- plain words -------------------------------------------------------------------------


def scored(library: tuple[Exercise, ...]) -> list[tuple[str, str, float, str]]:
    rows = []
    for e in library:
        texts = [("name", e.name)] + [(f, getattr(e, f)) for f in SENTENCE_FIELDS]
        texts += [("steps", step) for step in e.steps]
        for field, text in texts:
            for block in text_blocks(text):
                rows.append((e.id, field, fk_grade(block), block))
    return rows


def test_patient_text_mean_grade_is_8_or_below(library: tuple[Exercise, ...]) -> None:
    rows = scored(library)
    mean = statistics.mean(r[2] for r in rows)
    hardest = sorted(rows, key=lambda r: -r[2])[:5]
    assert mean <= MAX_GRADE, (mean, hardest)


def test_every_sentence_is_grade_8_or_below(library: tuple[Exercise, ...]) -> None:
    # Names are one to four words; the formula says little about them, so only the mean counts.
    too_hard = [r for r in scored(library) if r[1] != "name" and r[2] > MAX_GRADE]
    assert too_hard == []


# --- the dose in words -------------------------------------------------------------------


def dose(**kw: Any) -> Dose:
    base: dict[str, Any] = {
        "reps": None,
        "hold_seconds": None,
        "sets": 1,
        "times_per_day": 1,
        "per_side": False,
        "minutes": None,
    }
    return Dose(**(base | kw))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (
            dose(reps=8, reps_max=10, hold_breaths=1),
            "8 to 10 times, holding each for 1 deep breath, once a day",
        ),
        (
            dose(reps=5, hold_seconds=2, times_per_day=3),
            "5 times, holding each for 2 seconds, 3 times a day",
        ),
        (
            dose(reps=2, reps_max=3, hold_seconds=20, per_side=True),
            "2 to 3 times on each side, holding each for 20 seconds, once a day",
        ),
        (
            dose(reps=10, reps_max=15, hold_seconds=2, sets=2, per_side=True),
            "2 sets of 10 to 15 times on each side, holding each for 2 seconds, once a day",
        ),
        (
            dose(reps=10, hold_seconds=5, times_per_day=2),
            "10 times, holding each for 5 seconds, twice a day",
        ),
        (dose(hold_seconds=30, per_side=True), "Hold for 30 seconds on each side, once a day"),
        (dose(hold_breaths=2), "Hold for 2 deep breaths, once a day"),
        (dose(minutes=10), "10 minutes, once a day"),
        (dose(minutes=1, times_per_day=2), "1 minute, twice a day"),
        (dose(reps=1, hold_seconds=1), "Once, holding each for 1 second, once a day"),
    ],
)
def test_dose_text(value: Dose, text: str) -> None:
    assert dose_text(value) == text


def test_dose_text_of_every_shipped_exercise_reads_well(library: tuple[Exercise, ...]) -> None:
    for e in library:
        words = dose_text(e.dose)
        assert words.endswith("a day") and "None" not in words and "  " not in words, e.id
        assert fk_grade(words + ".") <= MAX_GRADE, (e.id, words)


# --- broken files ------------------------------------------------------------------------


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def edit(data_dir: Path, change: Callable[[list[dict[str, Any]]], None]) -> None:
    path = data_dir / EXERCISES_FILE
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document["exercises"])
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def item(exercises: list[dict[str, Any]], exercise_id: str) -> dict[str, Any]:
    return next(x for x in exercises if x["id"] == exercise_id)


def broken(data_dir: Path) -> ContentError:
    with pytest.raises(ContentError) as err:
        validate_exercises(data_dir)
    return err.value


def test_the_shipped_files_validate(library: tuple[Exercise, ...]) -> None:
    assert library == SHIPPED and len(SHIPPED) >= 24


def test_a_bad_dose_names_file_item_and_field(data_copy: Path) -> None:
    edit(data_copy, lambda xs: item(xs, "bird_dog")["dose"].update(reps="lots"))
    err = broken(data_copy)
    assert (err.file, err.item, err.field) == (EXERCISES_FILE, "bird_dog", "dose.reps")
    assert str(err).startswith("exercises.yaml: item 'bird_dog', field 'dose.reps': ")


@pytest.mark.parametrize(
    ("exercise_id", "change", "field", "problem"),
    [
        (
            "knee_rolls",
            lambda x: x["cautions"].append("pregnant"),
            "cautions",
            "unknown caution tag",
        ),
        ("glute_bridge", lambda x: x.update(area="legs"), "area", "unknown area"),
        (
            "cat_camel",
            lambda x: x.update(equipment=["foam_roller"]),
            "equipment",
            "unknown equipment",
        ),
        ("walking", lambda x: x.update(sources=["my-blog"]), "sources", "unknown source 'my-blog'"),
        ("chin_tuck", lambda x: x.update(drawing="nowhere.svg"), "drawing", "missing"),
        ("open_book", lambda x: x.update(colour="blue"), "colour", "Extra inputs"),
        ("pelvic_tilt", lambda x: x["steps"].extend(["Breathe."] * 4), "steps", "at most 6"),
        ("dead_bug", lambda x: x.update(stop_if="Stop. Rest now."), "stop_if", "one sentence"),
        (
            "prone_press_up",
            lambda x: x["cautions"].remove("pregnancy_prone"),
            "cautions",
            "pregnancy_prone",
        ),
        (
            "pelvic_tilt",
            lambda x: x["dose"].update(reps=None, hold_seconds=None),
            "dose",
            "give reps",
        ),
        ("walking", lambda x: x["dose"].update(minutes=None, reps=10), "dose.minutes", "aerobic"),
        ("side_lying_clam", lambda x: x.update(id="side-clam"), "id", "snake_case"),
    ],
)
def test_broken_exercise_names_file_item_and_field(
    data_copy: Path,
    exercise_id: str,
    change: Callable[[dict[str, Any]], None],
    field: str,
    problem: str,
) -> None:
    edit(data_copy, lambda xs: change(item(xs, exercise_id)))
    err = broken(data_copy)
    assert err.file == EXERCISES_FILE
    assert err.item in (exercise_id, "side-clam")
    assert err.field == field
    assert problem in err.problem


def test_a_duplicate_id_is_named(data_copy: Path) -> None:
    edit(data_copy, lambda xs: xs.append(dict(item(xs, "bird_dog"))))
    err = broken(data_copy)
    assert (err.item, err.field, err.problem) == ("bird_dog", "id", "duplicate id")


def test_a_missing_drawing_file_is_named(data_copy: Path) -> None:
    (data_copy / DRAWINGS_FOLDER / "wall_angel.svg").unlink()
    err = broken(data_copy)
    assert (err.item, err.field) == ("wall_angel", "drawing")


def test_a_missing_or_unreadable_file_is_named(data_copy: Path) -> None:
    (data_copy / EXERCISES_FILE).write_text("exercises: [\n", encoding="utf-8")
    assert "not valid YAML" in broken(data_copy).problem
    (data_copy / EXERCISES_FILE).unlink()
    err = broken(data_copy)
    assert (err.file, err.problem) == (EXERCISES_FILE, "file is missing")
