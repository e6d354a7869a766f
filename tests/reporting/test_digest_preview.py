"""The digest preview: the PMO picks a subscriber and a stored review and sees exactly the
e-mail that subscriber receives (subject, HTML and text), from the builder that sends it."""

from unittest import mock

import pytest
from django.core import mail, signing
from django.urls import reverse
from django.utils.html import escape

from reporting import digests, services
from reporting.models import DigestSubscription
from tests.factories import MembershipFactory, PortfolioFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(portfolio, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://slate.example.com"
    shown = ProjectFactory(portfolio=portfolio, code="SHOWN", name="Visible project")
    ProjectFactory(portfolio=portfolio, code="HIDDEN", name="Secret project")
    manager = UserFactory(username="pm", email="pm@example.com", first_name="Pat")
    shown.manager = manager
    shown.save()
    executive = MembershipFactory(portfolio=portfolio, role="executive").user
    for user in (manager, executive):
        DigestSubscription.objects.create(user=user, portfolio=portfolio, kind="monthly")
    review = services.run_review(portfolio=portfolio, kind="monthly", period="2026-10")
    return {"review": review, "manager": manager, "executive": executive}


def preview_url(portfolio, **params):
    url = reverse("reporting:digest-preview", args=[portfolio.code])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


@pytest.fixture
def same_second():
    """Unsubscribe tokens carry the second they were signed: sign the preview and the sent
    message in the same one."""
    with mock.patch.object(signing.TimestampSigner, "timestamp", return_value="1abc"):
        yield


def test_the_preview_is_exactly_the_sent_message(client, portfolio, world, same_second):
    review, manager = world["review"], world["manager"]
    client.force_login(MembershipFactory(portfolio=portfolio, role="pmo").user)
    response = client.get(preview_url(portfolio, subscriber=manager.pk, review=review.pk))
    assert response.status_code == 200
    preview = response.context["email"]

    mail.outbox.clear()
    digests.deliver(review_id=review.pk)
    sent = next(message for message in mail.outbox if message.to == [manager.email])
    assert preview.subject == sent.subject
    assert preview.text == sent.body
    assert [(preview.html, "text/html")] == [tuple(part) for part in sent.alternatives]
    assert preview.to == manager.email
    # The PM's digest shows only what the PM may see; the page shows all three parts.
    assert "SHOWN" in preview.text and "HIDDEN" not in preview.text
    html = response.content.decode()
    assert escape(preview.subject) in html
    assert escape(preview.text) in html
    assert f'srcdoc="{escape(preview.html)}"' in html


def test_the_digest_builder_is_the_one_that_sends(world):
    """`deliver` sends what `digest_email` builds (one builder for mail and preview)."""
    review, manager = world["review"], world["manager"]
    subscription = DigestSubscription.objects.get(user=manager, kind="monthly")
    with mock.patch.object(digests, "digest_email", wraps=digests.digest_email) as builder:
        digests.deliver(review_id=review.pk)
    assert mock.call(review, subscription) in [
        mock.call(call.args[0], call.args[1]) for call in builder.call_args_list
    ]


def test_a_subscriber_of_another_kind_gets_a_field_error(client, portfolio, world):
    annual = services.run_review(portfolio=portfolio, kind="annual", period="2026")
    client.force_login(MembershipFactory(portfolio=portfolio, role="pmo").user)
    response = client.get(preview_url(portfolio, subscriber=world["manager"].pk, review=annual.pk))
    assert response.status_code == 200
    assert "would receive nothing" in response.context["form"].errors["subscriber"][0]
    assert response.context["email"] is None


def test_only_subscribers_and_reviews_of_the_portfolio_can_be_picked(client, portfolio, world):
    other = PortfolioFactory()
    stranger = UserFactory()
    DigestSubscription.objects.create(user=stranger, portfolio=other, kind="monthly")
    other_review = services.run_review(portfolio=other, kind="monthly", period="2026-10")
    client.force_login(MembershipFactory(portfolio=portfolio, role="pmo").user)
    response = client.get(preview_url(portfolio, subscriber=stranger.pk, review=other_review.pk))
    form = response.context["form"]
    assert form.errors["subscriber"] and form.errors["review"]
    for bad in ("abc", "99999999999999999999", "-1"):
        response = client.get(preview_url(portfolio, subscriber=bad, review=bad))
        assert response.status_code == 200 and response.context["form"].errors


@pytest.mark.parametrize("role", ["executive", "viewer", "pm", "other_pmo"])
def test_only_the_pmo_previews_digests(client, portfolio, world, role):
    if role == "pm":
        user = world["manager"]
    elif role == "other_pmo":
        user = MembershipFactory(portfolio=PortfolioFactory(), role="pmo").user
    else:
        user = MembershipFactory(portfolio=portfolio, role=role).user
    client.force_login(user)
    response = client.get(
        preview_url(portfolio, subscriber=world["manager"].pk, review=world["review"].pk)
    )
    assert response.status_code == (404 if role == "other_pmo" else 403)
