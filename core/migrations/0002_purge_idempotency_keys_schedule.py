"""The hourly purge of expired Idempotency-Key records (core.tasks), as a django-celery-beat
schedule (editable in the admin, as the other housekeeping schedules are)."""

from django.db import migrations

NAME = "API: purge expired idempotency keys"


def create(apps, schema_editor):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = interval_model.objects.get_or_create(every=1, period="hours")
    task_model.objects.update_or_create(
        name=NAME,
        defaults={
            "task": "core.purge_expired_idempotency_keys",
            "interval": interval,
            "kwargs": "{}",
            "enabled": True,
        },
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("django_celery_beat", "0018_improve_crontab_helptext"),
    ]
    operations = [migrations.RunPython(create, remove)]
