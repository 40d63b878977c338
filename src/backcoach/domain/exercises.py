"""The exercise library: value objects, the caution tags, and the dose in plain words.

Pure Python. The exercises themselves live in ``content/data/exercises.yaml`` and reach this
module as :class:`Exercise` objects built by ``backcoach.content.exercises``. The plan builder
matches an exercise's :attr:`Exercise.cautions` against what it knows about the person and
never offers an exercise whose cautions match.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType
from typing import NamedTuple

AREAS = ("lower_back", "upper_back_neck", "hips_hamstrings", "trunk", "whole_body")
KINDS = ("mobility", "stretch", "strength", "aerobic")
POSITIONS = (
    "lying_back",
    "lying_side",
    "lying_front",
    "all_fours",
    "kneeling",
    "sitting",
    "standing",
)
EQUIPMENT = ("none", "mat", "chair", "towel", "wall", "pillow")

CAUTION_TAGS = (
    "pregnancy_prone",
    "pregnancy_supine",
    "osteoporosis_flexion",
    "osteoporosis_twist",
    "extension",
    "nerve_tension",
    "wrist_knee",
    "shoulder",
    "neck",
    "hip_replacement",
)

# What each caution tag means, for people reading the data and for plan views.
CAUTION_MEANINGS = MappingProxyType(
    {
        "pregnancy_prone": "lying on the front",
        "pregnancy_supine": "lying flat on the back for a while (after the first trimester)",
        "osteoporosis_flexion": "bending forward with load or at speed",
        "osteoporosis_twist": "twisting the spine with load",
        "extension": "arching the back (not with suspected spondylolysis or stenosis)",
        "nerve_tension": "stretches that pull on the sciatic nerve",
        "wrist_knee": "weight on the hands and knees",
        "shoulder": "arms overhead or weight on a shoulder",
        "neck": "work for the neck muscles or a neck stretch",
        "hip_replacement": "deep hip bending or crossing the legs",
    }
)


class Dose(NamedTuple):
    """How much of an exercise to do.

    ``reps`` to ``reps_max`` repetitions (``reps_max`` None: exactly ``reps``), each held for
    ``hold_seconds`` seconds or ``hold_breaths`` deep breaths, in ``sets`` sets, done
    ``times_per_day`` times a day; ``per_side``: the numbers count for each side.
    ``minutes`` is for timed activity such as walking.
    """

    reps: int | None
    hold_seconds: int | None
    sets: int
    times_per_day: int
    per_side: bool
    minutes: int | None
    reps_max: int | None = None
    hold_breaths: int | None = None


class Exercise(NamedTuple):
    id: str
    name: str
    purpose: str
    area: str  # one of AREAS
    kind: str  # one of KINDS
    position: str  # one of POSITIONS
    equipment: tuple[str, ...]  # from EQUIPMENT
    steps: tuple[str, ...]
    dose: Dose
    progression: str
    regression: str
    cautions: tuple[str, ...]  # from CAUTION_TAGS
    stop_if: str
    sources: tuple[str, ...]
    drawing: str  # file name in content/data/drawings/

    def matching_cautions(self, avoid: Iterable[str]) -> tuple[str, ...]:
        """The caution tags of this exercise that are in ``avoid``, in the exercise's order."""
        wanted = set(avoid)
        return tuple(tag for tag in self.cautions if tag in wanted)

    def is_safe_for(self, avoid: Iterable[str]) -> bool:
        """True when none of this exercise's caution tags is in ``avoid``."""
        return not self.matching_cautions(avoid)


# --- the dose in plain words -------------------------------------------------------------


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _how_often(times_per_day: int) -> str:
    if times_per_day == 1:
        return "once a day"
    if times_per_day == 2:
        return "twice a day"
    return f"{times_per_day} times a day"


def dose_text(dose: Dose) -> str:
    """The dose in plain words, for example
    ``"8 to 10 times, holding each for 1 deep breath, once a day"`` or
    ``"2 sets of 10 times on each side, holding each for 5 seconds, twice a day"``.
    """
    side = " on each side" if dose.per_side else ""
    hold = ""
    if dose.hold_seconds:
        hold = _plural(dose.hold_seconds, "second", "seconds")
    elif dose.hold_breaths:
        hold = _plural(dose.hold_breaths, "deep breath", "deep breaths")

    parts: list[str] = []
    if dose.minutes:
        parts.append(_plural(dose.minutes, "minute", "minutes") + side)
    elif dose.reps:
        if dose.reps_max and dose.reps_max > dose.reps:
            count = f"{dose.reps} to {dose.reps_max} times"
        else:
            count = "once" if dose.reps == 1 else f"{dose.reps} times"
        sets = f"{dose.sets} sets of " if dose.sets > 1 else ""
        parts.append(f"{sets}{count}{side}")
        if hold:
            parts.append(f"holding each for {hold}")
    elif hold:
        sets = f", {dose.sets} sets" if dose.sets > 1 else ""
        parts.append(f"Hold for {hold}{side}{sets}")
    if dose.times_per_day > 0:
        parts.append(_how_often(dose.times_per_day))
    text = ", ".join(parts)
    return text[:1].upper() + text[1:] if text[:1].isalpha() else text
