"""Slate's REST API below the reporting layer: risks, and projects' cost entries and status
reports; the endpoints that serve KPIs (portfolios, projects) are in `reporting.api`.
`config/urls.py` puts both under /api/ in one router. Viewsets are thin: they start from
`visible_to(user)`, read through the same selectors as the pages and write through the
services.

The OpenAPI schema is served at /api/schema/ (drf-spectacular). There is deliberately no
Swagger UI or Redoc page: they load their assets from a CDN and Slate serves nothing from one.
"""
