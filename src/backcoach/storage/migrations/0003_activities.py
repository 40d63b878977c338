"""Imported activities (runs and others), one summary each."""

from typing import ClassVar

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):  # type: ignore[misc]  # Django has no type hints
    dependencies: ClassVar[list[tuple[str, str]]] = [
        ("backcoach", "0002_recovery_record"),
    ]

    operations: ClassVar[list[migrations.operations.base.Operation]] = [
        migrations.CreateModel(
            name="ActivityRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("sport", models.CharField(max_length=40)),
                ("start", models.DateTimeField()),
                ("elapsed_s", models.FloatField()),
                ("moving_s", models.FloatField()),
                ("distance_m", models.FloatField(null=True)),
                ("elevation_gain_m", models.FloatField(null=True)),
                ("avg_hr", models.FloatField(null=True)),
                ("max_hr", models.PositiveSmallIntegerField(null=True)),
                ("avg_cadence", models.FloatField(null=True)),
                ("device", models.CharField(blank=True, default="", max_length=120)),
                ("points", models.PositiveIntegerField(default=0)),
                ("has_positions", models.BooleanField(default=False)),
                ("truncated", models.BooleanField(default=False)),
                ("perceived_exertion", models.FloatField(null=True)),
                ("name", models.CharField(blank=True, default="", max_length=300)),
                ("source_id", models.CharField(blank=True, default="", max_length=60)),
                ("source_file", models.CharField(blank=True, default="", max_length=500)),
                ("imported_at", models.DateTimeField()),
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
                "db_table": "backcoach_activity",
                "indexes": [models.Index(fields=["person", "start"], name="activity_person_start")],
            },
        ),
    ]
