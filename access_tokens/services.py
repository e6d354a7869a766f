"""Creating, revoking and using personal access tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from access_tokens.models import TOKEN_PREFIX, AccessToken, Scope, token_digest
from core import access

DEFAULT_LIFETIME = timedelta(days=90)
MAX_LIFETIME = timedelta(days=365)
# Last use is kept to the minute: a client calling many times a minute writes once.
LAST_USE_RESOLUTION = timedelta(minutes=1)
# Admins revoke anyone's token in the Django admin with this permission.
REVOKE_ANY_PERMISSION = "access_tokens.change_accesstoken"


@dataclass(frozen=True)
class CreatedToken:
    token: AccessToken
    plaintext: str  # shown to its owner once, never stored


def default_expiry_date() -> date:
    return timezone.localdate() + DEFAULT_LIFETIME


def access_token_create(*, user, name: str, scope: str, expires_on: date) -> CreatedToken:
    """A new token for `user`, valid to the end of `expires_on` (a day after today, at most a
    year away)."""
    today = timezone.localdate()
    latest = today + MAX_LIFETIME
    if expires_on <= today:
        raise ValidationError({"expires_on": "Choose a day after today."})
    if expires_on > latest:
        raise ValidationError(
            {"expires_on": f"A token lasts at most a year: choose {latest:%Y-%m-%d} or earlier."}
        )
    if scope not in Scope.values:
        raise ValidationError({"scope": f"Unknown scope {scope!r}."})
    prefix = secrets.token_hex(6)
    plaintext = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    end_of_day = datetime.combine(expires_on + timedelta(days=1), time.min)
    token = AccessToken(
        user=user,
        name=name.strip(),
        scope=scope,
        prefix=prefix,
        digest=token_digest(plaintext),
        expires_at=timezone.make_aware(end_of_day),
    )
    token.full_clean()
    with transaction.atomic():
        token.save()
    return CreatedToken(token=token, plaintext=plaintext)


def access_token_revoke(*, token: AccessToken, by) -> None:
    """Revoke `token` at once (its owner, or an admin). The row stays, for the record."""
    access.require(
        token.user_id == by.pk or by.has_perm(REVOKE_ANY_PERMISSION),
        "You may revoke only your own tokens.",
    )
    if token.revoked_at is not None:
        return
    now = timezone.now()
    AccessToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=now, revoked_by=by)
    token.revoked_at, token.revoked_by = now, by


def access_token_record_use(*, token: AccessToken) -> None:
    """Note that `token` was used now, at most once per LAST_USE_RESOLUTION (one UPDATE that
    also holds when several requests race)."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USE_RESOLUTION:
        return
    AccessToken.objects.filter(
        Q(last_used_at=None) | Q(last_used_at__lt=now - LAST_USE_RESOLUTION), pk=token.pk
    ).update(last_used_at=now)
    token.last_used_at = now
