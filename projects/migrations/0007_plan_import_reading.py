from django.db import migrations, models

SOURCES = [
    ("mspdi", "Microsoft Project XML"),
    ("mpp", "Microsoft Project (.mpp)"),
    ("p6", "Primavera P6"),
    ("mpxj", "Another planning tool"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0006_plan_import"),
    ]

    operations = [
        migrations.AddField(
            model_name="planimport",
            name="plan",
            field=models.JSONField(
                blank=True,
                help_text="The plan as the worker read it (projects.imports.plan.plan_to_json); "
                "blank for Microsoft Project XML, which is re-read from the file.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="planimport",
            name="problems",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Why the file cannot be imported (state failed).",
            ),
        ),
        migrations.AddField(
            model_name="planimport",
            name="read_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="planimport",
            name="state",
            field=models.CharField(
                choices=[
                    ("reading", "Reading the file"),
                    ("ready", "Ready for preview"),
                    ("failed", "Cannot be imported"),
                ],
                default="ready",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="planimport",
            name="source",
            field=models.CharField(choices=SOURCES, max_length=10),
        ),
        migrations.AlterField(
            model_name="project",
            name="external_source",
            field=models.CharField(
                blank=True, choices=SOURCES, help_text="Where its plan is kept.", max_length=10
            ),
        ),
        migrations.AlterField(
            model_name="historicalproject",
            name="external_source",
            field=models.CharField(
                blank=True, choices=SOURCES, help_text="Where its plan is kept.", max_length=10
            ),
        ),
    ]
