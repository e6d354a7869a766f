from django.contrib import admin, messages

from access_tokens.models import AccessToken
from access_tokens.services import access_token_revoke


@admin.register(AccessToken)
class AccessTokenAdmin(admin.ModelAdmin):
    """Admins see every token (never its secret, which is not stored) and revoke any. Tokens
    are created by their owners only, on the Access tokens page, the one place a new token is
    shown."""

    list_display = [
        "name",
        "user",
        "display_prefix",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username", "user__email"]
    list_select_related = ["user"]
    fields = [
        "user",
        "name",
        "scope",
        "display_prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]
    readonly_fields = fields
    actions = ["revoke"]

    @admin.display(description="Token")
    def display_prefix(self, token):
        return token.display_prefix

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        tokens = list(queryset.filter(revoked_at=None))
        for token in tokens:
            access_token_revoke(token=token, by=request.user)
        self.message_user(request, f"{len(tokens)} token(s) revoked.", messages.SUCCESS)
