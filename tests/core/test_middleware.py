"""core.middleware: the Permissions-Policy header, and the address the login throttle counts
failures by; and the Content-Security-Policy on pages outside the crawl (tests/test_crawl.py
checks both headers on every page it opens)."""

import pytest
from django.conf import settings
from django.test import RequestFactory

from core.middleware import client_ip


@pytest.mark.django_db
def test_every_page_says_which_browser_features_it_may_not_use(client):
    policy = client.get("/login/")["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in policy


@pytest.mark.django_db
def test_the_login_page_allows_no_inline_script(client):
    policy = client.get("/login/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-eval" not in policy


def test_without_a_proxy_forwarded_headers_are_not_trusted():
    assert settings.BEHIND_PROXY is False
    assert settings.SECURE_PROXY_SSL_HEADER is None
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "10.0.0.1"


def test_behind_a_proxy_the_address_it_appended_counts(settings):
    settings.BEHIND_PROXY = True
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7"
    )
    assert client_ip(request) == "203.0.113.7"
