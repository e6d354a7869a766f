"""The Celery app for the crash test's worker: the real app, plus a pause in the middle of a
review's transaction when SLATE_TEST_PAUSE_REVIEW names a marker file, so the test can kill
the worker while the review is half-written."""

import os
import time
from pathlib import Path

from celery.signals import task_prerun

from config.celery import app

__all__ = ["app"]


@task_prerun.connect
def pause_reviews(sender=None, **kwargs):
    marker = os.environ.get("SLATE_TEST_PAUSE_REVIEW")
    if not marker or sender.name != "reporting.run_review":
        return
    from reporting import reviews

    real_findings = reviews.FINDINGS["monthly"]

    def findings_then_pause(**arguments):
        result = real_findings(**arguments)
        Path(marker).touch()  # the review is half-written: tell the test, then wait to die
        time.sleep(120)
        return result

    reviews.FINDINGS["monthly"] = findings_then_pause
