"""The loaded catalog and assessor, shared by the commands of one process."""

from __future__ import annotations

from functools import cache

from backcoach.cli.errors import UserError
from backcoach.domain.assessment import Assessor
from backcoach.domain.catalog import Catalog


@cache
def catalog() -> Catalog:
    from backcoach.content.loader import ContentError, load_catalog

    try:
        return load_catalog()
    except ContentError as exc:  # a broken install, not the user's input
        raise UserError(f"content files are invalid: {exc}") from None


@cache
def assessor() -> Assessor:
    return Assessor(catalog())
