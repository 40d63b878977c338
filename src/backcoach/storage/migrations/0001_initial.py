"""The first tables: episodes, assessments, routine sessions."""

from typing import ClassVar

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):  # type: ignore[misc]  # Django has no type hints
    initial = True

    dependencies: ClassVar[list[tuple[str, str]]] = []

    operations: ClassVar[list[migrations.operations.base.Operation]] = [
        migrations.CreateModel(
            name="Episode",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("started_on", models.DateField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "db_table": "backcoach_episode",
            },
        ),
        migrations.CreateModel(
            name="RoutineSessionRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("date", models.DateField()),
                ("plan_starts", models.DateField(null=True)),
                ("plan_week", models.PositiveSmallIntegerField()),
                ("exercises_planned", models.JSONField(default=list)),
                ("exercises_done", models.JSONField(default=list)),
                ("exercises_skipped", models.JSONField(default=list)),
                ("quit_early", models.BooleanField(default=False)),
                ("seconds", models.FloatField()),
                ("source_key", models.CharField(max_length=64, unique=True)),
            ],
            options={
                "db_table": "backcoach_routine_session",
                "indexes": [models.Index(fields=["date"], name="routine_session_date")],
            },
        ),
        migrations.CreateModel(
            name="AssessmentRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("taken_at", models.DateTimeField()),
                ("case", models.JSONField()),
                ("result", models.JSONField()),
                ("triage_level", models.CharField(max_length=40)),
                ("top_condition", models.CharField(blank=True, max_length=80)),
                (
                    "episode",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="assessments",
                        to="backcoach.episode",
                    ),
                ),
            ],
            options={
                "db_table": "backcoach_assessment",
                "indexes": [models.Index(fields=["taken_at"], name="assessment_taken_at")],
            },
        ),
    ]
