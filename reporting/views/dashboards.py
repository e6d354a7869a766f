"""The dashboards: the overview (home page), the portfolio dashboard and the program page.
Their URL names are the portfolio app's (`portfolio:list`, `portfolio:detail`,
`portfolio:program`, see config/urls.py). Thin: look the object up through `visible_to` (an
invisible object is a 404), call one selector of `reporting.dashboard`, render."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

import charts
from core import access, exports
from portfolio.models import Program
from portfolio.shortcuts import visible_portfolio
from projects.querysets import Stage
from reporting import dashboard, selectors
from reporting.exports import project_table
from reporting.views.as_of import as_of_choices, requested_as_of


def _dashboard_context(board: dashboard.Dashboard) -> dict:
    return {
        "board": board,
        "rollup": board.kpis,
        "page_obj": board.page,
        "filters": board.query.as_form_values(),
        "stage_choices": Stage.choices,
        "health_choices": dashboard.HEALTH_CHOICES,
        "flag_choices": dashboard.FLAG_CHOICES,
        "as_of": board.as_of,
    }


def _projects_download(board: dashboard.Dashboard, filename: str, fmt: str):
    """The project table as the page shows it (filters, sort, as of), every page of it."""
    rows = board.page.paginator.object_list
    table = project_table(rows, filename=f"{filename}-{board.as_of:%Y-%m-%d}", title="Projects")
    return exports.table_response(table, fmt)


def _review_choices(trends, as_of):
    """The dashboard's "as of" choices: today and each stored monthly review's period end."""
    return as_of_choices(
        as_of,
        [
            (review.period_end, f"{review.period_start:%B %Y} review ({review.period_end:%-d %b})")
            for review in trends.reviews
        ],
    )


@login_required
def portfolio_list(request):
    overview = dashboard.portfolio_overview(user=request.user, as_of=timezone.localdate())
    return render(
        request,
        "portfolio/portfolio_list.html",
        # PMO admins import portfolios from here; portfolio managers import projects from
        # their portfolio's Candidates page (no membership lookup on this page).
        {"overview": overview, "can_onboard": access.is_pmo_admin(request.user)},
    )


@login_required
def portfolio_detail(request, code):
    portfolio = visible_portfolio(request, code)
    board = dashboard.portfolio_dashboard(
        portfolio=portfolio, user=request.user, as_of=requested_as_of(request), params=request.GET
    )
    fmt = exports.requested_format(request)
    if fmt:
        return _projects_download(board, f"projects-{portfolio.code}", fmt)
    trends = selectors.review_trends(portfolio=portfolio)
    review_links = [reverse("reporting:review", args=[review.pk]) for review in trends.reviews]
    return render(
        request,
        "portfolio/portfolio_detail.html",
        {
            "portfolio": portfolio,
            "trends": trends,
            "trend_charts": charts.review_trend_charts(trends, links=review_links),
            "as_of_choices": _review_choices(trends, board.as_of),
            "as_of_review": next(
                (review for review in trends.reviews if review.period_end == board.as_of), None
            ),
            "latest_reviews": selectors.latest_reviews(portfolio=portfolio),
            **access.portfolio_access(request.user, portfolio).as_context(),
            **_dashboard_context(board),
        },
    )


@login_required
def program_detail(request, code, pk):
    program = get_object_or_404(
        Program.objects.visible_to(request.user).select_related("portfolio", "manager"),
        portfolio__code=code,
        pk=pk,
    )
    board = dashboard.program_dashboard(
        program=program, user=request.user, as_of=requested_as_of(request), params=request.GET
    )
    fmt = exports.requested_format(request)
    if fmt:
        return _projects_download(board, f"projects-{program.portfolio.code}-program-{pk}", fmt)
    trends = selectors.review_trends(portfolio=program.portfolio)
    return render(
        request,
        "portfolio/program_detail.html",
        {
            "portfolio": program.portfolio,
            "program": program,
            "as_of_choices": _review_choices(trends, board.as_of),
            **_dashboard_context(board),
        },
    )
