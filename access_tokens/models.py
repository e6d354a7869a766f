"""Personal access tokens: a user's credential for the API (`Authorization: Bearer <token>`).

A token reads `slate_<prefix>_<secret>`. Only the prefix (to find the row, and to tell tokens
apart in lists) and the SHA-256 of the whole token are stored: the token itself is shown once,
when it is created, and cannot be read back. A slow password hash would add nothing, as the
secret is 256 random bits, not something a person chose."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

TOKEN_PREFIX = "slate"


class Scope(models.TextChoices):
    READ = "read", "Read only"
    READ_WRITE = "read_write", "Read and write"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccessTokenQuerySet(models.QuerySet):
    def of_user(self, user):
        """The tokens `user` owns: the only ones their pages list or revoke."""
        return self.filter(user=user)

    def usable(self, *, at=None):
        """Neither revoked nor expired at `at` (now)."""
        return self.filter(revoked_at=None, expires_at__gt=at or timezone.now())


class AccessToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for.")
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.READ)
    # The public part of the token: finds the row in one index lookup.
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    digest = models.CharField(
        max_length=64, editable=False, help_text="SHA-256 of the whole token, in hex."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = AccessTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="access_token_expires_after_creation",
            ),
            models.CheckConstraint(
                condition=Q(scope__in=Scope.values), name="access_token_scope_known"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.display_prefix})"

    @property
    def display_prefix(self) -> str:
        """How lists name the token: its public start, never the secret."""
        return f"{TOKEN_PREFIX}_{self.prefix}_…"

    @property
    def valid_through(self):
        """The last day the token works (it expires at the start of the next one)."""
        return timezone.localtime(self.expires_at - timedelta(microseconds=1)).date()

    @property
    def is_read_only(self) -> bool:
        return self.scope == Scope.READ

    def state(self, *, at=None) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= (at or timezone.now()):
            return "expired"
        return "active"
