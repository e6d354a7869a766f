"""Request plumbing that is not a domain rule: the Permissions-Policy header, and the client
address the login throttle (django-axes) counts failures by."""

from django.conf import settings


class PermissionsPolicyMiddleware:
    """Every response says which browser features its page may use (settings.PERMISSIONS_POLICY):
    Slate uses none of camera, microphone, location or payment."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def client_ip(request) -> str:
    """The address a request came from. Behind a proxy (settings.BEHIND_PROXY) that is the last
    address in X-Forwarded-For, the one our proxy appended; the entries before it are whatever
    the client sent. Without a proxy it is the socket's address."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.BEHIND_PROXY and forwarded:
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")
