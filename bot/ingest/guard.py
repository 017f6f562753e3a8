"""Network guard (SSRF): resolve every host ourselves and connect only to public addresses.

The check happens in the httpcore network backend at connect time, on the very address used,
so redirects, DNS names pointing inward and DNS rebinding are all covered.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import typing

import httpcore
import httpx

from bot.config import FetchSettings
from bot.ingest import FetchError, plain_error

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def refusal_reason(address: str | IPAddress) -> str | None:
    """Why this address must not be contacted, or None when it is a public (global) address."""
    try:
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    except ValueError:
        return f"{address} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            inner = refusal_reason(ip.ipv4_mapped)
            return f"{ip} is an IPv4-mapped address ({inner})" if inner else None
        embedded = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            inner = refusal_reason(embedded)
            if inner:
                return f"{ip} embeds an inward IPv4 address ({inner})"
    if ip in _METADATA:
        return f"{ip} is a cloud metadata address"
    checks: tuple[tuple[bool, str], ...] = (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "a shared (CGNAT) address"),
        (isinstance(ip, ipaddress.IPv6Address) and ip in ipaddress.ip_network("fc00::/7"),
         "a unique-local (private) IPv6 address"),
        (ip.is_reserved, "a reserved address"),
        (ip.is_private, "a private address"),
        (not ip.is_global, "not a public address"),
    )
    for hit, why in checks:
        if hit:
            return f"{ip} is {why}"
    return None


async def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to (tests replace this to simulate DNS)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        addr = str(info[4][0]).split("%", 1)[0]
        if addr not in seen:
            seen.append(addr)
    return seen


def _named(host: str, address: str, why: str) -> str:
    """The refusal of a name by its address: "intranet.example resolves to 10.0.0.1, a private
    address" (`why` is refusal_reason's "10.0.0.1 is a private address")."""
    try:  # refusal_reason names the address in its canonical form ("::ffff:7f00:1")
        address = str(ipaddress.ip_address(address))
    except ValueError:
        pass
    rest = why.removeprefix(f"{address} ")
    if rest == why:
        return f"{host} resolves to {why}"
    return f"{host} resolves to {address}, " + (rest[3:] if rest.startswith("is ") else f"which {rest}")


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore backend that refuses non-public addresses and connects to the checked IP."""

    def __init__(
        self,
        inner: httpcore.AsyncNetworkBackend | None = None,
        exempt: frozenset[tuple[str, int]] = frozenset(),
    ) -> None:
        self._inner = inner or httpcore.AnyIOBackend()
        self._exempt = exempt  # exact (ip, port) pairs let through: tests' own local servers

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        host = host.strip("[]")
        try:
            addresses = await asyncio.wait_for(resolve(host, port), timeout)
        except (OSError, TimeoutError) as exc:
            raise FetchError(f"could not resolve {host}: {plain_error(exc)}") from exc
        if not addresses:
            raise FetchError(f"could not resolve {host}")
        for address in addresses:
            why = None if (address, port) in self._exempt else refusal_reason(address)
            if why:
                shown = why if address == host else _named(host, address, why)
                log.warning("guard refused host=%s address=%s reason=%s", host, address, why)
                raise FetchError(f"refused: {shown}")
        return await self._inner.connect_tcp(
            addresses[0], port, timeout=timeout, local_address=local_address,
            socket_options=socket_options,
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise FetchError("refused: unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx transport whose connection pool dials through GuardedBackend."""

    def __init__(self, exempt: frozenset[tuple[str, int]] = frozenset()) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(exempt=exempt),
        )


def make_client(
    fetch: FetchSettings, *, exempt: frozenset[tuple[str, int]] = frozenset()
) -> httpx.AsyncClient:
    """An httpx client for untrusted URLs: guarded unless allow_private_addresses, no auto
    redirects (fetch_url follows them by hand), no proxies from the environment. `exempt`
    lets exact (ip, port) pairs through the guard (tests point it at their local server)."""
    transport: httpx.AsyncBaseTransport = (
        httpx.AsyncHTTPTransport(trust_env=False)
        if fetch.allow_private_addresses
        else GuardedTransport(exempt)
    )
    return httpx.AsyncClient(
        transport=transport,
        follow_redirects=False,
        trust_env=False,
        timeout=httpx.Timeout(fetch.timeout_seconds),
        headers={"User-Agent": fetch.user_agent, "Accept-Encoding": "gzip, deflate"},
        limits=httpx.Limits(max_connections=max(fetch.concurrency * 2, 10)),
    )
