"""`make backup` and `make restore`: a dump of a database holding the demo, restored into a
fresh PostgreSQL database, gives the same overview totals (reporting.kpis.portfolios_kpis)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
# The overview totals of every portfolio, as the PMO admin "pmo" sees them, in a fresh process
# on the database DATABASE_URL names.
TOTALS = """
import json, django
django.setup()
from django.contrib.auth import get_user_model
from django.utils import timezone
from portfolio.models import Portfolio
from reporting.kpis import portfolios_kpis
portfolios = list(Portfolio.objects.order_by("code"))
kpis = portfolios_kpis(
    portfolios=portfolios,
    user=get_user_model().objects.get(username="pmo"),
    as_of=timezone.localdate(),
)
print(json.dumps({
    p.code: [kpis[p.pk].project_count, str(kpis[p.pk].budget), str(kpis[p.pk].actual_cost),
             str(kpis[p.pk].earned_value), str(kpis[p.pk].risk_exposure)]
    for p in portfolios
}))
"""


def _database_url(name: str) -> str:
    settings = connection.settings_dict
    user, host, port = settings["USER"], settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return f"postgres://{user}{password}@{host}:{port}/{name}"


def _totals(database_url: str) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", TOTALS], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _make(target: str, *, database_url: str, backup_file: Path):
    result = subprocess.run(
        ["make", target, f"DATABASE_URL={database_url}", f"BACKUP_FILE={backup_file}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db(transaction=True)
def test_backup_restores_into_a_fresh_database_with_the_same_totals(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("make backup/restore use pg_dump and pg_restore: PostgreSQL only")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        if os.environ.get("CI"):
            pytest.fail("pg_dump and pg_restore must be installed in CI")
        pytest.skip("the PostgreSQL client tools (pg_dump, pg_restore) are not installed")
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    source_url = _database_url(connection.settings_dict["NAME"])
    backup_file = tmp_path / "slate.dump"
    _make("backup", database_url=source_url, backup_file=backup_file)
    assert backup_file.stat().st_size > 0

    restored = f"slate_restore_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{restored}"')
    try:
        _make("restore", database_url=_database_url(restored), backup_file=backup_file)
        expected = _totals(source_url)
        assert expected and all(row[0] for row in expected.values())
        assert _totals(_database_url(restored)) == expected
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
