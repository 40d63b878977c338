"""Shared pytest configuration for the backcoach tests."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import pytest

if TYPE_CHECKING:
    from backcoach.storage.store import Store

TEST_DATABASE_URL_ENV = "BACKCOACH_TEST_DATABASE_URL"


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    """Print the clinical vignette accuracy table when test_vignettes.py ran.

    The table is computed by ``test_vignettes.vignette_report_lines`` from the same engine
    run as the tests (it returns None when the vignettes were not run in this session).
    """
    for name, module in list(sys.modules.items()):
        if name.rsplit(".", 1)[-1] != "test_vignettes":
            continue
        render = getattr(module, "vignette_report_lines", None)
        lines = render() if callable(render) else None
        if lines:
            terminalreporter.write_sep("=", "clinical vignette accuracy")
            for line in lines:
                terminalreporter.write_line(line)
        return


# --- fixtures: a fresh database per test (storage, services, CLI) ----------------------------------------------------------


def _postgres_url() -> str:
    url = os.environ.get(TEST_DATABASE_URL_ENV)
    if not url:
        pytest.skip(f"PostgreSQL: set {TEST_DATABASE_URL_ENV} to run these tests on it")
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL at {TEST_DATABASE_URL_ENV} is unreachable: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """A uniquely named, empty database on the test server, dropped afterwards."""
    import psycopg

    server = _postgres_url()
    name = f"backcoach_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
    finally:
        from backcoach.storage.settings import close_connections

        close_connections()
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home" / "backcoach"
    monkeypatch.setenv("BACKCOACH_HOME", str(folder))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return folder


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The environment of a fresh database: "sqlite" in ``home``, or a PostgreSQL one
    named by DATABASE_URL (so subprocesses find it too)."""
    if request.param == "postgresql":
        url = request.getfixturevalue("fresh_postgres")
        monkeypatch.setenv("DATABASE_URL", url)
    return str(request.param)


@pytest.fixture
def store(database: str) -> Iterator[Store]:
    from backcoach.storage.settings import close_connections
    from backcoach.storage.store import forget_migrations, open_store

    opened = open_store()
    from django.db import connection

    assert connection.vendor == database
    yield opened
    close_connections()
    forget_migrations()


@pytest.fixture(autouse=True)
def _reset_django() -> Iterator[None]:
    """Each test opens its own database: close the last one's connections after it."""
    yield
    if "backcoach.storage.store" not in sys.modules:
        return
    from backcoach.storage.settings import close_connections
    from backcoach.storage.store import forget_migrations

    close_connections()
    forget_migrations()
