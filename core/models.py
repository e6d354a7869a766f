"""core's one table: the Idempotency-Key records of the API's creates (core.http_concurrency)."""

from django.conf import settings
from django.db import models


class IdempotencyKey(models.Model):
    """A create the API ran under an `Idempotency-Key`: the first response (status and body) is
    kept until `expires_at`, and a retry with the same key by the same user is answered with it.
    The unique (user, key) constraint makes two concurrent retries one create: the second
    INSERT waits for the first transaction and then fails, and the second request replays."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_keys"
    )
    key = models.CharField(max_length=255)
    endpoint = models.CharField(max_length=600, help_text='"METHOD path" of the first request.')
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request body.")
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]

    def __str__(self):
        return f"{self.key} ({self.endpoint})"
