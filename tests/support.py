"""Shared helpers for the tests (imported as a plain module; pytest puts tests/ on sys.path)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SPEC = SHARED / "spec"


def needs_shared() -> pytest.MarkDecorator:
    return pytest.mark.skipif(not SPEC.is_dir(), reason="../shared/spec is not present")


def backcoach(
    *args: str,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
    close_stdin: bool = False,
    timeout: float = 60,
) -> subprocess.CompletedProcess[bytes]:
    """Run the real command in a child process."""
    command = [sys.executable, "-m", "backcoach", *args]
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    if close_stdin:
        # Start the child with file descriptor 0 closed, as `backcoach ... <&-` would.
        command = ["sh", "-c", 'exec "$@" <&-', "sh", *command]
        return subprocess.run(command, capture_output=True, env=full_env, timeout=timeout)
    return subprocess.run(command, input=stdin, capture_output=True, env=full_env, timeout=timeout)


def ok(done: subprocess.CompletedProcess[bytes]) -> subprocess.CompletedProcess[bytes]:
    """A command that succeeded, without a traceback; its result, for chaining."""
    assert done.returncode == 0, (done.returncode, done.stderr.decode(), done.stdout.decode())
    assert b"Traceback" not in done.stderr
    return done


def load_json(path: Path) -> object:
    return json.loads(path.read_text())
