"""Logging in and staying logged in: the login throttle (django-axes), password reset by
e-mail without telling who has an account, and the session's lifetime (the API's session-only
authentication is in tests/test_api.py)."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"


@pytest.fixture
def user():
    return UserFactory(username="alice", email="alice@example.com")


def _log_in(client, username, password, address="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def _fail(client, username, times, address="10.0.0.1"):
    for _ in range(times):
        response = _log_in(client, username, "wrong", address)
        assert response.status_code in (200, 429)


# --- Login throttle ------------------------------------------------------------------------


def test_the_right_password_logs_in(client, user):
    response = _log_in(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(user.pk)


def test_after_the_failure_limit_the_right_password_is_refused(client, user, settings):
    _fail(client, "alice", settings.AXES_FAILURE_LIMIT)

    response = _log_in(client, "alice", PASSWORD)

    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_one_failure_short_of_the_limit_still_logs_in(client, user, settings):
    _fail(client, "alice", settings.AXES_FAILURE_LIMIT - 1)
    assert _log_in(client, "alice", PASSWORD).status_code == 302


def test_the_username_is_locked_from_any_address(client, user, settings):
    for number in range(settings.AXES_FAILURE_LIMIT):
        _fail(client, "alice", 1, address=f"10.0.1.{number}")
    assert _log_in(Client(), "alice", PASSWORD, address="10.0.2.1").status_code == 429


def test_the_address_is_locked_for_every_username(client, user, settings):
    for number in range(settings.AXES_FAILURE_LIMIT):
        _fail(client, f"guess{number}", 1, address="10.0.3.1")
    assert _log_in(Client(), "alice", PASSWORD, address="10.0.3.1").status_code == 429
    assert _log_in(Client(), "alice", PASSWORD, address="10.0.3.2").status_code == 302


def test_the_limit_and_cool_off_come_from_settings(client, user, settings):
    settings.AXES_FAILURE_LIMIT = 2
    _fail(client, "alice", 2)
    assert _log_in(client, "alice", PASSWORD).status_code == 429


def test_an_admin_unlock_lets_the_user_in_again(client, user, settings, pmo_admin):
    _fail(client, "alice", settings.AXES_FAILURE_LIMIT)
    assert _log_in(client, "alice", PASSWORD).status_code == 429

    admin = Client()
    admin.force_login(pmo_admin)
    attempts = AccessAttempt.objects.all()
    assert admin.get(reverse("admin:axes_accessattempt_changelist")).status_code == 200
    response = admin.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [a.pk for a in attempts], "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()

    assert _log_in(Client(), "alice", PASSWORD).status_code == 302


def test_the_lock_lifts_after_the_cool_off(client, user, settings):
    _fail(client, "alice", settings.AXES_FAILURE_LIMIT)
    assert _log_in(client, "alice", PASSWORD).status_code == 429

    past = timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(minutes=1)
    AccessAttempt.objects.update(attempt_time=past)

    assert _log_in(Client(), "alice", PASSWORD).status_code == 302


def test_default_limit_is_five_failures_and_fifteen_minutes():
    from django.conf import settings

    assert settings.AXES_FAILURE_LIMIT == 5
    assert timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]


# --- Password reset ------------------------------------------------------------------------


def test_the_login_page_links_to_password_reset(client):
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()


def test_password_reset_answers_the_same_whether_the_address_exists(client, user):
    known = client.post(reverse("password_reset"), {"email": "alice@example.com"})
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.com"]
    done = client.get(reverse("password_reset_done")).content.decode()
    assert "If the address belongs to a Slate account" in done


def test_the_reset_link_sets_a_new_password(client, user):
    client.post(reverse("password_reset"), {"email": "alice@example.com"})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password-reset/" in line)
    path = link.split("://", 1)[1].split("/", 1)[1]

    form = client.get(f"/{path}", follow=True)
    assert form.status_code == 200 and "Choose a new password" in form.content.decode()
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-new-Pass-2026", "new_password2": "a-new-Pass-2026"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("a-new-Pass-2026")


# --- Session -----------------------------------------------------------------------


def test_the_session_lasts_eight_hours_by_default(client, user):
    from django.conf import settings

    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    _log_in(client, "alice", PASSWORD)
    assert client.session.get_expiry_age() == 8 * 60 * 60


def test_the_session_age_follows_the_setting(client, user, settings):
    settings.SESSION_COOKIE_AGE = 600
    response = _log_in(client, "alice", PASSWORD)
    assert response.cookies["sessionid"]["max-age"] == 600
