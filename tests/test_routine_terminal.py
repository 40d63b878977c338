"""``backcoach routine`` and ``backcoach breathe`` end to end, in a pseudo-terminal.

Time runs on the fake clock (``BACKCOACH_FAST_CLOCK=1``), so a whole routine takes a
fraction of a second. Keys are typed ahead where the program is waiting (the start
prompt, a pause), so what they hit does not depend on timing: keys typed together with
Enter reach the first exercise, and a pause holds the session until the next key.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from support import ROOT, backcoach

pexpect = pytest.importorskip("pexpect")

COMMAND = str(ROOT / ".venv" / "bin" / "backcoach")
TIMEOUT = 10
START = "Press Enter to start"

RED_FLAGS_ABSENT = [
    "saddle_numbness", "urinary_retention", "urinary_incontinence_new",
    "bowel_incontinence_new", "fever", "unexplained_weight_loss", "history_of_cancer",
    "trauma_major", "pain_constant_night", "immunosuppressed", "iv_drug_use",
    "long_term_steroids", "osteoporosis", "leg_weakness", "pain_leg_below_knee",
    "numbness_tingling_leg",
]  # fmt: skip
RUNNER_CASE = {
    "age": 29,
    "sex": "female",
    "pain_intensity": 4,
    "duration_days": 2,
    "findings": {
        "pain_lower_back": "present",
        "runner": "present",
        "onset_delayed_after_exercise": "present",
        "recent_training_increase": "present",
        **dict.fromkeys(RED_FLAGS_ABSENT, "absent"),
    },
}


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def case_file(tmp_path: Path) -> Path:
    path = tmp_path / "runner.json"
    path.write_text(json.dumps(RUNNER_CASE))
    return path


@pytest.fixture
def env(tmp_path: Path, cache_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TERM": "dumb",
        "NO_COLOR": "1",
        "BACKCOACH_FAST_CLOCK": "1",
        "BACKCOACH_HOME": str(tmp_path / "home"),  # not there yet: the routine creates it
        "BACKCOACH_CACHE_DIR": str(cache_dir),
    }


@pytest.fixture
def routine(case_file: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    """This week's routine, as ``backcoach plan --json`` gives it."""
    done = backcoach("plan", "--case", str(case_file), "--json", env=env)
    assert done.returncode == 0, done.stderr.decode()
    plan = json.loads(done.stdout)
    assert plan["kind"] == "full"
    items: list[dict[str, Any]] = plan["weeks"][0]["routine"]
    assert len(items) >= 2
    return items


class Run:
    """One command in a pseudo-terminal; ``text`` is everything it printed so far."""

    def __init__(self, command: str, args: list[str], env: dict[str, str]) -> None:
        self.log = io.StringIO()
        self.child = pexpect.spawn(
            command, args, env=env, encoding="utf-8", timeout=TIMEOUT, dimensions=(30, 80)
        )
        self.child.delaybeforesend = None
        self.child.logfile_read = self.log

    @property
    def text(self) -> str:
        return self.log.getvalue()

    @property
    def words(self) -> str:
        """The text as one line of words (the summary is wrapped)."""
        return " ".join(self.text.split())

    def finish(self) -> int:
        self.child.expect(pexpect.EOF)
        self.child.close()
        status: int = self.child.exitstatus
        return status


@pytest.fixture
def spawn(env: dict[str, str]) -> Iterator[Callable[..., Run]]:
    made: list[Run] = []

    def make(*args: str, command: str = COMMAND) -> Run:
        run = Run(command, list(args), env)
        made.append(run)
        return run

    yield make
    for run in made:
        if run.child.isalive():
            run.child.terminate(force=True)


def sessions(env: dict[str, str]) -> list[dict[str, Any]]:
    """The routine sessions in the person's record, read back through `backcoach export`."""
    exported = backcoach("export", "-", env=env)
    assert exported.returncode == 0, exported.stderr.decode()
    rows: list[dict[str, Any]] = json.loads(exported.stdout)["routine_sessions"]
    return rows


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["exercise"] for item in items]


