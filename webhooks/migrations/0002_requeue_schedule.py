"""The sweep that queues again deliveries whose Celery task was lost
(webhooks.delivery.deliveries_requeue), every 10 minutes, as a django-celery-beat schedule
(editable in the admin, as the review cadence is)."""

from django.db import migrations

NAME = "Webhooks: queue lost deliveries again"


def create(apps, schema_editor):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = interval_model.objects.get_or_create(every=10, period="minutes")
    task_model.objects.update_or_create(
        name=NAME,
        defaults={
            "task": "webhooks.requeue_lost_deliveries",
            "interval": interval,
            "kwargs": "{}",
            "enabled": True,
        },
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("django_celery_beat", "0018_improve_crontab_helptext"),
    ]
    operations = [migrations.RunPython(create, remove)]
