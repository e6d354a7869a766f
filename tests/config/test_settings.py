"""Settings read from the environment: the proxy header only when a proxy is in front, and
the session's lifetime."""

import json
import os
import subprocess
import sys

from django.conf import settings

READ = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.SECURE_PROXY_SSL_HEADER, s.SESSION_COOKIE_AGE]))"
)


def _settings_with(**env):
    result = subprocess.run(
        [sys.executable, "-c", READ],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_proxy_header_is_trusted_only_behind_a_proxy():
    assert _settings_with(BEHIND_PROXY="0")[0] is None
    assert _settings_with(BEHIND_PROXY="1")[0] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_the_session_age_comes_from_the_environment():
    assert _settings_with()[1] == 8 * 60 * 60
    assert _settings_with(SESSION_COOKIE_AGE="3600")[1] == 3600
