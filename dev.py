#!/usr/bin/env python3
"""Set-up and everyday commands; needs nothing but Python 3.11+.

    python3 dev.py run     # set up (first time) and start backcoach
    python3 dev.py test    # set up (first time) and run the whole test suite
    python3 dev.py lint    # ruff (lint + format check) and mypy --strict

The first run makes a virtual environment in .venv and installs backcoach with its
development tools; later runs reinstall only when pyproject.toml has changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".backcoach-installed"


def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may run on any python3
        sys.exit("backcoach needs Python 3.11 or newer")
    if not (BIN / "python").exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("Installing backcoach and its development tools into .venv ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
    # Bytecode now, as pip does for a regular install: where PYTHONDONTWRITEBYTECODE is
    # set, an editable install would otherwise compile its modules on every start.
    compile_src = [str(BIN / "python"), "-m", "compileall", "-q", str(ROOT / "src")]
    subprocess.run(compile_src, check=True)
    STAMP.write_text(wanted)


def run(*command: str) -> int:
    return subprocess.run(command, cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    task, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if task == "run":
        ensure_venv()
        return run(str(BIN / "backcoach"), *(rest or ["assess"]))
    if task == "test":
        ensure_venv()
        return run(str(BIN / "python"), "-m", "pytest", *rest)
    if task == "lint":
        ensure_venv()
        checks = [
            [str(BIN / "ruff"), "check", "."],
            [str(BIN / "ruff"), "format", "--check", "."],
            [str(BIN / "mypy")],
        ]
        return max(run(*check) for check in checks)
    print(__doc__)
    return 0 if task in ("help", "-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
