"""A portfolio's view across its projects: the status reports missing this period, the
dependency graph and the portfolio risk register.

Thin: look the portfolio up through `visible_to` (404 when invisible), call the selectors of
the app that owns the rows, render."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

import charts
from core import access, exports
from core.views import paginate
from portfolio.shortcuts import visible_portfolio
from projects import dependencies
from projects import selectors as project_selectors
from risks import selectors as risk_selectors
from risks.exports import risk_register_table
from risks.views import HEAT_MAP_LINK


@login_required
def missing_reports(request, code):
    portfolio = visible_portfolio(request, code)
    known = access.portfolio_access(request.user, portfolio)  # also draws the tab bar
    access.require(
        known.can_manage,
        "Only the portfolio's PMO and portfolio managers see missing reports.",
    )
    today = timezone.localdate()
    missing = project_selectors.missing_reports(portfolio=portfolio, today=today)
    page_obj = paginate(request, missing.projects)
    rows = project_selectors.missing_report_rows(
        page_obj.object_list, kind=portfolio.reporting_period, today=today
    )
    return render(
        request,
        "portfolio/missing_reports.html",
        {
            "portfolio": portfolio,
            "portfolio_access": known,
            "missing": missing,
            "page_obj": page_obj,
            "rows": rows,
            "today": today,
        },
    )


@login_required
def dependency_graph(request, code):
    portfolio = visible_portfolio(request, code)
    rows = dependencies.dependency_rows(
        dependencies.portfolio_dependencies(portfolio=portfolio, user=request.user)
    )
    edges = dependencies.dependency_edges(rows)
    return render(
        request,
        "portfolio/dependencies.html",
        {
            "portfolio": portfolio,
            "rows": rows,
            "late_count": sum(1 for row in rows if row.dependency.is_late),
            "chart": charts.dependency_chart(edges, layers=dependencies.dependency_layers(edges)),
        },
    )


def _cell_link(filters: risk_selectors.PortfolioRegisterFilters) -> str:
    """A heat-map cell opens its open risks under the level and program filters in use."""
    kept = {}
    if filters.level != risk_selectors.DEFAULT_LEVEL:
        kept["level"] = filters.level
    if filters.program:
        kept["program"] = filters.program
    return "?" + (urlencode(kept) + "&" if kept else "") + HEAT_MAP_LINK[1:]


@login_required
def risk_register(request, code):
    portfolio = visible_portfolio(request, code)
    register = risk_selectors.portfolio_risk_register(
        portfolio=portfolio, user=request.user, filters=request.GET
    )
    fmt = exports.requested_format(request)
    if fmt:
        table = risk_register_table(
            register.risks,
            filename=f"risks-{portfolio.code}",
            title=f"Risks {portfolio.code}",
            threatened=True,
        )
        return exports.table_response(table, fmt)
    return render(
        request,
        "risks/portfolio_register.html",
        {
            "portfolio": portfolio,
            "currency": portfolio.currency,
            "register": register,
            "filters": register.filters,
            "page_obj": Paginator(register.risks, settings.SLATE_PAGE_SIZE).get_page(
                request.GET.get("page")
            ),
            "status_choices": risk_selectors.STATUS_CHOICES,
            "level_choices": risk_selectors.LEVEL_CHOICES,
            "heat_map": charts.risk_heat_map(
                register.heat_map_cells,
                bands=risk_selectors.heat_map_bands(),
                link_template=_cell_link(register.filters),
            ),
        },
    )
