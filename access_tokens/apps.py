from django.apps import AppConfig


class AccessTokensConfig(AppConfig):
    name = "access_tokens"
    verbose_name = "Access tokens"

    def ready(self):
        # drf-spectacular finds the Bearer scheme's description by subclass registration.
        from access_tokens import schema  # noqa: F401
