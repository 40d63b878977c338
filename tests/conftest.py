"""Shared pytest configuration for the backcoach tests."""

from __future__ import annotations

import sys

import pytest


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
