"""Where a webhook may go: https only, public addresses only, and to exactly the address that was checked.

A subscriber chooses the URL, so without these checks the delivery log would show what answers on our
own network (127.0.0.1, the cloud's metadata service at 169.254.169.254, a database on 10.x). The name
is resolved once, every address it resolves to is checked, and the connection goes to that checked
address, with the Host header, TLS SNI and the certificate check still naming the host: a DNS answer
that changes between the check and the connect (rebinding) cannot send the request elsewhere.
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
DEFAULT_PORTS = {"https": 443, "http": 80}
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# The checks of `ipaddress`, in the order their names are reported.
REFUSED_KINDS = ("unspecified", "loopback", "link_local", "multicast", "reserved", "private", "site_local")


class TargetRefused(Exception):
    """The URL may not receive webhooks (scheme, address or form): asking again cannot help."""


class TargetUnresolved(Exception):
    """The host name does not resolve now; it may later."""


@dataclass(frozen=True)
class WebhookTarget:
    scheme: str
    host: str
    port: int
    path: str
    # The checked IP addresses the connection goes to (the first that answers, in the resolver's order).
    addresses: tuple[str, ...]

    def connection(self, *, timeout: float) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return PinnedHTTPSConnection(self.host, self.port, addresses=self.addresses, timeout=timeout)
        return PinnedHTTPConnection(self.host, self.port, addresses=self.addresses, timeout=timeout)


def _connect(addresses: tuple[str, ...], port: int, timeout: float) -> socket.socket:
    """The first of the checked addresses that accepts, as socket.create_connection does for a name."""
    error: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as exc:
            error = exc
    raise error or OSError("no address to connect to")


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked `addresses`, whatever `host` resolves to by now; the Host header names `host`."""

    def __init__(self, host: str, port: int, *, addresses: tuple[str, ...], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.addresses = addresses

    def connect(self) -> None:
        self.sock = _connect(self.addresses, self.port, self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As PinnedHTTPConnection, over TLS whose SNI and certificate check name `host`, not the address."""

    def __init__(self, host: str, port: int, *, addresses: tuple[str, ...], timeout: float) -> None:
        self.tls = tls_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.addresses = addresses

    def connect(self) -> None:
        sock = _connect(self.addresses, self.port, self.timeout)
        try:
            self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def tls_context() -> ssl.SSLContext:
    """The system's CAs, certificate and host name checked (the tests trust their own CA here)."""
    return ssl.create_default_context()


def webhook_target(*, url: str) -> WebhookTarget:
    """The checked target of `url`; raises TargetRefused, or TargetUnresolved when the name does not resolve."""
    options = settings.NOTIFICATIONS
    if any(ord(char) <= 32 or ord(char) == 127 for char in url):
        raise TargetRefused("bad URL: it contains spaces or control characters")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if options["WEBHOOK_ALLOW_HTTP"] else ("https",)
    if scheme not in allowed:
        raise TargetRefused(f"only {' or '.join(allowed)} URLs may receive webhooks")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError as exc:
        raise TargetRefused(f"bad URL: {exc}") from exc
    host = parts.hostname
    if not host:
        raise TargetRefused("bad URL: no host")
    addresses = _resolve(host, port)
    if not options["WEBHOOK_ALLOW_PRIVATE"]:
        for address in addresses:
            if (kind := address_refusal(address)) is not None:
                shown = host if _is_literal(host, address) else f"{host} ({address})"
                article = "an" if kind[0] in "aeiou" else "a"
                raise TargetRefused(f"{shown} is {article} {kind} address: webhooks go to public addresses only")
    path = parts.path or "/"
    return WebhookTarget(scheme=scheme, host=host, port=port, path=f"{path}?{parts.query}" if parts.query else path,
                         addresses=tuple(dict.fromkeys(str(address) for address in addresses)))


def address_refusal(address: IPAddress) -> str | None:
    """Why `address` may not receive webhooks ("loopback", "private", ...), or None for a public one.

    An IPv6 address that carries an IPv4 one (::ffff:127.0.0.1, NAT64, 6to4) is judged by that one too.
    """
    candidates: list[IPAddress] = []
    if isinstance(address, ipaddress.IPv6Address):  # the IPv4 address first: it names the real kind
        if address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)
        if address.sixtofour is not None:
            candidates.append(address.sixtofour)
        if address in NAT64:
            candidates.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    candidates.append(address)
    for candidate in candidates:
        for kind in REFUSED_KINDS:
            if getattr(candidate, f"is_{kind}", False):
                return kind.replace("_", "-")
        if not candidate.is_global:  # e.g. 100.64.0.0/10, shared by carriers' NATs
            return "non-global"
    return None


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except UnicodeError as exc:  # not a name IDNA can encode
        raise TargetRefused(f"bad host name: {exc}") from exc
    except socket.gaierror as exc:
        raise TargetUnresolved(f"{host} does not resolve: {exc}") from exc
    addresses = []
    for family, *_, sockaddr in answers:
        if family in (socket.AF_INET, socket.AF_INET6):
            addresses.append(ipaddress.ip_address(sockaddr[0]))
    if not addresses:
        raise TargetUnresolved(f"{host} has no IPv4 or IPv6 address")
    return addresses


def _is_literal(host: str, address: IPAddress) -> bool:
    """The URL named the address itself (::ffff:127.0.0.1 and ::ffff:7f00:1 alike)."""
    try:
        return ipaddress.ip_address(host) == address
    except ValueError:
        return False
