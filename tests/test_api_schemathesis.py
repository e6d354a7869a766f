"""Schemathesis against the live schema: the OpenAPI schema is the truth (issue 16).

A real server (pytest-django's `live_server`, a threaded WSGI server on 127.0.0.1) serves
the demo data (`demo.seed.build_demo`, ids from 1, so the small integers schemathesis tries
first name real projects); schemathesis (`st run`, a process of its own) reads the schema
from /api/schema/ and calls every operation with every check, authenticated with a
read-and-write personal access token of the PMO admin, who sees and edits every portfolio.
It must find no 5xx, no undocumented status code, header or content type, and no response
that breaks its schema.

Seeded and deterministic (`--seed`, `--generation-deterministic`), and bounded: at most
MAX_EXAMPLES generated cases per operation and phase, so the run stays within a few minutes
as operations are added (SCHEMATHESIS_MAX_EXAMPLES raises it for a deeper run by hand). Its
summary is printed whatever the outcome.

Runs in CI with the rest of `make test` (marker `schemathesis`); a missing `st` is a failure,
never a skip."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from access_tokens import services as token_services
from access_tokens.models import Scope
from demo.seed import build_demo

pytestmark = [
    pytest.mark.schemathesis,
    pytest.mark.django_db(transaction=True, reset_sequences=True),
]

SCHEMATHESIS = Path(sys.executable).with_name("st")
CONFIG = Path(__file__).with_name("schemathesis.toml")
SEED = 16
# Generated cases per operation and phase: the run's length grows with it and with the
# number of operations (about 2 minutes for the API as of issue 16 on a CI machine).
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "5"))
TIMEOUT_SECONDS = 600


def schemathesis_command(base_url: str, token: str) -> list[str]:
    return [
        str(SCHEMATHESIS),
        "--config-file",
        str(CONFIG),
        "run",
        f"{base_url}/api/schema/",
        "--url",
        base_url,
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--generation-deterministic",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-color",
    ]


@pytest.fixture
def api_token(settings):
    """The PMO admin's read-and-write token, over the demo data. Throttling stays on, with
    a budget the run does not exhaust."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"access_token": "100000/hour", "user": "100000/hour"},
    }
    build_demo()
    pmo = get_user_model().objects.get(username="pmo")
    created = token_services.access_token_create(
        user=pmo,
        name="schemathesis",
        scope=Scope.READ_WRITE,
        expires_on=timezone.localdate() + timedelta(days=7),
    )
    return created.plaintext


def test_schemathesis_finds_no_failure(live_server, api_token, capsys, tmp_path):
    assert SCHEMATHESIS.exists(), (
        f"schemathesis is not installed ({SCHEMATHESIS}): `make install` installs the dev extras"
    )
    command = schemathesis_command(live_server.url, api_token)
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        cwd=tmp_path,  # its reports and caches, not the repository's
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "120"},
        check=False,
    )
    output = result.stdout + result.stderr
    shown = " ".join(command).replace(api_token, "<token>")
    with capsys.disabled():
        print(f"\n$ {shown}\n{output}")
    failures = output[output.find("= FAILURES =") :] if "= FAILURES =" in output else output
    assert result.returncode == 0, f"schemathesis failed (exit {result.returncode}):\n{failures}"
