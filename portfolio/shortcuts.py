"""Fetch the portfolio a view is about, or answer 404 (as django.shortcuts does)."""

from django.shortcuts import get_object_or_404

from portfolio.models import Portfolio


def visible_portfolio(request, code) -> Portfolio:
    """The portfolio if the user may see it, else 404."""
    return get_object_or_404(Portfolio.objects.visible_to(request.user), code=code)
