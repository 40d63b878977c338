"""Plan preferences: sensible defaults, impossible values refused with the field named."""

from __future__ import annotations

import pytest

from backcoach.domain.preferences import PreferenceError, make_preferences


def test_defaults_are_a_daily_quarter_hour_at_eight() -> None:
    prefs = make_preferences()
    assert prefs.minutes_per_day == 15
    assert prefs.time_of_day == (8, 0)
    assert prefs.days == (0, 1, 2, 3, 4, 5, 6)
    assert "mat" in prefs.equipment


def test_plain_strings_are_read() -> None:
    prefs = make_preferences(
        minutes_per_day=20, equipment="chair, Towel", time_of_day="7:30", days="Mon,wed,FRIDAY"
    )
    assert prefs.equipment == {"chair", "towel", "none"}
    assert prefs.time_of_day == (7, 30)
    assert prefs.days == (0, 2, 4)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"minutes_per_day": 0}, "minutes_per_day"),
        ({"minutes_per_day": 25 * 60}, "minutes_per_day"),
        ({"equipment": "mat,treadmill"}, "equipment"),
        ({"time_of_day": "25:00"}, "time"),
        ({"time_of_day": "noon"}, "time"),
        ({"days": "someday"}, "days"),
        ({"days": " , "}, "days"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
    ],
)
def test_impossible_preferences_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(PreferenceError) as err:
        make_preferences(**kwargs)  # type: ignore[arg-type]
    assert err.value.field == field
    assert str(err.value).startswith(f"{field}: ")
