"""A real HTTP receiver on 127.0.0.1 (http.server in a thread) that answers as a test scripts
it, and the settings the webhook tests run with: Celery in-process whatever the broker (CI
sets REDIS_URL), private addresses allowed (the receiver is on loopback), no backoff and a
short timeout."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core import events
from webhooks import services


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived


@dataclass
class Receiver:
    """Answers each POST with the next scripted answer (an HTTP status, or "hang": sleep
    past the client's timeout), then with `default`; records every request."""

    url: str = ""
    script: list = field(default_factory=list)
    default: int | str = 200
    hang_seconds: float = 3.0
    requests: list[Received] = field(default_factory=list)
    answered: list[int | str] = field(default_factory=list)

    def next_answer(self):
        return self.script.pop(0) if self.script else self.default


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            receiver.requests.append(
                Received(self.path, dict(self.headers.items()), body, time.monotonic())
            )
            answer = receiver.next_answer()
            receiver.answered.append(answer)
            if answer == "hang":
                time.sleep(receiver.hang_seconds)
                return
            if isinstance(answer, tuple):  # (status, headers)
                answer, headers = answer
            else:
                headers = {}
            self.send_response(answer)
            for name, value in headers.items():
                self.send_header(name, value)
            payload = b"" if answer < 300 else f"receiver says {answer}".encode()
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def receiver():
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/slate"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.SLATE_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.SLATE_WEBHOOK_BACKOFF_SECONDS = 0
    settings.SLATE_WEBHOOK_TIMEOUT_SECONDS = 0.5
    settings.SLATE_WEBHOOK_MAX_ATTEMPTS = 6
    return settings


@pytest.fixture
def published():
    """Every event published while the test runs, in order (a listener beside webhooks')."""
    seen: list[events.Event] = []
    events.listen(seen.append)
    yield seen
    events.unlisten(seen.append)


@pytest.fixture
def subscribe(pmo_admin):
    """subscribe(portfolio, url, events=every event) -> a subscription, through the service."""

    def make(portfolio, url, names=None, **data):
        return services.subscription_create(
            portfolio=portfolio,
            data={"url": url, "events": list(names or events.EVENTS), "is_active": True, **data},
            by=pmo_admin,
        )

    return make
