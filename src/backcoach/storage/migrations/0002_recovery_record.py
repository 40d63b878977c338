"""The recovery record: people, check-ins, plans and their weekly changes.

Rows written before people existed (episodes, routine sessions) are given to one local
person, so that a database from the first version keeps its record."""

from typing import Any, ClassVar

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def give_old_rows_a_person(apps: Any, schema_editor: Any) -> None:
    person_model = apps.get_model("backcoach", "Person")
    orphans = tuple(
        apps.get_model("backcoach", name).objects.filter(person=None)
        for name in ("Episode", "RoutineSessionRecord")
    )
    if not any(rows.exists() for rows in orphans):
        return
    person = person_model.objects.order_by("id").first() or person_model.objects.create()
    for rows in orphans:
        rows.update(person=person)


class Migration(migrations.Migration):  # type: ignore[misc]  # Django has no type hints
    dependencies: ClassVar[list[tuple[str, str]]] = [
        ("backcoach", "0001_initial"),
    ]

    operations: ClassVar[list[migrations.operations.base.Operation]] = [
        migrations.CreateModel(
            name="Person",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "db_table": "backcoach_person",
            },
        ),
        migrations.AlterField(
            model_name="episode",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name="episode",
            name="person",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="backcoach.person",
            ),
        ),
        migrations.AddField(
            model_name="routinesessionrecord",
            name="person",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="backcoach.person",
            ),
        ),
        migrations.CreateModel(
            name="PlanRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("starts", models.DateField()),
                ("options", models.JSONField(default=dict)),
                ("created_at", models.DateTimeField()),
                (
                    "assessment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="backcoach.assessmentrecord",
                    ),
                ),
                (
                    "episode",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="plans",
                        to="backcoach.episode",
                    ),
                ),
                (
                    "person",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="backcoach.person",
                    ),
                ),
            ],
            options={
                "db_table": "backcoach_plan",
            },
        ),
        migrations.CreateModel(
            name="CheckInRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("pain", models.PositiveSmallIntegerField()),
                ("pain_worst", models.PositiveSmallIntegerField(null=True)),
                ("areas", models.JSONField(default=list)),
                ("sleep_hours", models.FloatField(null=True)),
                ("sleep_quality", models.PositiveSmallIntegerField(null=True)),
                ("stress", models.PositiveSmallIntegerField(null=True)),
                ("activity_minutes", models.PositiveIntegerField(null=True)),
                ("routine_done", models.BooleanField(null=True)),
                ("medicines", models.JSONField(default=list)),
                ("note", models.TextField(blank=True, default="")),
                ("screen", models.JSONField(default=dict)),
                ("peg", models.JSONField(null=True)),
                ("startback", models.JSONField(default=dict)),
                ("rmdq", models.JSONField(default=dict)),
                ("created_at", models.DateTimeField()),
                ("updated_at", models.DateTimeField()),
                (
                    "episode",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="checkins",
                        to="backcoach.episode",
                    ),
                ),
                (
                    "person",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        db_index=False,
                        related_name="+",
                        to="backcoach.person",
                    ),
                ),
            ],
            options={
                "db_table": "backcoach_checkin",
                "constraints": [
                    models.UniqueConstraint(fields=("person", "day"), name="checkin_one_per_day")
                ],
            },
        ),
        migrations.CreateModel(
            name="AdaptationRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("week_start", models.DateField()),
                ("rule", models.CharField(max_length=40)),
                ("action", models.CharField(max_length=20)),
                ("step", models.PositiveSmallIntegerField()),
                ("message", models.TextField()),
                ("sources", models.JSONField(default=list)),
                ("decided_at", models.DateTimeField()),
                (
                    "person",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="backcoach.person",
                    ),
                ),
                (
                    "plan",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="adaptations",
                        to="backcoach.planrecord",
                    ),
                ),
            ],
            options={
                "db_table": "backcoach_adaptation",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("plan", "week_start"), name="adaptation_one_per_week"
                    )
                ],
            },
        ),
        migrations.RunPython(give_old_rows_a_person, migrations.RunPython.noop),
    ]
