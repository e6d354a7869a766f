"""Reusable filters for the portfolio domain; visibility comes from core.access."""

from django.db import models

from core import access


class PortfolioQuerySet(models.QuerySet):
    def visible_to(self, user):
        return access.filter_visible(self, user, portfolio_field="")


class PortfolioScopedQuerySet(models.QuerySet):
    """For models that hang off a portfolio through a `portfolio` foreign key."""

    def visible_to(self, user):
        return access.filter_visible(self, user, portfolio_field="portfolio")
