"""The REST API of webhook subscriptions; `config/urls.py` merges `webhooks.api.urls.router`
into the one /api/ router."""
