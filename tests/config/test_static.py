"""Static files load once: hashed names served `immutable` with brotli and gzip (production and
`make demo`), Plotly's partial bundle matching the Python library, loaded once and deferred."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import plotly
import plotly.graph_objects as go
import pytest
from django.conf import settings
from django.core.management import call_command
from django.http import HttpResponse
from django.templatetags.static import static
from django.test import RequestFactory
from django.urls import reverse
from plotly.basedatatypes import BaseTraceType
from whitenoise.middleware import WhiteNoiseMiddleware

from tests.factories import StatusReportFactory

HASHED = "core.staticfiles.HashedStaticFilesStorage"
PLAIN = "django.contrib.staticfiles.storage.StaticFilesStorage"
BUNDLE = Path(settings.BASE_DIR) / "static" / "plotly" / "plotly.min.js"
ONE_YEAR = 365 * 24 * 60 * 60


@pytest.fixture
def collected(settings, tmp_path):
    """Slate's static/ collected as `make demo` does it (DEBUG on, STATIC_HASHED=1)."""
    settings.DEBUG = True
    settings.STATIC_ROOT = str(tmp_path)
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": HASHED}}
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    settings.WHITENOISE_KEEP_ONLY_HASHED_FILES = True
    call_command("collectstatic", interactive=False, verbosity=0)
    return WhiteNoiseMiddleware(lambda request: HttpResponse("not static", status=404))


def _get(middleware, url, encoding):
    return middleware(RequestFactory().get(url, HTTP_ACCEPT_ENCODING=encoding))


@pytest.mark.parametrize("name", ["js/slate.js", "css/slate.css", "plotly/plotly.min.js"])
def test_collected_files_have_hashed_names_served_immutable_and_compressed(collected, name):
    url = static(name)  # hashed although DEBUG is on, as in `make demo`
    stem, suffix = name.rsplit(".", 1)
    assert re.fullmatch(rf"/static/{stem}\.[0-9a-f]{{12}}\.{suffix}", url), url

    response = _get(collected, url, "gzip, deflate, br")
    assert response.status_code == 200
    assert response["Cache-Control"] == f"max-age={10 * ONE_YEAR}, public, immutable"
    assert response["Content-Encoding"] == "br"
    brotli_size = int(response["Content-Length"])
    gzip_response = _get(collected, url, "gzip")
    assert gzip_response["Content-Encoding"] == "gzip"
    plain = _get(collected, url, "")
    assert "Content-Encoding" not in plain
    assert brotli_size < int(gzip_response["Content-Length"]) < int(plain["Content-Length"])


def test_only_hashed_copies_are_collected(collected):
    root = Path(settings.STATIC_ROOT)
    assert not (root / "js" / "slate.js").exists()
    assert list((root / "js").glob("slate.*.js"))


def _settings_with(**env):
    read = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "d = s.DATABASES['default']; print(json.dumps([s.STORAGES['staticfiles']['BACKEND'], "
        "d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS']]))"
    )
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DATABASE_URL")}
    result = subprocess.run(
        [sys.executable, "-c", read],
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_static_names_are_hashed_in_production_and_the_demo_and_plain_in_development():
    assert _settings_with()[0] == PLAIN
    assert _settings_with(DEBUG="0", SECRET_KEY="x" * 50)[0] == HASHED
    assert _settings_with(STATIC_HASHED="1")[0] == HASHED


def test_postgresql_connections_persist_with_health_checks_unless_told_otherwise():
    postgres = "postgres://u@127.0.0.1:5432/slate"
    assert _settings_with(DATABASE_URL=postgres)[1:] == [60, True]
    assert _settings_with(DATABASE_URL=postgres, CONN_MAX_AGE="0")[1:] == [0, True]
    assert _settings_with(DATABASE_URL=postgres, CONN_HEALTH_CHECKS="0")[1:] == [60, False]
    assert _settings_with()[1:] == [0, True]  # SQLite


def _plotly_js_version(path: Path) -> str:
    with path.open() as bundle:
        return re.search(r"plotly\.js.*? v(\d+\.\d+\.\d+)", bundle.read(400)).group(1)


def test_the_partial_bundle_is_the_plotly_js_of_the_python_library_with_its_licence():
    bundled = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert _plotly_js_version(BUNDLE) == _plotly_js_version(bundled)
    assert "(cartesian - minified)" in BUNDLE.read_text()[:200]
    assert "MIT" in (BUNDLE.parent / "LICENSE").read_text()
    assert BUNDLE.stat().st_size < bundled.stat().st_size / 3


def test_the_bundle_draws_every_trace_type_the_charts_use():
    in_bundle = set(re.findall(r'moduleType:"trace",name:"(\w+)"', BUNDLE.read_text()))
    traces = {
        name.lower()
        for name in dir(go)
        if isinstance(getattr(go, name), type) and issubclass(getattr(go, name), BaseTraceType)
    }
    assert {"scatter", "heatmap", "scatter3d", "sankey"} <= traces
    used = set()
    for module in (Path(settings.BASE_DIR) / "charts").glob("*.py"):
        source = module.read_text()
        used |= set(re.findall(r"\btrace\(\s*\"(\w+)\"", source))  # trace("scatter", …)
        # Every trace is made by charts.base.trace, never as a dict with a "type" of its own.
        assert not re.search(r"\"type\": \"(?!date|category|line|rect)", source), module
    assert used == {"scatter", "bar", "heatmap"}  # a new one: check it is in the bundle
    assert used <= traces and used <= in_bundle


@pytest.mark.django_db
def test_chart_pages_preload_plotly_once_and_block_nothing(client, project, member_of):
    StatusReportFactory(project=project)
    client.force_login(member_of(project.portfolio, "executive"))
    for url in (
        reverse("portfolio:detail", args=[project.portfolio.code]),
        reverse("projects:detail", args=[project.pk]),
    ):
        html = client.get(url).content.decode()
        assert html.count("plotly/plotly.min.js") == 1, url
        # fetched in parallel, run by slate.js after the first paint: no script tag for it
        assert f'<link rel="preload" href="{static("plotly/plotly.min.js")}" as="script"' in html
        scripts = re.findall(r"<script src=\"[^\"]+\"[^>]*>", html)
        assert scripts == [f'<script src="{static("js/slate.js")}" defer>'], scripts
        assert 'data-chart="' in html


def test_slate_js_runs_plotly_after_the_first_paint_then_draws_the_charts():
    source = (Path(settings.BASE_DIR) / "static" / "js" / "slate.js").read_text()
    assert 'document.querySelector("link[data-plotly]")' in source
    assert 'script.addEventListener("load", drawCharts)' in source
    assert "requestAnimationFrame(function () { setTimeout(callback, 0); })" in source
