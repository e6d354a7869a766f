"""core's Celery tasks: housekeeping only."""

from celery import shared_task
from django.utils import timezone

from core.models import IdempotencyKey


@shared_task(name="core.purge_expired_idempotency_keys")
def purge_expired_idempotency_keys() -> int:
    """Delete the Idempotency-Key records past their `expires_at` (a retry after that creates
    again). Scheduled hourly by a django-celery-beat row (core migration 0002); the API also
    ignores and replaces an expired record it meets, so a late purge changes nothing."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
