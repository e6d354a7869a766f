"""What the MPXJ tests share: Java must be here (a skip locally, a failure in CI), and
uploading a plan file through the service with the worker's read run in process."""

from __future__ import annotations

import os
import shutil

import pytest

from projects.imports.services import plan_import_upload


def require_java():
    if shutil.which("java"):
        return
    message = "Java is not installed: MPXJ needs Java 11 or later (openjdk-17-jre-headless)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def upload(capture, by, data, *, portfolio, file_name, project=None, code="", name=""):
    """Upload as the page does; the read the upload queues runs here, in process (the test
    process is the worker: its JVM starts on the first read). Returns the PlanImport."""
    with capture(execute=True):
        plan_import = plan_import_upload(
            portfolio=portfolio,
            project=project,
            file_name=file_name,
            content=data,
            code=code,
            name=name,
            by=by,
        )
    plan_import.refresh_from_db()
    return plan_import
