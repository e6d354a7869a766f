"""The Access tokens page and the admin: a user creates, sees and revokes only their own
tokens; a new token is shown in the response that creates it and never again."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from access_tokens.models import AccessToken, Scope
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("access_tokens:list")


def _revoke_url(token):
    return reverse("access_tokens:revoke", args=[token.pk])


def _form(**overrides):
    return {
        "name": "Power BI sync",
        "scope": Scope.READ_WRITE,
        "expires_on": f"{timezone.localdate() + timedelta(days=30):%Y-%m-%d}",
        **overrides,
    }


def test_anonymous_is_sent_to_log_in(client):
    token = AccessToken.objects.create(
        user=UserFactory(), name="x", prefix="abc", digest="0" * 64,
        expires_at=timezone.now() + timedelta(days=1),
    )  # fmt: skip
    for response in (client.get(LIST), client.post(LIST, _form()), client.post(_revoke_url(token))):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert AccessToken.objects.count() == 1
    assert AccessToken.objects.get().revoked_at is None


def test_the_user_menu_links_to_the_page(client):
    client.force_login(UserFactory())
    assert f'href="{LIST}"' in client.get(reverse("reporting:my-work")).content.decode()


def test_a_new_token_is_shown_once(client):
    user = UserFactory()
    client.force_login(user)
    page = client.get(LIST)
    assert page.status_code == 200
    default = timezone.localdate() + timedelta(days=90)
    assert f'value="{default:%Y-%m-%d}"' in page.content.decode()

    response = client.post(LIST, _form())
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    plaintext = response.context["created"].plaintext
    body = response.content.decode()
    assert plaintext in body and "shown only this once" in body
    token = AccessToken.objects.get(user=user)
    assert (token.name, token.scope) == ("Power BI sync", Scope.READ_WRITE)
    assert token.valid_through == timezone.localdate() + timedelta(days=30)
    assert f"works through {token.valid_through:%-d %b %Y}" in body

    again = client.get(LIST).content.decode()
    secret = plaintext.split("_", 2)[2]
    assert secret not in again
    assert token.display_prefix in again and "Power BI sync" in again


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("expires_on", "2000-01-01", "after today"),
        ("expires_on", "9999-12-31", "at most a year"),
        ("expires_on", "soon", "valid date"),
        ("scope", "admin", "valid choice"),
        ("name", "", "required"),
        ("name", "x" * 101, "at most 100"),
    ],
)
def test_a_bad_value_is_a_field_error_and_writes_nothing(client, field, value, message):
    client.force_login(UserFactory())
    response = client.post(LIST, _form(**{field: value}))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert response.context["created"] is None
    assert not AccessToken.objects.exists()


def test_the_list_shows_only_the_users_own_tokens(client, issue_token):
    user, other = UserFactory(), UserFactory()
    issue_token(user, name="Mine")
    issue_token(other, name="Theirs")
    client.force_login(user)
    body = client.get(LIST).content.decode()
    assert "Mine" in body and "Theirs" not in body


def test_the_page_reads_in_a_fixed_number_of_queries(
    client, issue_token, django_assert_num_queries
):
    user = UserFactory()
    client.force_login(user)
    counts = []
    for size in (2, 20):
        AccessToken.objects.all().delete()
        for n in range(size):
            issue_token(user, name=f"Token {n}")
        with django_assert_num_queries(4) as queries:  # session, user, count, one page
            client.get(LIST)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_owner_revokes_a_token(client, issue_token):
    user = UserFactory()
    issue_token(user)
    token = AccessToken.objects.get()
    client.force_login(user)
    response = client.post(_revoke_url(token), follow=True)
    assert response.redirect_chain[-1][0] == LIST
    assert "is revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == user


def test_another_users_token_cannot_be_revoked_nor_seen(client, issue_token):
    owner, other = UserFactory(), UserFactory(is_staff=True, is_superuser=True)
    issue_token(owner)
    token = AccessToken.objects.get()
    client.force_login(other)  # even a superuser: the page is about one's own tokens
    assert client.post(_revoke_url(token)).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_needs_a_post(client, issue_token):
    user = UserFactory()
    issue_token(user)
    client.force_login(user)
    assert client.get(_revoke_url(AccessToken.objects.get())).status_code == 405
    assert AccessToken.objects.get().revoked_at is None


def test_the_admin_lists_everyones_tokens_and_revokes_them(client, issue_token):
    owner = UserFactory(username="token-owner")
    issue_token(owner, name="Nightly export")
    token = AccessToken.objects.get()
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)

    changelist = reverse("admin:access_tokens_accesstoken_changelist")
    body = client.get(changelist).content.decode()
    assert "Nightly export" in body and "token-owner" in body
    assert token.digest not in body
    change = client.get(reverse("admin:access_tokens_accesstoken_change", args=[token.pk]))
    assert change.status_code == 200 and token.digest not in change.content.decode()
    assert client.get(reverse("admin:access_tokens_accesstoken_add")).status_code == 403

    response = client.post(
        changelist, {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    assert "1 token(s) revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_by == admin_user


def test_staff_without_the_permission_cannot_revoke_in_the_admin(client, issue_token):
    issue_token(UserFactory())
    token = AccessToken.objects.get()
    client.force_login(UserFactory(is_staff=True))
    changelist = reverse("admin:access_tokens_accesstoken_changelist")
    assert client.get(changelist).status_code == 403
    client.post(changelist, {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is None