# --- routine ---------------------------------------------------------------------------------


def test_a_full_routine_guides_rings_summarises_and_records(
    spawn: Callable[..., Run], case_file: Path, env: dict[str, str], routine: list[dict[str, Any]]
) -> None:
    run = spawn("routine", "--case", str(case_file))
    run.child.expect(START)
    run.child.send("\r")
    assert run.finish() == 0
    text = run.text
    for item in routine:
        assert item["name"].upper() in text
    assert "Get ready... 5" in text
    assert re.search(r"Rep 3 of \d+", text)
    assert "Hold... " in text
    assert "Rest... 20" in text  # the bridge has two sets
    assert "\r" in text  # the countdown line is updated in place
    assert "\a" in text  # the bell
    count = len(routine)
    assert re.search(
        rf"You did {count} of {count} exercises in \d+ minutes?\. Well done\.", run.words
    )
    [record] = sessions(env)
    assert record["date"] == date.today().isoformat()
    assert record["plan_week"] == 1
    assert record["exercises_planned"] == ids(routine)
    assert record["exercises_done"] == ids(routine)
    assert record["exercises_skipped"] == []
    assert record["quit_early"] is False
    assert record["seconds"] >= 60  # minutes of fake time, in a fraction of a second
    home = Path(env["BACKCOACH_HOME"])
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "backcoach.sqlite3").stat().st_mode) == 0o600


def test_quiet_rings_no_bell(
    spawn: Callable[..., Run], case_file: Path, env: dict[str, str]
) -> None:
    run = spawn("routine", "--case", str(case_file), "--quiet")
    run.child.expect(START)
    run.child.send("\r")
    assert run.finish() == 0
    assert "\a" not in run.text
    assert "You did" in run.text


def test_pause_then_skip_skips_the_first_exercise_and_records_it(
    spawn: Callable[..., Run], case_file: Path, env: dict[str, str], routine: list[dict[str, Any]]
) -> None:
    run = spawn("routine", "--case", str(case_file))
    run.child.expect(START)
    run.child.send("\rp")  # start, and pause at once: the first exercise waits
    run.child.expect("Paused")
    run.child.send("s")
    assert run.finish() == 0
    first, *rest = routine
    count = len(routine)
    assert f"You did {count - 1} of {count} exercises" in run.words
    assert f"Skipped: {first['name']}." in run.words
    [record] = sessions(env)
    assert record["exercises_skipped"] == [first["exercise"]]
    assert record["exercises_done"] == ids(rest)
    assert record["quit_early"] is False


def test_q_quits_early_and_records_what_was_done(
    spawn: Callable[..., Run], case_file: Path, env: dict[str, str], routine: list[dict[str, Any]]
) -> None:
    run = spawn("routine", "--case", str(case_file))
    run.child.expect(START)
    run.child.send("\rsp")  # skip the first exercise, pause in the second
    run.child.expect("Paused")
    run.child.send("q")
    assert run.finish() == 0
    count = len(routine)
    assert f"You did 0 of {count} exercises" in run.words
    assert "You stopped early" in run.words
    [record] = sessions(env)
    assert record["exercises_skipped"] == [routine[0]["exercise"]]
    assert record["exercises_done"] == []
    assert record["quit_early"] is True


def test_ctrl_c_records_stops_and_restores_the_terminal(
    spawn: Callable[..., Run], case_file: Path, env: dict[str, str]
) -> None:
    script = f'"{COMMAND}" routine --case "{case_file}"; echo "status=$?"; stty -a'
    run = spawn("-c", script, command="/bin/bash")
    run.child.expect(START)
    run.child.send("\rp")
    run.child.expect("Paused")
    run.child.sendintr()
    run.finish()
    text = run.text
    assert "Traceback" not in text
    assert "status=130" in text
    settings = text.split("status=130", 1)[1]
    assert re.search(r"(?<![-\w])icanon\b", settings), settings
    assert re.search(r"(?<![-\w])echo\b", settings), settings
    [record] = sessions(env)
    assert record["quit_early"] is True


