"""Safety at the network boundary: which URLs may be fetched and which addresses may be dialled.

The check runs on the address actually connected to (inside the HTTP client's network backend), so every
redirect hop is covered and a DNS answer cannot change between the check and the connection.
"""
from __future__ import annotations

import contextvars
import ipaddress
import socket
import time
from urllib.parse import urlsplit

import httpcore

ALLOWED_SCHEMES = ("http", "https")
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("newsmon_deadline", default=None)


class RefusedURL(Exception):
    """A URL or the address it resolves to is not allowed; the message says why."""


def check_url(url: str) -> str:
    """Return the URL if its scheme and host are acceptable; raise RefusedURL otherwise."""
    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:
        raise RefusedURL(f"unparseable URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise RefusedURL(f"scheme {scheme or '(none)'}: is not allowed; only http and https are fetched")
    if not parts.hostname:
        raise RefusedURL("URL has no host")
    return url.strip()


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address (IPv4-mapped IPv6 is judged by its IPv4 part)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            ip = embedded
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


class DeadlineStream(httpcore.NetworkStream):
    """Wraps a socket stream so that no read or write outlives the current request's total deadline."""

    def __init__(self, inner: httpcore.NetworkStream):
        self._inner = inner

    @staticmethod
    def _budget(timeout: float | None, error: type[Exception]) -> float | None:
        deadline = _deadline.get()
        if deadline is None:
            return timeout
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise error("total deadline exceeded")
        return remaining if timeout is None else min(timeout, remaining)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._budget(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._budget(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        tls = self._inner.start_tls(ssl_context, server_hostname, self._budget(timeout, httpcore.ConnectTimeout))
        return DeadlineStream(tls)

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.SyncBackend):
    """Resolves the host itself, refuses internal addresses, and dials the checked address directly."""

    def __init__(self, allow_private_hosts: bool = False, allowlist: tuple[str, ...] = ()):
        self.allow_private_hosts = allow_private_hosts
        self.allowlist = frozenset(allowlist)

    def allowed(self, address: str) -> bool:
        return self.allow_private_hosts or address in self.allowlist or is_public_address(address)

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        timeout = DeadlineStream._budget(timeout, httpcore.ConnectTimeout)
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc.strerror}") from None
        addresses = [info[4][0] for info in infos]
        allowed = [a for a in addresses if self.allowed(a)]
        if not allowed:
            raise RefusedURL(f"{host} resolves to a non-public address ({addresses[0]}); refused")
        last_error: Exception | None = None
        for address in dict.fromkeys(allowed):
            try:
                stream = super().connect_tcp(address, port, timeout, local_address, socket_options)
                return DeadlineStream(stream)
            except httpcore.ConnectError as exc:
                last_error = exc
        raise last_error  # type: ignore[misc]


class request_deadline:
    """Context manager that sets the total deadline (in seconds from now) for requests in this context."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def __enter__(self):
        self.deadline = time.monotonic() + self.seconds
        self._token = _deadline.set(self.deadline)
        return self

    def __exit__(self, *exc):
        _deadline.reset(self._token)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()
