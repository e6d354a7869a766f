"""API rate limits (Django REST framework throttles): one budget per access token, and one per
user that the session and all of the user's tokens share. Rates are
`REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]` (set from the environment in config/settings.py);
an empty rate switches that limit off. The counts live in the `throttle` cache (Redis when
REDIS_URL is set), shared by every web process.

DRF's own classes read the rates once, when the module is imported; these read them on each
request, so a test's settings override (or a changed setting) takes effect."""

from django.core.cache import caches
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from access_tokens.models import AccessToken


class _RateFromSettings(SimpleRateThrottle):
    @property
    def cache(self):
        return caches["throttle"]

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AccessTokenRateThrottle(_RateFromSettings):
    """Requests made with one access token."""

    scope = "access_token"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, AccessToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class UserRateThrottle(_RateFromSettings):
    """Requests made by one user, whichever way they authenticated."""

    scope = "user"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None  # refused anyway: every endpoint needs a user
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
