"""The review cadence as django-celery-beat schedules (editable in the admin)."""

from django.db import migrations

SCHEDULES = [
    # name, kind, crontab (minute, hour, day of month, month of year)
    ("Monthly portfolio review", "monthly", ("0", "6", "1", "*")),
    ("Quarterly strategic-alignment review", "quarterly", ("0", "6", "1", "1,4,7,10")),
    # Every month on the 1st; only portfolios whose fiscal year starts that month are due.
    ("Annual portfolio planning", "annual", ("0", "6", "1", "*")),
]


def create(apps, schema_editor):
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, kind, (minute, hour, day, month) in SCHEDULES:
        crontab, _ = crontab_model.objects.get_or_create(
            minute=minute, hour=hour, day_of_month=day, month_of_year=month, day_of_week="*",
            timezone="UTC",
        )
        task_model.objects.update_or_create(
            name=name,
            defaults={
                "task": "reporting.schedule_reviews",
                "crontab": crontab,
                "kwargs": f'{{"kind": "{kind}"}}',
                "enabled": True,
            },
        )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[name for name, _, _ in SCHEDULES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0002_review_json_encoder"),
        ("django_celery_beat", "0018_improve_crontab_helptext"),
    ]
    operations = [migrations.RunPython(create, remove)]
