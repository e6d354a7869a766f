"""The status-report reminders as django-celery-beat schedules (editable in the admin), as the
review cadence is (0003_review_schedules)."""

from django.db import migrations

SCHEDULES = [
    # name, task, crontab (minute, hour, day of week)
    ("Status report reminders", "reporting.send_report_reminders", ("0", "7", "*")),
    ("Weekly missing-report lists", "reporting.send_missing_report_lists", ("0", "7", "1")),
]


def create(apps, schema_editor):
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, (minute, hour, day_of_week) in SCHEDULES:
        crontab, _ = crontab_model.objects.get_or_create(
            minute=minute, hour=hour, day_of_month="*", month_of_year="*",
            day_of_week=day_of_week, timezone="UTC",
        )  # fmt: skip
        task_model.objects.update_or_create(
            name=name,
            defaults={"task": task, "crontab": crontab, "kwargs": "{}", "enabled": True},
        )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[name for name, _, _ in SCHEDULES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0005_report_reminders"),
        ("django_celery_beat", "0018_improve_crontab_helptext"),
    ]
    operations = [migrations.RunPython(create, remove)]
