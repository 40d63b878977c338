"""The progress chart (``backcoach progress --chart FILE``): real PNG and SVG files, read back."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image

from backcoach.adapters.charts import DPI, FIGSIZE, FLARE_COLOUR, chart_paths, write_progress_chart
from backcoach.content.recovery import load_recovery_rules
from backcoach.domain.recovery import CheckIn, Progress, summarise

TODAY = date(2025, 3, 30)
FIRST = TODAY - timedelta(days=29)
FLARE_PAIN = {9: 8, 10: 9, 21: 9}  # day offset -> pain: two flare-ups
WIDTH, HEIGHT = round(FIGSIZE[0] * DPI), round(FIGSIZE[1] * DPI)
SVG_ID = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _private_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKCOACH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BACKCOACH_CACHE_DIR", str(tmp_path / "cache"))


def month(*, flares: bool) -> tuple[list[CheckIn], list[date]]:
    """30 days of check-ins, pain easing from 5 to 2; a few days missed, most with sleep."""
    checkins = []
    for i in range(30):
        if i in (4, 17):  # missed check-ins
            continue
        pain = FLARE_PAIN[i] if flares and i in FLARE_PAIN else 5 - i // 10
        sleep = None if i % 6 == 5 else 5.0 + (i * 7 % 9) / 2  # 5 to 9 hours
        checkins.append(
            CheckIn(
                day=FIRST + timedelta(days=i),
                pain=pain,
                sleep_hours=sleep,
                routine_done=i % 3 == 0 or None,
            )
        )
    routine_logged = [FIRST + timedelta(days=i) for i in (1, 13, 25)]
    return checkins, routine_logged


def progress_for(checkins: list[CheckIn], routine: list[date]) -> Progress:
    return summarise(checkins, routine, today=TODAY, rules=load_recovery_rules())


def svg_ids(path: Path) -> set[str]:
    root = ET.parse(path).getroot()
    return {el.attrib["id"] for el in root.iter() if "id" in el.attrib}


def colours(path: Path) -> set[tuple[int, ...]]:
    with Image.open(path) as image:
        counted = image.convert("RGB").getcolors(maxcolors=WIDTH * HEIGHT)
    assert counted is not None
    return {colour for _, colour in counted if isinstance(colour, tuple)}


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


# --- file names ------------------------------------------------------------------------------


def test_chart_paths_by_suffix() -> None:
    assert chart_paths("out/pain.png") == [Path("out/pain.png")]
    assert chart_paths("out/pain.svg") == [Path("out/pain.svg")]
    assert chart_paths("out/PAIN.SVG") == [Path("out/PAIN.SVG")]
    assert chart_paths("out/pain") == [Path("out/pain.png"), Path("out/pain.svg")]


@pytest.mark.parametrize("name", ["pain.jpg", "pain.pdf", "pain.png.txt"])
def test_other_suffixes_are_refused_naming_the_allowed(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match=r"\.png.*\.svg") as caught:
        chart_paths(name)
    assert Path(name).suffix in str(caught.value)
    checkins, routine = month(flares=True)
    with pytest.raises(ValueError):
        write_progress_chart(progress_for(checkins, routine), checkins, str(tmp_path / name))
    assert list(tmp_path.glob("pain*")) == []


# --- the month with flare-ups ----------------------------------------------------------------


@pytest.fixture
def written(tmp_path: Path) -> tuple[Progress, list[CheckIn], list[Path]]:
    checkins, routine = month(flares=True)
    progress = progress_for(checkins, routine)
    paths = write_progress_chart(progress, checkins, str(tmp_path / "progress"))
    return progress, checkins, paths


def test_without_suffix_writes_png_and_svg(
    tmp_path: Path, written: tuple[Progress, list[CheckIn], list[Path]]
) -> None:
    _, _, paths = written
    assert paths == [tmp_path / "progress.png", tmp_path / "progress.svg"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [
        "progress.png",
        "progress.svg",
    ]  # no temporary files left behind


def test_png_is_the_right_size_and_not_blank(
    written: tuple[Progress, list[CheckIn], list[Path]],
) -> None:
    png = written[2][0]
    with Image.open(png) as image:
        assert image.format == "PNG"
        assert image.size == (WIDTH, HEIGHT)
    assert len(colours(png)) > 100


def test_svg_has_an_id_for_every_marked_day(
    written: tuple[Progress, list[CheckIn], list[Path]],
) -> None:
    progress, checkins, paths = written
    ids = svg_ids(paths[1])
    flare_days = [p.day for p in progress.points if p.flare]
    routine_days = [p.day for p in progress.points if p.routine_done]
    sleep_days = [c.day for c in checkins if c.sleep_hours is not None]
    # the month is what the test means it to be: two flare-ups, routine days, sleep nights
    assert len(progress.flares) == 2
    assert len(flare_days) == 3
    assert len(routine_days) >= 10
    assert len(sleep_days) >= 20
    assert {f"flare-{d}" for d in flare_days} <= ids
    assert {f"routine-{d}" for d in routine_days} <= ids
    assert {f"sleep-{d}" for d in sleep_days} <= ids
    assert "pain-average" in ids
    # and only those days
    assert {i for i in ids if i.startswith("flare-")} == {f"flare-{d}" for d in flare_days}
    assert {i for i in ids if i.startswith("sleep-")} == {f"sleep-{d}" for d in sleep_days}


def test_svg_average_line_is_drawn(written: tuple[Progress, list[CheckIn], list[Path]]) -> None:
    root = ET.parse(written[2][1]).getroot()
    group = next(el for el in root.iter() if el.attrib.get("id") == "pain-average")
    paths = list(group.iter(f"{SVG_ID}path"))
    assert paths
    averaged = [p for p in written[0].points if p.average is not None]
    # one move-to and a line-to per averaged day
    assert paths[0].attrib["d"].count("L") == len(averaged) - 1


def test_svg_text_is_plain_language(written: tuple[Progress, list[CheckIn], list[Path]]) -> None:
    text = written[2][1].read_text(encoding="utf-8")
    # text is drawn as paths; the labels survive as comments naming each text
    for words in (
        "Your pain, day by day",
        "Sleep the night before (hours)",
        "Pain next day (0-10)",
        "Flare-up day",
        "Routine done",
    ):
        assert words in text


def test_flare_colour_appears_only_when_there_are_flares(
    tmp_path: Path, written: tuple[Progress, list[CheckIn], list[Path]]
) -> None:
    calm_checkins, routine = month(flares=False)
    calm = progress_for(calm_checkins, routine)
    assert calm.flares == ()
    (calm_png,) = write_progress_chart(calm, calm_checkins, str(tmp_path / "calm.png"))
    red = hex_rgb(FLARE_COLOUR)
    assert red in colours(written[2][0])
    assert red not in colours(calm_png)
    assert not {
        i
        for i in svg_ids(*write_progress_chart(calm, calm_checkins, str(tmp_path / "calm.svg")))
        if i.startswith("flare-")
    }


def test_svg_is_the_same_bytes_when_written_twice(tmp_path: Path) -> None:
    checkins, routine = month(flares=True)
    progress = progress_for(checkins, routine)
    (first,) = write_progress_chart(progress, checkins, str(tmp_path / "a.svg"))
    (second,) = write_progress_chart(progress, checkins, str(tmp_path / "b.svg"))
    assert first.read_bytes() == second.read_bytes()
    assert b"<dc:date>" not in first.read_bytes()


def test_rewriting_replaces_the_file(tmp_path: Path) -> None:
    target = tmp_path / "chart.png"
    target.write_bytes(b"old")
    checkins, routine = month(flares=True)
    write_progress_chart(progress_for(checkins, routine), checkins, str(target))
    with Image.open(target) as image:
        assert image.size == (WIDTH, HEIGHT)


# --- nothing yet -----------------------------------------------------------------------------


def test_no_checkins_still_draws_a_chart(tmp_path: Path) -> None:
    progress = progress_for([], [])
    assert progress.points == ()
    paths = write_progress_chart(progress, [], str(tmp_path / "empty"))
    with Image.open(paths[0]) as image:
        assert image.size == (WIDTH, HEIGHT)
    svg = paths[1].read_text(encoding="utf-8")
    assert "No check-ins yet" in svg
    ids = svg_ids(paths[1])
    assert not {i for i in ids if i.split("-")[0] in ("flare", "routine", "sleep", "pain")}


def test_one_checkin_without_sleep(tmp_path: Path) -> None:
    checkins = [CheckIn(day=TODAY, pain=4, routine_done=True)]
    progress = progress_for(checkins, [])
    (svg,) = write_progress_chart(progress, checkins, str(tmp_path / "one.svg"))
    ids = svg_ids(svg)
    assert f"routine-{TODAY}" in ids
    assert "pain-average" not in ids  # too few days for an average
    assert "No sleep recorded yet" in svg.read_text(encoding="utf-8")


def test_checkins_after_today_are_left_out(tmp_path: Path) -> None:
    checkins, routine = month(flares=True)
    later = CheckIn(day=TODAY + timedelta(days=1), pain=3, sleep_hours=7.0)
    progress = progress_for([*checkins, later], routine)
    (svg,) = write_progress_chart(progress, [*checkins, later], str(tmp_path / "c.svg"))
    assert f"sleep-{later.day}" not in svg_ids(svg)


def test_day_labels_stay_few_and_end_on_the_last_day() -> None:
    from backcoach.adapters.charts import MOST_TICKS, _day_ticks

    last = date(2025, 12, 31)
    for days in (1, 7, 30, 90, 140, 141, 365, 2000):
        ticks = _day_ticks(last - timedelta(days=days - 1), last)
        assert 1 <= len(ticks) <= MOST_TICKS
        if days <= 140:
            assert ticks[-1] == (last, "31 Dec")
    assert [label for _, label in _day_ticks(date(2025, 11, 1), date(2026, 3, 31))] == [
        "Nov 2025",
        "Dec",
        "Jan 2026",
        "Feb",
        "Mar",
    ]
