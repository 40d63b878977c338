"""The tables. Rows only: translation to and from domain values lives in :mod:`.store`."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

# Django ships no type hints, so mypy sees models.Model as Any.


class Episode(models.Model):  # type: ignore[misc]
    """One course of back pain, from the day it started."""

    started_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "backcoach_episode"


class AssessmentRecord(models.Model):  # type: ignore[misc]
    """One assessment: the answers (a case file's JSON) and the result's JSON."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="assessments")
    taken_at = models.DateTimeField()
    case = models.JSONField()
    result = models.JSONField()
    triage_level = models.CharField(max_length=40)
    top_condition = models.CharField(max_length=80, blank=True)

    class Meta:
        db_table = "backcoach_assessment"
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["taken_at"], name="assessment_taken_at")
        ]


class RoutineSessionRecord(models.Model):  # type: ignore[misc]
    """One guided routine, as ``backcoach routine`` logged it in ``sessions.jsonl``."""

    date = models.DateField()
    plan_starts = models.DateField(null=True)
    plan_week = models.PositiveSmallIntegerField()
    exercises_planned = models.JSONField(default=list)
    exercises_done = models.JSONField(default=list)
    exercises_skipped = models.JSONField(default=list)
    quit_early = models.BooleanField(default=False)
    seconds = models.FloatField()
    # SHA-256 of the imported line's JSON (keys sorted): the same line is imported once.
    source_key = models.CharField(max_length=64, unique=True)

    class Meta:
        db_table = "backcoach_routine_session"
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["date"], name="routine_session_date")
        ]
