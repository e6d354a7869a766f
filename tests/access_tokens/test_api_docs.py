"""Swagger UI (/api/docs/) and Redoc (/api/redoc/): pages for people who are logged in, built
from drf-spectacular-sidecar's files in static/ and within the Content-Security-Policy (no
inline script, nothing from another site)."""

import re

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.test_crawl import security_problems

pytestmark = pytest.mark.django_db

DOCS = reverse("api:docs")
REDOC = reverse("api:redoc")
EXTERNAL = re.compile(r"""(?:src|href)=["']?(?:https?:)?//""", re.I)


@pytest.mark.parametrize("url", [DOCS, f"{DOCS}?script=", REDOC])
def test_anonymous_is_sent_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("url", "assets"),
    [
        (DOCS, ["swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui-dist/swagger-ui.css"]),
        (REDOC, ["redoc/bundles/redoc.standalone.js"]),
    ],
)
def test_the_readers_load_only_slates_own_files(client, url, assets):
    client.force_login(UserFactory())
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    for asset in assets:
        assert f"/static/drf_spectacular_sidecar/{asset}" in body
    assert not EXTERNAL.search(body), EXTERNAL.search(body)
    assert security_problems(response, body) == []
    assert reverse("api:schema") in body or f"{DOCS}?script=" in body


def test_swagger_uis_start_up_script_is_a_file_of_its_own(client):
    client.force_login(UserFactory())
    page = client.get(DOCS).content.decode()
    assert f'<script src="{DOCS}?script="></script>' in page
    script = client.get(f"{DOCS}?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    body = script.content.decode()
    assert "SwaggerUIBundle(" in body and reverse("api:schema") in body
    assert '"validatorUrl": null' in body


def test_the_sidecar_files_are_served(client):
    """The files the pages name are there (static/ in production, the finders in tests)."""
    from django.contrib.staticfiles import finders

    for name in (
        "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js",
        "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
        "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js",
    ):
        assert finders.find(name), name
