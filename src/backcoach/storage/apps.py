"""The Django app that holds backcoach's tables."""

from __future__ import annotations

from django.apps import AppConfig


class StorageConfig(AppConfig):  # type: ignore[misc]  # Django ships no type hints
    name = "backcoach.storage"
    label = "backcoach"
    default_auto_field = "django.db.models.BigAutoField"
