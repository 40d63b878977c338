"""The README's commands are real: every `backcoach ...` line in it parses with the
command's own parser (docs tested against the code, as datasette does)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from backcoach.cli.main import build_parser

README = Path(__file__).resolve().parent.parent / "README.md"
COMMAND = re.compile(r"^\s{4}backcoach (.+?)(?:\s{2,}#.*)?$", re.M)


def readme_commands() -> list[str]:
    return COMMAND.findall(README.read_text(encoding="utf-8"))


def test_the_readme_shows_the_commands() -> None:
    names = {line.split()[0] for line in readme_commands()}
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert names == set(commands), "each command is in the README, and only real ones"


@pytest.mark.parametrize("line", readme_commands())
def test_each_readme_command_parses(line: str) -> None:
    words = [w for w in shlex.split(line) if w != "..."]
    words = [w for w in words if not (w.startswith("[") or w.endswith("]"))]
    args = build_parser().parse_args(words)
    assert getattr(args, "handler", None) is not None
