"""The webhooks pages: who may subscribe, see the log and redeliver (the portfolio's PMO and
portfolio managers, PMO admins) and who may not (its other members and project managers:
403; everyone else: 404; anonymous: the login page), with nothing changed when refused; the
secret shown once and masked after; the log's filters, pagination, empty states and query
count."""

import pytest
from django.urls import reverse

from core import events
from tests.factories import MembershipFactory, PortfolioFactory, ProjectFactory, UserFactory
from tests.permissions import rows
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db

MANAGERS = ("pmo", "portfolio_manager", "admin")
REFUSED = {
    "executive": 403,
    "viewer": 403,
    "resource_manager": 403,
    "project_manager": 403,  # sees the portfolio (manages a project in it), manages nothing
    "outsider": 404,
    "anonymous": 302,
}
ROLES = (*MANAGERS, *REFUSED)


def user_in_role(role, portfolio):
    if role == "anonymous":
        return None
    if role == "admin":
        return UserFactory(is_superuser=True)
    if role == "project_manager":
        return ProjectFactory(portfolio=portfolio, manager=UserFactory()).manager
    if role == "outsider":
        return MembershipFactory(portfolio=PortfolioFactory(), role="pmo").user
    return MembershipFactory(portfolio=portfolio, role=role).user


@pytest.fixture
def subscription(portfolio, pmo_admin):
    return WebhookSubscription.objects.create(
        portfolio=portfolio,
        url="https://hooks.example.com/slate",
        events=[events.GATE_DECIDED],
        secret="whsec_the-real-secret-value-1234",
    )


def make_delivery(subscription, status=DeliveryStatus.DEAD, **extra):
    values = {
        "event": events.GATE_DECIDED,
        "event_id": "5f0c6d0e-8a61-4a8e-9d3c-1b2f6e7a9c01",
        "body": '{"id":"5f0c6d0e-8a61-4a8e-9d3c-1b2f6e7a9c01","event":"gate.decided","data":{}}',
        "status": status,
        "attempts": 6,
        "response_code": 503,
        "last_error": "HTTP 503: down for maintenance",
        **extra,
    }
    return WebhookDelivery.objects.create(
        subscription=subscription, portfolio=subscription.portfolio, **values
    )


def login(client, role, portfolio):
    user = user_in_role(role, portfolio)
    if user is not None:
        client.force_login(user)
    return user


def check(client, role, portfolio, method, url, data=None, *, snapshot=None, allowed_status):
    login(client, role, portfolio)
    before = snapshot() if snapshot else None
    response = client.post(url, data or {}) if method == "post" else client.get(url)
    if role in MANAGERS:
        assert response.status_code == allowed_status, f"{role}: {response.status_code}"
        if snapshot and method == "post":
            assert snapshot() != before, f"{role} was allowed, but nothing changed"
    else:
        assert response.status_code == REFUSED[role], f"{role}: {response.status_code}"
        if role == "anonymous":
            assert response.url.startswith(reverse("login"))
        if snapshot:
            assert snapshot() == before, f"{role} was refused, but something changed"
    return response


@pytest.mark.parametrize("role", ROLES)
def test_who_sees_the_subscriptions_and_the_log(client, role, portfolio, subscription):
    delivery = make_delivery(subscription)
    for name, args in (
        ("webhooks:subscriptions", [portfolio.code]),
        ("webhooks:subscription-create", [portfolio.code]),
        ("webhooks:subscription-edit", [portfolio.code, subscription.pk]),
        ("webhooks:subscription-delete", [portfolio.code, subscription.pk]),
        ("webhooks:deliveries", [portfolio.code]),
        ("webhooks:delivery", [portfolio.code, delivery.pk]),
    ):
        client.logout()
        check(client, role, portfolio, "get", reverse(name, args=args), allowed_status=200)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_subscribe(client, role, portfolio):
    check(
        client,
        role,
        portfolio,
        "post",
        reverse("webhooks:subscription-create", args=[portfolio.code]),
        {"url": "https://hooks.example.com/in", "events": [events.GATE_DECIDED], "is_active": "on"},
        snapshot=rows(WebhookSubscription),
        allowed_status=200,  # the page that shows the new secret once
    )


