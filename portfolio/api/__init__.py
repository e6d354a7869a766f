"""Slate's REST API, one module for the whole app (portfolios, projects, their costs and
status reports, risks): the API is small, so it lives here rather than in an `api/` package
per app. Viewsets are thin (STYLE.md §6): they start from `visible_to(user)`, read through
the same selectors and `reporting.kpis` as the pages and write through the services.

The OpenAPI schema is served at /api/schema/ (drf-spectacular). There is deliberately no
Swagger UI or Redoc page: they load their assets from a CDN and Slate serves nothing from one.
"""
