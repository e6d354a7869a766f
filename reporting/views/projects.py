"""Read-only project pages. Thin: look up through `visible_to` (404 when invisible), call
the selector, render."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from core import access
from portfolio import strategy
from projects import selectors
from reporting import selectors as reporting_selectors


@login_required
def project_detail(request, pk):
    project = get_object_or_404(selectors.project_page_queryset(user=request.user), pk=pk)
    as_of = timezone.localdate()
    detail = selectors.project_detail(project=project, user=request.user, as_of=as_of)
    charts = reporting_selectors.project_charts(
        project=project, milestones=[row.milestone for row in detail.milestones], as_of=as_of
    )
    return render(
        request,
        "projects/project_detail.html",
        {
            "portfolio": project.portfolio,
            "project": project,
            "detail": detail,
            "performance": detail.performance,
            "ev": detail.performance.earned_value,
            "as_of": as_of,
            "charts": charts,
            "can_edit": access.can_edit_project(request.user, project),
            "history": reporting_selectors.project_history(project=project),
            "gate_decisions": strategy.project_gate_decisions(project=project),
            "can_decide_gate": access.can_decide_gate(request.user, project.portfolio_id),
        },
    )
