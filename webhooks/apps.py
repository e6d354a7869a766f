from django.apps import AppConfig
from django.utils.module_loading import import_string

from core import events


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        # The listener's module reads models, so it is loaded now that they are ready (by
        # name: a first-party import is never written inside a function, tests/
        # test_architecture.py).
        events.listen(import_string("webhooks.services.event_published"))
