"""Project plan views: plan fields, baseline, milestones (issue 4). Implemented by a helper."""

from django.http import Http404


def _not_yet(*args, **kwargs):
    raise Http404("Not built yet")


project_edit = project_set_baseline = milestone_list = milestone_create = _not_yet
milestones_reorder = milestone_edit = milestone_delete = _not_yet
