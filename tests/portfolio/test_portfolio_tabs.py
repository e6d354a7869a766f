"""One tab bar for a portfolio's pages: the dashboard, strategy, selection, gate and oversight
pages all draw the same tabs (core.templatetags.slate.portfolio_tabs), each offered only to
those who may open it, with the current one marked."""

import re

import pytest
from django.urls import reverse

from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

TAB_BAR = re.compile(r'<nav class="subnav portfolio-tabs"[^>]*>(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="[^"]*"( aria-current="page")?>([^<]+)</a>')


def tabs(client, url):
    """(tab labels, the current tab's label) of the page's portfolio tab bar."""
    response = client.get(url)
    assert response.status_code == 200, url
    bars = TAB_BAR.findall(response.content.decode())
    assert len(bars) == 1, f"{url}: {len(bars)} portfolio tab bars"
    links = LINK.findall(bars[0])
    return [label for _, label in links], [label for current, label in links if current]


def pages(portfolio):
    code = portfolio.code
    return {
        "Dashboard": reverse("portfolio:detail", args=[code]),
        "Strategy": reverse("portfolio:objectives", args=[code]),
        "Ranking": reverse("portfolio:ranking", args=[code]),
        "Gates": reverse("portfolio:gate-criteria", args=[code]),
        "Dependencies": reverse("portfolio:dependencies", args=[code]),
    }


def test_every_portfolio_page_draws_the_same_tabs(client, portfolio):
    client.force_login(MembershipFactory(portfolio=portfolio, role="pmo").user)
    seen = {}
    for current, url in pages(portfolio).items():
        labels, marked = tabs(client, url)
        assert marked == [current], url
        seen[url] = labels
    assert len({tuple(labels) for labels in seen.values()}) == 1
    labels = next(iter(seen.values()))
    assert {"Selection", "Missing reports", "Audit"} <= set(labels)
    selection = reverse("portfolio:scenarios", args=[portfolio.code])
    assert tabs(client, selection) == (labels, ["Selection"])


def test_tabs_follow_what_the_user_may_open(client, portfolio):
    viewer = MembershipFactory(portfolio=portfolio, role="viewer").user
    client.force_login(viewer)
    labels, _ = tabs(client, reverse("portfolio:detail", args=[portfolio.code]))
    assert "Selection" in labels and "Missing reports" not in labels

    # A project's manager without a membership sees the portfolio, but not its selection.
    lead = UserFactory()
    ProjectFactory(portfolio=portfolio, manager=lead)
    client.force_login(lead)
    labels, _ = tabs(client, reverse("portfolio:objectives", args=[portfolio.code]))
    assert "Selection" not in labels and "Missing reports" not in labels
    assert {"Dashboard", "Strategy", "Gates"} <= set(labels)
