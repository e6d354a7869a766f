"""Actual cost views (issue 4). Implemented by a helper."""

from django.http import Http404


def _not_yet(*args, **kwargs):
    raise Http404("Not built yet")


cost_list = cost_upload = cost_edit = cost_delete = cost_template = _not_yet
