"""The PMO's audit page: who changed roles, decided gates, committed scenarios, overrode
allocations, and which logins failed, in one list, newest first."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from core import access
from core.views import paginate
from reporting import selectors


@login_required
def audit(request):
    """PMO admins see every portfolio and the failed logins; PMO and portfolio managers see
    their own portfolios. Filters: `kind`, `portfolio` (a code)."""
    access.require(access.can_audit(request.user))
    portfolios = selectors.audited_portfolios(user=request.user)
    kind = request.GET.get("kind", "")
    kind = kind if kind in selectors.AuditKind.values else ""
    code = request.GET.get("portfolio", "")
    portfolio = next((p for p in portfolios if p.code == code), None) if code else None
    trail = selectors.audit_trail(user=request.user, kind=kind, portfolio=portfolio)
    return render(
        request,
        "reporting/audit.html",
        {
            "page_obj": paginate(request, trail),
            "kinds": selectors.AuditKind.choices,
            "kind": kind,
            "portfolios": portfolios,
            "portfolio": portfolio,
            "sees_logins": access.is_pmo_admin(request.user),
        },
    )
