"""The tables. Rows only: translation to and from domain values lives in :mod:`.store`."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone

# Django ships no type hints, so mypy sees models.Model as Any.


class Person(models.Model):  # type: ignore[misc]
    """Whose record it is. A local database holds one person; a server holds many."""

    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "backcoach_person"


class Episode(models.Model):  # type: ignore[misc]
    """One course of back pain, from the day it started."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, null=True, related_name="+")
    started_on = models.DateField()
    # A default, not auto_now_add: an import must be able to restore the original time.
    created_at = models.DateTimeField(default=timezone.now)

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

    person = models.ForeignKey(Person, on_delete=models.CASCADE, null=True, related_name="+")
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


class CheckInRecord(models.Model):  # type: ignore[misc]
    """One day's check-in (domain: :class:`backcoach.domain.recovery.CheckIn`)."""

    # No index of its own: the (person, day) constraint's index serves every query by
    # person, already in day order (a second index made PostgreSQL scan it and sort).
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", db_index=False)
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="checkins")
    day = models.DateField()
    pain = models.PositiveSmallIntegerField()
    pain_worst = models.PositiveSmallIntegerField(null=True)
    areas = models.JSONField(default=list)
    sleep_hours = models.FloatField(null=True)
    sleep_quality = models.PositiveSmallIntegerField(null=True)
    stress = models.PositiveSmallIntegerField(null=True)
    activity_minutes = models.PositiveIntegerField(null=True)
    routine_done = models.BooleanField(null=True)
    medicines = models.JSONField(default=list)
    note = models.TextField(blank=True, default="")
    screen = models.JSONField(default=dict)  # re-screen finding id -> answer
    peg = models.JSONField(null=True)  # [pain, enjoyment, general activity] when asked
    startback = models.JSONField(default=dict)  # item id -> answer, when asked
    rmdq = models.JSONField(default=dict)  # Roland-Morris item id -> 0 or 1, when asked
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "backcoach_checkin"
        # One check-in a day per person; the constraint's index also serves "a person's
        # check-ins by day", the progress query.
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["person", "day"], name="checkin_one_per_day")
        ]


class PlanRecord(models.Model):  # type: ignore[misc]
    """The plan the person follows: when it started and the choices they made."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="plans")
    assessment = models.ForeignKey(AssessmentRecord, on_delete=models.CASCADE, related_name="+")
    starts = models.DateField()
    options = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "backcoach_plan"


class AdaptationRecord(models.Model):  # type: ignore[misc]
    """The weekly change to the plan (domain: :class:`backcoach.domain.recovery.Adaptation`)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(PlanRecord, on_delete=models.CASCADE, related_name="adaptations")
    week_start = models.DateField()
    rule = models.CharField(max_length=40)
    action = models.CharField(max_length=20)
    step = models.PositiveSmallIntegerField()
    message = models.TextField()
    sources = models.JSONField(default=list)
    decided_at = models.DateTimeField()

    class Meta:
        db_table = "backcoach_adaptation"
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["plan", "week_start"], name="adaptation_one_per_week")
        ]


class ActivityRecord(models.Model):  # type: ignore[misc]
    """One imported activity's summary (domain: ``running.ActivitySummary``)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    sport = models.CharField(max_length=40)
    start = models.DateTimeField()
    elapsed_s = models.FloatField()
    moving_s = models.FloatField()
    distance_m = models.FloatField(null=True)
    elevation_gain_m = models.FloatField(null=True)
    avg_hr = models.FloatField(null=True)
    max_hr = models.PositiveSmallIntegerField(null=True)
    avg_cadence = models.FloatField(null=True)
    device = models.CharField(max_length=120, blank=True, default="")
    points = models.PositiveIntegerField(default=0)
    has_positions = models.BooleanField(default=False)
    truncated = models.BooleanField(default=False)
    perceived_exertion = models.FloatField(null=True)
    name = models.CharField(max_length=300, blank=True, default="")
    source_id = models.CharField(max_length=60, blank=True, default="")  # e.g. Strava's id
    source_file = models.CharField(max_length=500, blank=True, default="")
    imported_at = models.DateTimeField()

    class Meta:
        db_table = "backcoach_activity"
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["person", "start"], name="activity_person_start")
        ]
