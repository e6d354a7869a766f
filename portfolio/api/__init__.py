"""Slate's REST API below the reporting layer: risks, and projects' cost entries and status
reports; the endpoints that serve KPIs (portfolios, projects) are in `reporting.api`.
`config/urls.py` puts both under /api/ in one router. Viewsets are thin: they start from
`visible_to(user)`, read through the same selectors as the pages and write through the
services.

The OpenAPI schema is served at /api/schema/ (drf-spectacular), and read in Swagger UI
(/api/docs/) and Redoc (/api/redoc/) from drf-spectacular-sidecar's files: nothing from a CDN.
Clients authenticate with the browser's session or a personal access token (access_tokens).
"""
