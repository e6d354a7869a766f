"""Start a real Celery worker process against Redis and the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)


def require_redis():
    """Skip locally without Redis; in CI a missing service is a failure, never a skip."""
    import pytest

    if settings.REDIS_URL:
        return
    if os.environ.get("CI"):
        pytest.fail("REDIS_URL is not set in CI: the Celery worker tests need Redis")
    pytest.skip("REDIS_URL is not set: start Redis and export REDIS_URL to run worker tests")


def _test_database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


@contextmanager
def celery_worker_process(queue: str | None = None, *, app="config", extra_env=None):
    """Yield (process, queue) for a worker consuming only a queue private to this test; tasks
    it queues itself go to that queue too."""
    queue = queue or f"slate-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        **(extra_env or {}),
    }
    (BASE_DIR / "var").mkdir(exist_ok=True)
    log = open(BASE_DIR / "var" / f"{queue}-{uuid.uuid4().hex[:4]}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            app,
            "worker",
            "--pool=solo",
            "--queues",
            queue,
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--hostname={queue}@%h",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process, queue
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
