"""Status report views (issue 4). Implemented by a helper."""

from django.http import Http404


def _not_yet(*args, **kwargs):
    raise Http404("Not built yet")


report_current = report_edit = report_reopen = _not_yet
