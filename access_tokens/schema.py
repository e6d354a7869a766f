"""The Bearer scheme in the OpenAPI schema (drf-spectacular): Swagger UI's "Authorize" button
takes a token, and every operation lists it beside the browser session."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "access_tokens.authentication.BearerTokenAuthentication"
    name = "accessToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "slate_<prefix>_<secret>",
            "description": (
                "A personal access token, created on the Access tokens page (user menu) and "
                "sent as `Authorization: Bearer <token>`. It acts as its owner, with the "
                "owner's permissions; a read-only token may only GET. Expired or revoked "
                "tokens get 401."
            ),
        }
