"""The interview end to end: the real command in a pseudo-terminal, driven with pexpect.

The driver recognises each question by its text (looked up in the catalog), so the tests
follow the interview's own choice and order of questions instead of hard-coding them.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from support import ROOT, SPEC, backcoach

pexpect = pytest.importorskip("pexpect")

from backcoach.cli.interview import parse_duration  # noqa: E402
from backcoach.cli.render import banner  # noqa: E402
from backcoach.content.loader import load_catalog  # noqa: E402
from backcoach.domain.model import Level  # noqa: E402

COMMAND = str(ROOT / ".venv" / "bin" / "backcoach")
TIMEOUT = 10

QUESTION = re.compile(
    r"(?:Safety question|Question) [^\r\n]*\r\n(?P<text>[\s\S]*?)\r\n  y / n / \? \(h: explain\) > "
)
PAIN = re.compile(r"Pain now, 0 to 10 [^\r\n]*> ")
DURATION = re.compile(r"How long ago\? [^\r\n]*> ")
ITEM = re.compile(r"(?P<n>\d+) of (?P<of>\d+)\r\n[\s\S]*?\r\n  Your answer > ")
RESULT = re.compile(r"YOUR RESULT")
# The "GET HELP NOW" banner is drawn in a block font: match its first row.
EMERGENCY = re.compile(re.escape(banner("GET HELP NOW").splitlines()[0]))

RUNNER = json.loads((SPEC / "examples" / "runner-doms.json").read_text()) if SPEC.is_dir() else {}


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def questions() -> dict[str, str]:
    """Question text (whitespace-normalised) -> finding id."""
    return {_words(f.question): f.id for f in load_catalog().findings}


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


class Session:
    def __init__(self, tmp_path: Path, cache_dir: Path, *args: str) -> None:
        home = tmp_path / "home"
        home.mkdir(exist_ok=True)
        env = {
            **os.environ,
            "TERM": "dumb",
            "NO_COLOR": "1",
            "BACKCOACH_HOME": str(home),
            "BACKCOACH_CACHE_DIR": str(cache_dir),
        }
        self.child = pexpect.spawn(
            COMMAND,
            ["assess", *args],
            env=env,
            encoding="utf-8",
            timeout=TIMEOUT,
            dimensions=(24, 80),
        )
        self.child.delaybeforesend = None
        self.asked: list[str] = []

    def start(self, age: int, sex: str) -> None:
        self.child.expect(r"How old are you\? \(years\) > ")
        self.child.sendline(str(age))
        self.child.expect(r"Your sex: [^\r\n]*> ")
        self.child.sendline(sex)

    def answer_all(
        self,
        questions: Mapping[str, str],
        answers: Mapping[str, str],
        *,
        pain: str = "4",
        duration: str = "2",
        items: Mapping[int, str] | None = None,
    ) -> int:
        """Answer until the result, an emergency or the end (--json prints no headings).

        Returns 4 for the result, 5 for the emergency banner, 6 for the end of output.
        """
        child = self.child
        while True:
            index = child.expect([QUESTION, PAIN, DURATION, ITEM, RESULT, EMERGENCY, pexpect.EOF])
            if index == 0:
                text = _words(child.match["text"])
                assert text in questions, f"not a catalog question: {text!r}"
                fid = questions[text]
                self.asked.append(fid)
                child.sendline(answers.get(fid, "n"))
            elif index == 1:
                child.sendline(pain)
            elif index == 2:
                child.sendline(duration)
            elif index == 3:
                child.sendline((items or {}).get(int(child.match["n"]), "0"))
            else:
                return int(index)

    def rest(self) -> str:
        """Everything up to the end of the program (after answer_all: what it last saw)."""
        if not self.child.eof():
            self.child.expect(pexpect.EOF)
        out: str = self.child.before
        self.child.close()
        return out


def runner_answers() -> dict[str, str]:
    yes_no = {"present": "y", "absent": "n", "unknown": "?"}
    return {fid: yes_no[a] for fid, a in RUNNER["findings"].items()}


@pytest.fixture
def session(tmp_path: Path, cache_dir: Path) -> Iterator[Callable[..., Session]]:
    made: list[Session] = []

    def make(*args: str) -> Session:
        s = Session(tmp_path, cache_dir, *args)
        made.append(s)
        return s

    yield make
    for s in made:
        if s.child.isalive():
            s.child.terminate(force=True)


# --- (a) emergency --------------------------------------------------------------------------


def test_saddle_numbness_stops_the_interview_at_once(
    session: Callable[..., Session], questions: dict[str, str]
) -> None:
    s = session()
    s.start(45, "m")
    ended = s.answer_all(questions, {"saddle_numbness": "y"})
    assert ended == 5, "expected the emergency banner"
    assert s.asked[-1] == "saddle_numbness"
    out = s.rest()
    for row in banner("GET HELP NOW").splitlines()[1:]:
        assert row in out
    assert load_catalog().advice(Level.EMERGENCY).headline.upper() in out  # GO TO A&E NOW
    assert "A&E" in out
    assert "y / n / ?" not in out, "no question may follow the emergency advice"
    assert not PAIN.search(out) and "How bad is the pain" not in out
    assert s.child.exitstatus == 0


# --- (b) self-care runner -------------------------------------------------------------------


def test_runner_with_delayed_soreness_reaches_self_care(
    session: Callable[..., Session], questions: dict[str, str], tmp_path: Path
) -> None:
    catalog = load_catalog()
    s = session()
    child = s.child
    # Bad input is re-asked with a hint; h explains a question.
    child.expect(r"How old are you\? \(years\) > ")
    child.sendline("old")
    child.expect("whole years")
    child.sendline("29")
    child.expect(r"Your sex: [^\r\n]*> ")
    child.sendline("f")
    child.expect(QUESTION)
    first = questions[_words(child.match["text"])]
    child.sendline("maybe")
    child.expect(r"y \(yes\), n \(no\) or \? \(don't know\)")
    child.expect(r"  y / n / \? \(h: explain\) > ")
    child.sendline("h")
    child.expect(r"  y / n / \? \(h: explain\) > ")
    assert _words(catalog.finding(first).help)[:30] in _words(child.before)
    child.sendline("n")
    s.asked.append(first)

    ended = s.answer_all(questions, runner_answers(), pain="4", duration="2 days")
    assert ended == 4
    out = s.rest()
    assert catalog.advice(Level.SELF_CARE).headline.upper() in out
    assert "LIKELY CAUSES" in out
    assert catalog.condition("exercise_muscle_soreness").name in out
    assert not EMERGENCY.search(out)
    assert s.child.exitstatus == 0
    danger = [f.id for f in catalog.findings if f.phase == "danger"]
    asked_danger = [fid for fid in s.asked if fid in danger]
    assert s.asked[: len(asked_danger)] == asked_danger, "safety questions come first"
    others = [f.id for f in catalog.findings if f.phase != "danger"]
    asked_others = [fid for fid in s.asked if fid not in danger]
    assert len(asked_others) < len(others), "only questions that can change the result"
    # The answers are kept for `backcoach plan`, on this computer, for the owner only.
    kept = tmp_path / "home" / "backcoach.sqlite3"
    assert kept.stat().st_mode & 0o777 == 0o600
    exported = backcoach("export", "-", env={"BACKCOACH_HOME": str(tmp_path / "home")})
    [assessment] = json.loads(exported.stdout)["assessments"]
    assert assessment["case"]["findings"]["runner"] == "present"
    assert "backcoach plan" in out


# --- (c) --save then --case replays ---------------------------------------------------------


def _json_object(text: str) -> dict[str, object]:
    match = re.search(r"^\{\r?\n[\s\S]*?^\}\r?$", text, re.M)
    assert match, text[-2000:]
    result: dict[str, object] = json.loads(match.group(0).replace("\r\n", "\n"))
    return result


def test_saved_answers_replay_to_the_same_result(
    session: Callable[..., Session], questions: dict[str, str], tmp_path: Path
) -> None:
    import jsonschema

    saved = tmp_path / "answers.json"
    s = session("--save", str(saved), "--json")
    s.start(29, "female")
    answers = {**runner_answers(), "fever": "?"}  # one "don't know" to keep as unknown
    ended = s.answer_all(questions, answers, pain="4", duration="2", items={1: "1", 3: "1", 9: "2"})
    assert ended == 6, "with --json the interview ends with the JSON, no headings"
    out = s.rest()
    assert s.child.exitstatus == 0
    live = _json_object(out)

    case = json.loads(saved.read_text())
    assert case["findings"]["fever"] == "unknown"
    # Other tools read saved cases: the file must be valid against the spec, nothing extra.
    jsonschema.validate(case, json.loads((SPEC / "case.schema.json").read_text()))
    assert case["age"] == 29 and case["sex"] == "female"
    assert case["pain_intensity"] == 4 and case["duration_days"] == 2

    import subprocess

    env = {**os.environ, "NO_COLOR": "1", "BACKCOACH_CACHE_DIR": str(tmp_path / "c2")}
    done = subprocess.run(
        [COMMAND, "assess", "--case", str(saved), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    replay = json.loads(done.stdout)
    assert replay["triage"]["level"] == live["triage"]["level"] == "self_care"
    # The interview's result also carries the STarT Back score, which the case format
    # cannot hold; everything else replays exactly.
    assert live.pop("questionnaires")["startback"]["score"] == 2  # type: ignore[index]
    assert replay == live


# --- end of input ---------------------------------------------------------------------------


def test_ctrl_d_stops_cleanly(session: Callable[..., Session]) -> None:
    s = session()
    s.child.expect(r"How old are you\? \(years\) > ")
    s.child.sendline("50")
    s.child.expect(r"Your sex: [^\r\n]*> ")
    s.child.sendeof()
    out = s.rest()
    assert "Interview stopped" in out
    assert "Traceback" not in out
    assert s.child.exitstatus == 1


# --- parsing durations ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("3", 3),
        ("3d", 3),
        ("2w", 14),
        ("3 weeks", 21),
        ("3 weeks ago", 21),
        ("a week", 7),
        ("1 month", 30),
        ("1.5 weeks", 10),
        ("today", 0),
        ("yesterday", 1),
        ("?", None),
    ],
)
def test_parse_duration(text: str, days: int | None) -> None:
    assert parse_duration(text) == days


@pytest.mark.parametrize("text", ["", "soon", "3 fortnights", "-2", "200 years"])
def test_parse_duration_rejects(text: str) -> None:
    from backcoach.cli.interview import InvalidAnswerError

    with pytest.raises(InvalidAnswerError):
        parse_duration(text)


# --- the saved file's extension field: questionnaires -----------------------------------------

STARTBACK_LOW = {f"sb{n}": 0 for n in range(1, 10)}


def _case(**extra: object) -> str:
    return json.dumps({"age": 40, "sex": "male", "findings": {}, **extra})


def test_case_file_questionnaires_are_parsed_and_scored() -> None:
    from backcoach.adapters.caseio import parse_case_text
    from backcoach.adapters.result_json import ResultWriter
    from backcoach.domain.assessment import Assessor

    catalog = load_catalog()
    known = {f.id for f in catalog.findings}
    answers = {**STARTBACK_LOW, "sb5": 1, "sb6": 1, "sb7": 1, "sb8": 1, "sb9": 4}
    case = parse_case_text(_case(questionnaires={"startback": answers}), known)
    assert case.questionnaires == {"startback": answers}
    result = ResultWriter(catalog).to_dict(Assessor(catalog).assess(case))
    startback = result["questionnaires"]["startback"]
    assert startback["score"] == 5
    assert startback["subscales"] == {"psychosocial": 5}
    assert startback["category"] == "high"
    # Without the field the result is exactly the spec's, with no extra key.
    plain = parse_case_text(_case(), known)
    assert "questionnaires" not in ResultWriter(catalog).to_dict(Assessor(catalog).assess(plain))


@pytest.mark.parametrize(
    ("questionnaires", "field"),
    [
        ([1, 2], "questionnaires"),
        ({"nosuch": {}}, "questionnaires.nosuch"),
        ({"startback": "low"}, "questionnaires.startback"),
        ({"startback": {**STARTBACK_LOW, "sb9": 7}}, "questionnaires.startback.sb9"),
        ({"startback": {**STARTBACK_LOW, "sb3": True}}, "questionnaires.startback.sb3"),
        (
            {"startback": {k: v for k, v in STARTBACK_LOW.items() if k != "sb4"}},
            "questionnaires.startback.sb4",
        ),
        ({"startback": {**STARTBACK_LOW, "sb10": 0}}, "questionnaires.startback.sb10"),
    ],
)
def test_case_file_questionnaire_errors_name_the_field(questionnaires: object, field: str) -> None:
    from backcoach.adapters.caseio import CaseError, parse_case_text

    known = {f.id for f in load_catalog().findings}
    with pytest.raises(CaseError) as info:
        parse_case_text(_case(questionnaires=questionnaires), known)
    assert info.value.field == field


def test_bad_questionnaire_in_case_file_is_one_line_exit_2(tmp_path: Path) -> None:
    from support import backcoach

    bad = tmp_path / "bad.json"
    bad.write_text(_case(questionnaires={"startback": {**STARTBACK_LOW, "sb9": 9}}))
    done = backcoach("assess", "--case", str(bad), "--json")
    assert done.returncode == 2
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "questionnaires.startback.sb9" in lines[0]
