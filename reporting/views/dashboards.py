"""The dashboards: the overview (home page), the portfolio dashboard and the program page.
Their URL names are the portfolio app's (`portfolio:list`, `portfolio:detail`,
`portfolio:program`, see config/urls.py). Thin: look the object up through `visible_to` (an
invisible object is a 404), call one selector of `reporting.dashboard`, render."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

import charts
from core import access
from core.bounds import parse_date_param
from portfolio.models import Program
from portfolio.shortcuts import visible_portfolio
from projects.querysets import Stage
from reporting import dashboard, selectors


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


def requested_as_of(request):
    """`?as_of=YYYY-MM-DD` (e.g. a stored review's period end), never after today."""
    today = timezone.localdate()
    return min(parse_date_param(request.GET.get("as_of")) or today, today)


@login_required
def portfolio_list(request):
    overview = dashboard.portfolio_overview(user=request.user, as_of=timezone.localdate())
    return render(request, "portfolio/portfolio_list.html", {"overview": overview})


@login_required
def portfolio_detail(request, code):
    portfolio = visible_portfolio(request, code)
    board = dashboard.portfolio_dashboard(
        portfolio=portfolio, user=request.user, as_of=requested_as_of(request), params=request.GET
    )
    trends = selectors.review_trends(portfolio=portfolio)
    return render(
        request,
        "portfolio/portfolio_detail.html",
        {
            "portfolio": portfolio,
            "trends": trends,
            "trend_charts": charts.review_trend_charts(trends),
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
    return render(
        request,
        "portfolio/program_detail.html",
        {"portfolio": program.portfolio, "program": program, **_dashboard_context(board)},
    )
