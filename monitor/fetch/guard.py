"""The connect-time address guard: an httpcore network backend that resolves, checks, connects.

Network I/O (DNS and TCP connects). Every TCP connection the fetcher opens goes through
`GuardedBackend.connect_tcp`, which

1. resolves the host once with the injected resolver (IP literals are used as they are),
2. refuses the connection if ANY resolved address is not allowed by the `AddressPolicy`
   (mixed public/private answers are refused as a whole), and
3. connects to one of exactly those checked addresses, so a second DNS answer (rebinding)
   can never change where the socket goes.

httpcore then wraps the socket in TLS itself with ``server_hostname`` set to the URL's host
(``AsyncHTTPConnection._connect`` passes ``sni_hostname or origin.host``), so certificates are
still verified against the name, not the IP address we connected to.

Failures are raised as `FetchFailure` (BLOCKED_ADDRESS, DNS); httpx passes exceptions it does
not know through unchanged. Connect errors and timeouts stay httpcore exceptions so that httpx
maps them as usual.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable

import anyio
import httpcore

from monitor.domain import FetchErrorCode
from monitor.fetch.addresses import AddressPolicy
from monitor.fetch.failure import FetchFailure

# (host, port) -> IP address strings; raise OSError (or return []) when the name does not resolve.
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the event loop's getaddrinfo; addresses in the order the system gave them."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def refusal(address: str, host: str) -> FetchFailure:
    return FetchFailure(
        FetchErrorCode.BLOCKED_ADDRESS, f"refusing non-public address {address} (host {host})"
    )


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that only connects to addresses the policy allows."""

    def __init__(
        self,
        policy: AddressPolicy,
        resolver: Resolver,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._policy = policy
        self._resolver = resolver
        self._inner = inner if inner is not None else httpcore.AnyIOBackend()

    async def resolve_checked(self, host: str, port: int) -> list[str]:
        """The addresses of `host`, all of them allowed; raises FetchFailure otherwise."""
        try:
            ipaddress.ip_address(host)
        except ValueError:
            try:
                addresses = list(await self._resolver(host, port))
            except OSError as exc:
                reason = exc.strerror or str(exc) or type(exc).__name__
                raise FetchFailure(
                    FetchErrorCode.DNS, f"cannot resolve host {host} ({reason})"
                ) from None
        else:
            addresses = [host]
        if not addresses:
            raise FetchFailure(FetchErrorCode.DNS, f"cannot resolve host {host} (no addresses)")
        for address in addresses:
            if not self._policy.allows(address):
                raise refusal(address, host)
        return addresses

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        deadline = None if timeout is None else anyio.current_time() + timeout
        try:
            with anyio.fail_after(timeout):
                addresses = await self.resolve_checked(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        last_error: Exception | None = None
        for address in addresses:
            remaining = None if deadline is None else max(0.0, deadline - anyio.current_time())
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=remaining,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                last_error = exc  # try the next checked address
        assert last_error is not None
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise FetchFailure(FetchErrorCode.BLOCKED_ADDRESS, "refusing to connect to a unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