def test_q_at_the_start_records_nothing(
    spawn: Callable[..., Run], case_file: Path, env: dict[str, str]
) -> None:
    run = spawn("routine", "--case", str(case_file))
    run.child.expect(START)
    run.child.send("q")
    assert run.finish() == 0
    assert "Nothing was recorded" in run.text
    assert sessions(env) == []


def test_without_a_terminal_keys_are_typed_lines_and_closed_input_runs_on(
    case_file: Path, env: dict[str, str], routine: list[dict[str, Any]]
) -> None:
    unattended = backcoach("routine", "--case", str(case_file), stdin=b"", env=env)
    assert unattended.returncode == 0, unattended.stderr.decode()
    skipping = backcoach("routine", "--case", str(case_file), stdin=b"\ns\n", env=env)
    assert skipping.returncode == 0, skipping.stderr.decode()
    assert b"Type the letter, then Enter." in skipping.stdout
    first, second = sessions(env)
    assert first["exercises_done"] == ids(routine)
    assert second["exercises_skipped"] == [routine[0]["exercise"]]


def test_routine_without_a_case_says_there_is_no_assessment_yet(env: dict[str, str]) -> None:
    done = backcoach("routine", env=env)
    assert done.returncode == 2
    assert done.stdout == b""
    assert b"no assessment yet. Run `backcoach assess` first" in done.stderr
    assert b"Traceback" not in done.stderr


def test_routine_and_plan_use_the_latest_interview_when_no_case_is_given(
    env: dict[str, str], case_file: Path
) -> None:
    kept = backcoach("assess", "--case", str(case_file), "--record", env=env)
    assert kept.returncode == 0, kept.stderr.decode()
    plan = backcoach("plan", "--json", env=env)
    assert plan.returncode == 0, plan.stderr.decode()
    assert json.loads(plan.stdout)["kind"] == "full"
    done = backcoach("routine", stdin=b"\n", env=env)
    assert done.returncode == 0, done.stderr.decode()
    assert len(sessions(env)) == 1


# --- breathe ---------------------------------------------------------------------------------


def test_breathe_paces_three_breaths(spawn: Callable[..., Run]) -> None:
    run = spawn("breathe", "--breaths", "3", "--pace", "4")
    assert run.finish() == 0
    text = run.text
    assert "Breathe in" in text
    assert "Breathe out" in text
    for n in (1, 2, 3):
        assert f"Breath {n} of 3" in text
    assert "[" + "#" * 30 + "]" in text  # the bar filled up at the top of a breath
    assert "Well done: 3 slow breaths." in text


def test_breathe_q_stops(spawn: Callable[..., Run]) -> None:
    run = spawn("breathe", "--breaths", "3", "--pace", "4")
    # Typed ahead, so the fast clock cannot finish the breaths before the key is read.
    run.child.send("p")
    run.child.expect("Press q to stop")
    run.child.expect("Paused")
    run.child.send("q")
    assert run.finish() == 0
    assert "Stopped after 0 of 3 breaths" in run.text


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--pace", "100"], "--pace"),
        (["--pace", "3.5"], "--pace"),
        (["--pace", "nan"], "--pace"),
        (["--breaths", "0"], "--breaths"),
        (["--breaths", "61"], "--breaths"),
    ],
)
def test_breathe_rejects_a_bad_option_by_name(
    args: list[str], option: str, env: dict[str, str]
) -> None:
    done = backcoach("breathe", *args, env=env)
    assert done.returncode == 2
    assert done.stderr.decode().startswith(f"backcoach: error: {option}: ")
    assert b"Traceback" not in done.stderr
