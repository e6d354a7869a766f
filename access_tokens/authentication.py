"""`Authorization: Bearer <token>` for the API (Django REST framework).

A token acts as its owner: the request's user is the token's user, so every viewset's
`visible_to` / `editable_by` and every service's permission check applies unchanged. A
read-only token is refused here, before any view runs, on anything but GET, HEAD and OPTIONS,
so no view can forget the check (a view's own `permission_classes` would replace a default
permission class, not add to it)."""

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS

from access_tokens import selectors, services

KEYWORD = "Bearer"


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None  # not ours: the session may still authenticate the request
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the token as 'Authorization: Bearer <token>', with no space in the token."
            )
        try:
            token = selectors.access_token_named(parts[1].decode("ascii"))
        except UnicodeDecodeError:
            token = None
        if token is None:
            raise exceptions.AuthenticationFailed("Unknown access token.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This access token has been revoked.")
        if token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed(
                f"This access token expired on {timezone.localtime(token.expires_at):%Y-%m-%d}."
            )
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's user account is disabled.")
        if token.is_read_only and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied(
                f"This access token is read-only: it may only read (GET, HEAD, OPTIONS), not "
                f"{request.method}. Create a read-and-write token to make changes."
            )
        services.access_token_record_use(token=token)
        return token.user, token

    def authenticate_header(self, request):
        # Makes an unauthenticated API request a 401 that names the scheme, not a bare 403.
        return f'{KEYWORD} realm="api"'
