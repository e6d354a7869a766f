"""The API endpoints that serve KPIs: portfolios (with their roll-up) and projects (with their
EVM figures and health). They live here, above `portfolio`, because they read
`reporting.kpis`; `config/urls.py` registers them under /api/ in the same router as
`portfolio.api`'s endpoints, so the paths, the API root and the OpenAPI schema are one."""
