"""Read-only portfolio pages. Thin: look the object up through `visible_to` (an invisible
object is a 404), call the selectors, paginate, render."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from portfolio import selectors
from portfolio.models import Portfolio, Program
from projects.models import Project
from projects.querysets import Stage


def paginate(request, queryset) -> Page:
    """Page `?page=` of `queryset`; a page number that is out of range or not a number
    gives the last or the first page rather than an error."""
    return Paginator(queryset, settings.SLATE_PAGE_SIZE).get_page(request.GET.get("page"))


def _project_filters(request):
    """The filter values as the form shows them back (the selector does the filtering)."""
    return {"program": request.GET.get("program", ""), "stage": request.GET.get("stage", "")}


@login_required
def portfolio_list(request):
    portfolios = selectors.portfolio_list_for(user=request.user, as_of=timezone.localdate())
    return render(request, "portfolio/portfolio_list.html", {"portfolios": portfolios})


@login_required
def portfolio_detail(request, code):
    portfolio = get_object_or_404(Portfolio.objects.visible_to(request.user), code=code)
    as_of = timezone.localdate()
    summary = selectors.portfolio_summary(portfolio=portfolio, user=request.user, as_of=as_of)
    rows = selectors.project_rows(
        queryset=Project.objects.visible_to(request.user).filter(portfolio=portfolio),
        filters=request.GET,
        as_of=as_of,
    )
    return render(
        request,
        "portfolio/portfolio_detail.html",
        {
            "portfolio": portfolio,
            "summary": summary,
            "rollup": summary.rollup,
            "page_obj": paginate(request, rows),
            "filters": _project_filters(request),
            "stage_choices": Stage.choices,
            "as_of": as_of,
        },
    )


@login_required
def program_detail(request, code, pk):
    program = get_object_or_404(
        Program.objects.visible_to(request.user).select_related("portfolio", "manager"),
        portfolio__code=code,
        pk=pk,
    )
    as_of = timezone.localdate()
    rows = selectors.project_rows(
        queryset=Project.objects.visible_to(request.user).filter(program=program),
        filters=request.GET,
        as_of=as_of,
    )
    return render(
        request,
        "portfolio/program_detail.html",
        {
            "portfolio": program.portfolio,
            "program": program,
            "rollup": selectors.program_summary(program=program, user=request.user, as_of=as_of),
            "page_obj": paginate(request, rows),
            "filters": _project_filters(request),
            "stage_choices": Stage.choices,
            "as_of": as_of,
        },
    )
