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


# Ranges that are never dialled, whatever a deployment allows: link-local (cloud metadata services live there),
# the unspecified and broadcast addresses, multicast, and the metadata addresses outside link-local.
NEVER_ALLOWED = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",
        "169.254.0.0/16",
        "224.0.0.0/4",
        "255.255.255.255/32",
        "100.100.100.200/32",  # Alibaba Cloud metadata
        "::/128",
        "fe80::/10",
        "ff00::/8",
        "fd00:ec2::254/128",  # AWS metadata over IPv6
    )
)

# Not routable on the public internet although Python's `is_global` says otherwise: the IANA special-purpose
# registries (IPv4 and IPv6) with "globally reachable = False", deprecated site-local IPv6, and prefixes whose
# traffic ends at a translator or a local segment.
NON_PUBLIC = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.31.196.0/24",
        "192.52.193.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "192.175.48.0/24",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "240.0.0.0/4",
        "::/96",  # IPv4-compatible (deprecated) and the unspecified address
        "::ffff:0:0/96",
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
        "2002::/16",
        "3fff::/20",
        "5f00::/16",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
    )
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address carried inside an IPv6 one (mapped, 6to4, Teredo client, NAT64), if any."""
    if ip.ipv4_mapped or ip.sixtofour:
        return ip.ipv4_mapped or ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _addresses(address: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The address itself and any IPv4 address embedded in it: each is judged."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return [ip, embedded]
    return [ip]


def is_never_allowed(address: str) -> bool:
    """True for link-local, metadata, unspecified, broadcast and multicast addresses (in any embedding)."""
    return any(ip in net for ip in _addresses(address) for net in NEVER_ALLOWED if ip.version == net.version)


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address; an IPv6 address that carries an IPv4 one (mapped, 6to4,
    Teredo, NAT64) is judged by that IPv4 address."""
    ip = _addresses(address)[-1]
    if not ip.is_global or ip.is_multicast or ip.is_reserved:
        return False
    return not any(ip in net for net in NON_PUBLIC if ip.version == net.version)


def parse_private_allowlist(text: str, source: str = "NEWSMON_PRIVATE_ALLOWLIST") -> tuple[str, ...]:
    """Parse 'ADDRESS[/PREFIX], …' into normalized network strings; refuse never-allowed ranges by name."""
    networks = []
    for entry in text.replace(",", " ").split():
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(
                f"{source}: {entry[:100]!r} is not an IP address or network "
                "(write e.g. 127.0.0.1/32 or 10.2.0.0/16; host names are not accepted)"
            ) from None
        for forbidden in NEVER_ALLOWED:
            if network.version == forbidden.version and network.overlaps(forbidden):
                raise ValueError(
                    f"{source}: {network} overlaps {forbidden}, which can never be allowed "
                    "(link-local, metadata, unspecified or multicast addresses)"
                )
        networks.append(str(network))
    return tuple(dict.fromkeys(networks))


def narrow_private_allowlist(allowed: tuple[str, ...], requested: str, source: str) -> tuple[str, ...]:
    """Networks `requested` by a run, each of which must lie inside the deployment's `allowed` list."""
    wanted = parse_private_allowlist(requested, source)
    deployment = [ipaddress.ip_network(net) for net in allowed]
    for net in map(ipaddress.ip_network, wanted):
        if not any(
            net.version == d.version and net.subnet_of(d)  # type: ignore[arg-type]  # typeshed's Self: versions checked
            for d in deployment
        ):
            raise ValueError(
                f"{source}: {net} is not inside the deployment's NEWSMON_PRIVATE_ALLOWLIST "
                f"({', '.join(allowed) or 'empty'}); a run can only narrow what the deployment allows"
            )
    return wanted


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

    def __init__(self, private_allowlist: tuple[str, ...] = ()):
        self.private_networks = tuple(ipaddress.ip_network(net) for net in private_allowlist)

    def allowed(self, address: str) -> bool:
        """Public addresses, and non-public ones inside the allowlist; never link-local or metadata ones."""
        if is_never_allowed(address):
            return False
        if is_public_address(address):
            return True
        ip = _addresses(address)[-1]
        return any(ip.version == net.version and ip in net for net in self.private_networks)

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
        raise last_error


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
