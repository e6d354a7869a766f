"""Where Slate may send a webhook: http(s) URLs only and, unless
settings.SLATE_WEBHOOK_ALLOW_PRIVATE_ADDRESSES (the default only when DEBUG is on), only to
public addresses, so a subscription cannot make Slate's server call its own network
(server-side request forgery: the database, the cloud's metadata service, an admin port).

The URL is checked when it is saved (a clear field error), and the address actually
connected to is checked again before anything is sent (webhooks/sending.py), so a name that
later resolves elsewhere (DNS rebinding) is refused too.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

SCHEMES = ("http", "https")


def private_addresses_allowed() -> bool:
    return settings.SLATE_WEBHOOK_ALLOW_PRIVATE_ADDRESSES


def is_public(address: str) -> bool:
    """A globally routable unicast address (not loopback, private, link-local, carrier-grade
    NAT, documentation, reserved or multicast)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone id is no part of it
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _resolved(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


def url_problem(url: str, *, resolve: bool = True) -> str | None:
    """Why Slate refuses to send to `url`, or None. Without `resolve` the host name is not
    looked up (the sender checks the address it connects to instead)."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "Enter a valid URL."
    if parts.scheme not in SCHEMES:
        return "Webhooks are sent over http:// or https:// only."
    if not parts.hostname:
        return "The URL has no host."
    if parts.username or parts.password:
        return (
            "Put no user name or password in the URL: the signature tells the receiver that "
            "the delivery is from Slate."
        )
    if private_addresses_allowed() or not resolve:
        return None
    try:
        addresses = _resolved(parts.hostname, port)
    except (OSError, UnicodeError):
        return f"The host {parts.hostname} could not be resolved."
    refused = [address for address in addresses if not is_public(address)]
    if refused:
        return (
            f"{parts.hostname} is a private, loopback or reserved address ({', '.join(refused)}): "
            "Slate sends webhooks to public addresses only."
        )
    return None
