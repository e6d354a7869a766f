import hmac

from access_tokens.models import TOKEN_PREFIX, AccessToken, token_digest


def access_token_named(token: str) -> AccessToken | None:
    """The token row `token` (as a client sends it) belongs to, when its secret matches; None
    for anything else. Revoked and expired tokens are returned too: the caller says which it
    is, so the client learns why it was refused."""
    label, _, rest = token.partition("_")
    prefix, _, secret = rest.partition("_")
    if label != TOKEN_PREFIX or not prefix or not secret:
        return None
    found = AccessToken.objects.select_related("user").filter(prefix=prefix).first()
    if found is None or not hmac.compare_digest(found.digest, token_digest(token)):
        return None
    return found


def access_tokens_of(*, user):
    """`user`'s tokens, newest first: the token page lists these and nobody else's."""
    return AccessToken.objects.of_user(user)