@pytest.mark.parametrize("role", ROLES)
def test_who_may_edit_and_delete(client, role, portfolio, subscription):
    edit = reverse("webhooks:subscription-edit", args=[portfolio.code, subscription.pk])
    data = {"url": "https://hooks.example.com/moved", "events": [events.REVIEW_COMPLETED]}
    check(
        client, role, portfolio, "post", edit, data,
        snapshot=rows(WebhookSubscription), allowed_status=302,
    )  # fmt: skip
    client.logout()
    delete = reverse("webhooks:subscription-delete", args=[portfolio.code, subscription.pk])
    check(
        client, role, portfolio, "post", delete,
        snapshot=rows(WebhookSubscription), allowed_status=302,
    )  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_who_may_redeliver(client, role, portfolio, subscription, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    dead = make_delivery(subscription)
    check(
        client,
        role,
        portfolio,
        "post",
        reverse("webhooks:redeliver", args=[portfolio.code, dead.pk]),
        snapshot=rows(WebhookDelivery),
        allowed_status=302,
    )


def test_redeliver_answers_only_post(client, portfolio, subscription, pmo_admin):
    dead = make_delivery(subscription)
    client.force_login(pmo_admin)
    url = reverse("webhooks:redeliver", args=[portfolio.code, dead.pk])
    assert client.get(url).status_code == 405
    assert WebhookDelivery.objects.count() == 1


def test_objects_of_another_portfolio_are_not_found(client, portfolio, other_portfolio, pmo_admin):
    elsewhere = WebhookSubscription.objects.create(
        portfolio=other_portfolio,
        url="https://x.example.com/",
        events=["gate.decided"],
        secret="s" * 20,
    )
    delivery = make_delivery(elsewhere)
    client.force_login(MembershipFactory(portfolio=portfolio, role="pmo").user)
    code = portfolio.code
    for url in (
        reverse("webhooks:subscription-edit", args=[code, elsewhere.pk]),
        reverse("webhooks:subscription-delete", args=[code, elsewhere.pk]),
        reverse("webhooks:delivery", args=[code, delivery.pk]),
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(reverse("webhooks:redeliver", args=[code, delivery.pk]))
    assert response.status_code == 404
    assert WebhookDelivery.objects.count() == 1


def test_the_secret_is_shown_once_then_masked(client, portfolio, pmo_admin):
    client.force_login(pmo_admin)
    response = client.post(
        reverse("webhooks:subscription-create", args=[portfolio.code]),
        {"url": "https://hooks.example.com/in", "events": [events.GATE_DECIDED], "is_active": "on"},
    )
    subscription = WebhookSubscription.objects.get()
    assert subscription.secret.startswith("whsec_")
    assert subscription.secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    for url in (
        reverse("webhooks:subscriptions", args=[portfolio.code]),
        reverse("webhooks:subscription-edit", args=[portfolio.code, subscription.pk]),
    ):
        page = client.get(url).content.decode()
        assert subscription.secret not in page
        assert subscription.secret[6:-4] not in page
        assert "••••••••" + subscription.secret[-4:] in page


def test_a_bad_url_is_a_field_error_and_nothing_is_saved(client, portfolio, pmo_admin):
    client.force_login(pmo_admin)
    response = client.post(
        reverse("webhooks:subscription-create", args=[portfolio.code]),
        {
            "url": "ftp://files.example.com/",
            "events": [events.GATE_DECIDED],
            "secret": "typed-secret-typed-secret",
        },
    )
    assert response.status_code == 200
    assert "http:// or https:// only" in response.context["form"].errors["url"][0]
    assert "typed-secret-typed-secret" not in response.content.decode()  # not echoed back
    assert not WebhookSubscription.objects.exists()


def test_editing_keeps_the_secret_unless_a_new_one_is_asked_for(
    client, portfolio, subscription, pmo_admin
):
    client.force_login(pmo_admin)
    url = reverse("webhooks:subscription-edit", args=[portfolio.code, subscription.pk])
    data = {"url": subscription.url, "events": [events.GATE_DECIDED, events.REVIEW_COMPLETED]}
    assert client.post(url, data).status_code == 302
    subscription.refresh_from_db()
    assert subscription.secret == "whsec_the-real-secret-value-1234"
    assert subscription.events == [events.GATE_DECIDED, events.REVIEW_COMPLETED]
    assert subscription.is_active is False  # the box was not ticked

    response = client.post(url, {**data, "new_secret": "on"})
    subscription.refresh_from_db()
    assert subscription.secret != "whsec_the-real-secret-value-1234"
    assert subscription.secret in response.content.decode()


def test_the_log_shows_codes_attempts_errors_and_a_redeliver_button(
    client, portfolio, subscription, pmo_admin
):
    make_delivery(subscription)
    make_delivery(
        subscription,
        status=DeliveryStatus.RETRYING,
        event_id="0e5c3a9e-1111-4c4c-8d8d-222222222222",
    )
    client.force_login(pmo_admin)
    page = client.get(reverse("webhooks:deliveries", args=[portfolio.code])).content.decode()
    assert "HTTP 503: down for maintenance" in page
    assert ">503<" in page and ">6<" in page
    assert page.count("Redeliver</button>") == 1  # the dead one; the retrying one is under way
    assert "Retrying" in page and "Dead" in page


def test_the_log_filters_and_pages(client, portfolio, subscription, pmo_admin, settings):
    settings.SLATE_PAGE_SIZE = 2
    for n in range(3):
        make_delivery(subscription, event_id=f"00000000-0000-4000-8000-00000000000{n}")
    make_delivery(
        subscription, status=DeliveryStatus.DELIVERED, delivered_at="2026-11-01T10:00:00Z",
        event_id="00000000-0000-4000-8000-000000000009",
    )  # fmt: skip
    client.force_login(pmo_admin)
    url = reverse("webhooks:deliveries", args=[portfolio.code])
    first = client.get(url)
    assert first.context["page_obj"].paginator.count == 4
    assert len(first.context["page_obj"].object_list) == 2
    assert len(client.get(url + "?page=2").context["page_obj"].object_list) == 2
    delivered = client.get(url + "?status=delivered").context["page_obj"]
    assert [d.status for d in delivered.object_list] == ["delivered"]
    nothing = client.get(url + "?event=review.completed")
    assert "No delivery matches these filters." in nothing.content.decode()


def test_empty_states(client, portfolio, pmo_admin):
    client.force_login(pmo_admin)
    subscriptions = client.get(reverse("webhooks:subscriptions", args=[portfolio.code]))
    assert "No webhooks yet." in subscriptions.content.decode()
    log = client.get(reverse("webhooks:deliveries", args=[portfolio.code]))
    assert "Nothing sent yet." in log.content.decode()


def test_the_tab_shows_only_to_those_who_manage_the_portfolio(client, portfolio):
    tab = reverse("webhooks:subscriptions", args=[portfolio.code])
    dashboard = reverse("portfolio:detail", args=[portfolio.code])
    client.force_login(MembershipFactory(portfolio=portfolio, role="pmo").user)
    assert tab in client.get(dashboard).content.decode()
    client.force_login(MembershipFactory(portfolio=portfolio, role="executive").user)
    assert tab not in client.get(dashboard).content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_the_log_and_subscriptions_pages_take_the_same_queries_at_any_size(
    client, portfolio, pmo_admin, count, django_assert_max_num_queries
):
    for n in range(count):
        subscription = WebhookSubscription.objects.create(
            portfolio=portfolio, url=f"https://h{n}.example.com/", events=["gate.decided"],
            secret="s" * 20,
        )  # fmt: skip
        make_delivery(subscription, event_id=f"00000000-0000-4000-8000-{n:012d}")
    client.force_login(pmo_admin)
    with django_assert_max_num_queries(LOG_PAGE_QUERIES):
        assert client.get(reverse("webhooks:deliveries", args=[portfolio.code])).status_code == 200
    with django_assert_max_num_queries(SUBSCRIPTIONS_PAGE_QUERIES):
        assert (
            client.get(reverse("webhooks:subscriptions", args=[portfolio.code])).status_code == 200
        )


# session and user, portfolio, membership (access), count and page (+ the filter's
# subscriptions on the log)
LOG_PAGE_QUERIES = 6
SUBSCRIPTIONS_PAGE_QUERIES = 5


def test_the_admin_neither_shows_nor_makes_secrets(client, subscription, pmo_admin):
    client.force_login(pmo_admin)
    change = client.get(
        reverse("admin:webhooks_webhooksubscription_change", args=[subscription.pk])
    )
    assert change.status_code == 200
    assert subscription.secret not in change.content.decode()
    assert "••••••••1234" in change.content.decode()
    add = client.get(reverse("admin:webhooks_webhooksubscription_add"))
    assert add.status_code == 403
