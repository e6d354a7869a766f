"""One HTTP POST of a delivery, with urllib3: a timeout on connecting and on every read,
no redirects followed, no retries here (the Celery task retries with backoff), and the
address connected to checked before a byte is sent (webhooks/addresses.py)."""

from __future__ import annotations

import socket
from dataclasses import dataclass

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NameResolutionError,
    NewConnectionError,
    ReadTimeoutError,
    SSLError,
)

from webhooks import addresses

USER_AGENT = "Slate-Webhooks/1.0"
# How much of a refusing receiver's answer the delivery log keeps.
ANSWER_EXCERPT_CHARS = 200


class BlockedAddress(Exception):
    pass


@dataclass(frozen=True)
class Attempt:
    """What one POST came to: the receiver's status code (None when it never answered) and,
    unless it took the delivery (2xx), why not."""

    status_code: int | None
    error: str = ""

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PeerCheck:
    """Refuse a connection whose peer is not a public address (unless private addresses are
    allowed): checked on the connected socket, so whatever the name resolved to is what is
    judged, and nothing has been sent yet."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        if not addresses.private_addresses_allowed():
            peer = sock.getpeername()[0]
            if not addresses.is_public(peer):
                sock.close()
                raise BlockedAddress(
                    f"Refused: {self.host} is at {peer}, a private, loopback or reserved address."
                )
        return sock


class _CheckedHTTPConnection(_PeerCheck, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_PeerCheck, HTTPSConnection):
    pass


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Attempt:
    """POST `body` to `url`; never raises for what the network or the receiver does."""
    problem = addresses.url_problem(url, resolve=False)
    if problem:
        return Attempt(None, problem)
    parsed = urllib3.util.parse_url(url)
    pool_class = _CheckedHTTPSPool if parsed.scheme == "https" else _CheckedHTTPPool
    pool = pool_class(
        parsed.host,
        parsed.port,
        timeout=urllib3.Timeout(connect=timeout, read=timeout),
        retries=False,
        maxsize=1,
    )
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
    try:
        with pool:
            response = pool.urlopen(
                "POST",
                parsed.request_uri,
                body=body,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=False,
            )
            try:
                excerpt = response.read(ANSWER_EXCERPT_CHARS * 4, decode_content=True)
            except HTTPError:
                excerpt = b""
            finally:
                response.release_conn()
    except BlockedAddress as refused:
        return Attempt(None, str(refused))
    except ReadTimeoutError:
        return Attempt(None, f"No answer within {timeout:g} s.")
    except NameResolutionError:
        return Attempt(None, f"The host {parsed.host} could not be resolved.")
    except ConnectTimeoutError as error:
        if isinstance(error, NewConnectionError):
            return Attempt(None, f"Could not connect to {parsed.host}: {_reason(error)}")
        return Attempt(None, f"Could not connect to {parsed.host} within {timeout:g} s.")
    except SSLError as error:
        return Attempt(None, f"TLS failed: {_reason(error)}")
    except (HTTPError, OSError) as error:
        return Attempt(None, f"The connection failed: {_reason(error)}")
    return _judged(response, excerpt)


def _reason(error: Exception) -> str:
    text = str(error)
    # urllib3 prefixes the connection object's repr: keep what the OS said
    return text.split(": ", 1)[-1][:300] if ": " in text else text[:300]


def _judged(response, excerpt: bytes) -> Attempt:
    code = response.status
    if 200 <= code < 300:
        return Attempt(code)
    if 300 <= code < 400:
        where = response.headers.get("Location", "")
        return Attempt(code, f"HTTP {code}: redirected to {where[:200]} (not followed).")
    answer = " ".join(excerpt.decode("utf-8", "replace").split())[:ANSWER_EXCERPT_CHARS]
    return Attempt(code, f"HTTP {code}" + (f": {answer}" if answer else ""))
