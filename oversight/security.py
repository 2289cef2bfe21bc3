"""Request facts the security settings need, and the middleware that guards them.

Forwarded headers (X-Forwarded-For, X-Forwarded-Proto, ...) say what a proxy saw; anyone else who
sends them is lying. They count only when the connection comes from an address in TRUSTED_PROXIES
(OVERSIGHT_TRUSTED_PROXIES, empty by default: trust none). Otherwise a client that reaches gunicorn
directly could pick its own address for django-axes' lockout and the login log, or pass as HTTPS.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse, HttpResponseBadRequest

FORWARDED_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_FORWARDED",
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def proxy_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or networks (`127.0.0.1`, `10.0.0.0/8`, `::1`); ImproperlyConfigured names a bad one."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"OVERSIGHT_TRUSTED_PROXIES: {value!r} is not an IP address or network "
                "(e.g. 127.0.0.1, 10.0.0.0/8)."
            ) from None
    return tuple(networks)


@lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    return proxy_networks(values)


def _address(value: str | None):
    try:
        return ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None


def is_trusted_proxy(address: str | None) -> bool:
    ip = _address(address)
    if ip is None:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()))))


def client_ip(request) -> str | None:
    """The client's address, for django-axes' per-address lockout and its access log.

    The connection's own address, unless it comes from a trusted proxy: then X-Forwarded-For is read
    from the right (each proxy appends what it saw), skipping trusted proxies, and the first address
    that is not one is the client. Entries further left were written by the client and never count.
    """
    remote = request.META.get("REMOTE_ADDR")
    if not is_trusted_proxy(remote):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    reporter = remote
    for hop in reversed(hops):
        if _address(hop) is None:
            return reporter  # junk where a proxy should have written an address: the last sure one
        if not is_trusted_proxy(hop):
            return hop
        reporter = hop
    return reporter


class TrustedProxyMiddleware:
    """First in MIDDLEWARE: forwarded headers from anyone but a trusted proxy are dropped before Django
    (SECURE_PROXY_SSL_HEADER, is_secure(), redirects) or django-axes reads them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR")):
            for header in FORWARDED_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)


class RequestBoundsMiddleware:
    """Refuses, before any view reads them, a body larger than REQUEST_BODY_MAX_BYTES (413) and a NUL
    byte in the query string (400): no page has a use for one, and PostgreSQL refuses it in text."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponseBadRequest(
                "The Content-Length header is not a number.", content_type="text/plain"
            )
        limit = settings.REQUEST_BODY_MAX_BYTES
        if length > limit:
            return HttpResponse(
                f"The request is larger than {limit // 2**20} MiB: refused.",
                status=413,
                content_type="text/plain",
            )
        if "\x00" in request.META.get("QUERY_STRING", "") or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            return HttpResponseBadRequest(
                "The query string holds a NUL byte (%00): refused.", content_type="text/plain"
            )
        return self.get_response(request)
