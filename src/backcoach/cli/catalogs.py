"""``backcoach findings`` and ``backcoach conditions``."""

from __future__ import annotations

import json
import textwrap
from typing import IO

from backcoach.cli.engine import catalog
from backcoach.cli.errors import EXIT_OK


def show_findings(out: IO[str], *, as_json: bool) -> int:
    findings = catalog().findings
    if as_json:
        items = [
            {
                "id": f.id,
                "group": f.group,
                "question": f.question,
                "help": f.help,
                "red_flag": f.red_flag,
                "phase": f.phase,
            }
            for f in findings
        ]
        out.write(json.dumps(items, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    group = None
    for f in findings:
        if f.group != group:
            group = f.group
            out.write(f"\n{group.upper()}\n")
        flag = " [red flag]" if f.red_flag else ""
        out.write(f"  {f.id}{flag}\n")
        out.write(
            textwrap.fill(f.question, width=78, initial_indent="    ", subsequent_indent="    ")
        )
        out.write("\n")
    return EXIT_OK


def show_conditions(out: IO[str], *, as_json: bool) -> int:
    conditions = catalog().conditions
    if as_json:
        items = [{**c._asdict(), "sources": list(c.sources)} for c in conditions]
        out.write(json.dumps(items, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    for c in conditions:
        out.write(f"{c.id}  ({c.kind})\n")
        out.write(
            textwrap.fill(
                c.name + ": " + c.what_it_is, 78, initial_indent="  ", subsequent_indent="  "
            )
        )
        out.write("\n\n")
    return EXIT_OK
