"""The REST API of people, roles, leave and allocations (with the allocation decisions and
conflict resolutions). `config/urls.py` merges `resources.api.urls.router` into the one /api/
router."""
