"""Creating, revoking and using tokens (access_tokens/services.py): the secret is stored only
as its hash, the expiry stays within a year, and only the owner or an admin revokes."""

import hashlib
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from access_tokens import selectors, services
from access_tokens.models import AccessToken, Scope
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _create(user, days=30, scope=Scope.READ):
    return services.access_token_create(
        user=user,
        name="  Power BI  ",
        scope=scope,
        expires_on=timezone.localdate() + timedelta(days=days),
    )


def test_the_token_is_returned_once_and_only_its_hash_is_stored():
    created = _create(UserFactory())
    label, prefix, secret = created.plaintext.split("_", 2)
    assert (label, len(prefix)) == ("slate", 12)
    assert len(secret) >= 43  # 32 random bytes

    token = AccessToken.objects.get()
    assert token.name == "Power BI"
    assert token.prefix == prefix
    assert token.digest == hashlib.sha256(created.plaintext.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM access_tokens_accesstoken")
        stored = " ".join(str(value) for value in cursor.fetchone())
    assert secret not in stored and created.plaintext not in stored
    assert secret not in str(token) and secret not in token.display_prefix


def test_the_lookup_needs_the_whole_token():
    created = _create(UserFactory())
    assert selectors.access_token_named(created.plaintext) == created.token
    label, prefix, secret = created.plaintext.split("_", 2)
    for wrong in (
        f"{label}_{prefix}_{secret[:-1]}x",  # a wrong secret with the right prefix
        f"{label}_{prefix}_",
        f"{label}_{prefix}",
        f"other_{prefix}_{secret}",
        secret,
        "",
    ):
        assert selectors.access_token_named(wrong) is None, wrong


def test_the_expiry_is_the_end_of_the_chosen_day_within_a_year():
    user = UserFactory()
    today = timezone.localdate()
    token = _create(user, days=365).token
    assert timezone.localtime(token.expires_at).date() == today + timedelta(days=366)
    assert timezone.localtime(token.expires_at).time().isoformat() == "00:00:00"
    assert token.valid_through == today + timedelta(days=365)
    for days, message in ((366, "at most a year"), (0, "after today"), (-3, "after today")):
        with pytest.raises(ValidationError) as refused:
            _create(user, days=days)
        assert message in str(refused.value.message_dict["expires_on"])
    assert AccessToken.objects.count() == 1
    assert services.default_expiry_date() == today + timedelta(days=90)


def test_the_owner_revokes_and_the_row_stays():
    owner = UserFactory()
    token = _create(owner).token
    services.access_token_revoke(token=token, by=owner)
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == owner
    assert token.state() == "revoked"
    first = token.revoked_at
    services.access_token_revoke(token=token, by=owner)  # again: nothing changes
    token.refresh_from_db()
    assert token.revoked_at == first


def test_another_user_may_not_revoke_but_an_admin_may():
    token = _create(UserFactory()).token
    with pytest.raises(PermissionDenied):
        services.access_token_revoke(token=token, by=UserFactory())
    token.refresh_from_db()
    assert token.revoked_at is None

    admin = UserFactory(is_staff=True)
    admin.user_permissions.add(Permission.objects.get(codename="change_accesstoken"))
    admin = type(admin).objects.get(pk=admin.pk)  # a fresh permission cache
    services.access_token_revoke(token=token, by=admin)
    token.refresh_from_db()
    assert token.revoked_by == admin


def test_last_use_is_written_at_most_once_a_minute():
    token = _create(UserFactory()).token
    assert token.last_used_at is None
    services.access_token_record_use(token=token)
    first = AccessToken.objects.get().last_used_at
    assert first is not None
    services.access_token_record_use(token=token)
    assert AccessToken.objects.get().last_used_at == first

    an_hour_ago = timezone.now() - timedelta(hours=1)
    AccessToken.objects.update(last_used_at=an_hour_ago)
    token.last_used_at = an_hour_ago
    services.access_token_record_use(token=token)
    assert AccessToken.objects.get().last_used_at > first


def test_usable_leaves_out_revoked_and_expired_tokens():
    user = UserFactory()
    active, expired, revoked = (_create(user).token for _ in range(3))
    now = timezone.now()
    AccessToken.objects.filter(pk=expired.pk).update(
        created_at=now - timedelta(days=2), expires_at=now
    )
    services.access_token_revoke(token=revoked, by=user)
    assert list(AccessToken.objects.usable()) == [active]
