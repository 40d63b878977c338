"""The domain core stays pure: standard library and itself, nothing else."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parent.parent / "src" / "backcoach" / "domain"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_domain_imports_only_stdlib_and_itself() -> None:
    offenders = []
    for path in sorted(DOMAIN.glob("*.py")):
        for name in imported_modules(path):
            top = name.split(".")[0]
            if name.startswith("backcoach.domain") or top in sys.stdlib_module_names:
                continue
            offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_the_check_sees_imports() -> None:
    # Guard against a walker that finds nothing and so always passes.
    assert "backcoach.domain.model" in imported_modules(DOMAIN / "triage.py")


def test_only_the_cli_imports_the_cli() -> None:
    package = DOMAIN.parent
    offenders = []
    for folder in ("adapters", "content", "domain", "services", "storage"):
        for path in sorted((package / folder).glob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                offenders += [
                    f"{folder}/{path.name}: {n}" for n in names if n.startswith("backcoach.cli")
                ]
    assert offenders == []


def test_only_storage_knows_django() -> None:
    """The ORM stays behind the storage package: domain, services, content and adapters
    take and give plain values."""
    package = DOMAIN.parent
    offenders = []
    for folder in ("adapters", "content", "domain", "services", "cli"):
        for path in sorted((package / folder).glob("*.py")):
            offenders += [
                f"{folder}/{path.name}: {name}"
                for name in imported_modules(path)
                if name.split(".")[0] == "django"
            ]
    assert offenders == []
