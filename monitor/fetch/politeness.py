"""Per-host politeness and the global request limit for the fetcher. No network I/O (it waits).

A request holds, in this order, one of its host's `per_host_in_flight` slots, then waits until
`per_host_spacing` has passed since the previous request start to that host, then takes one of
the `max_in_flight` global slots. Taking the host slot first means a busy host never holds
global slots while it waits, so different hosts never queue behind each other.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

_PRUNE_FLOOR = 1024


@dataclass(slots=True)
class _HostState:
    semaphore: asyncio.Semaphore
    next_start: float = 0.0  # monotonic time before which no new request to the host starts
    users: int = 0  # tasks holding or waiting for a slot


class HostLimiter:
    """Concurrency and spacing limits by host name, plus one global limit."""

    def __init__(
        self,
        *,
        max_in_flight: int,
        per_host_in_flight: int,
        per_host_spacing: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._global = asyncio.Semaphore(max_in_flight)
        self._per_host = per_host_in_flight
        self._spacing = per_host_spacing
        self._clock = clock
        self._sleep = sleep
        self._hosts: dict[str, _HostState] = {}
        self._prune_at = _PRUNE_FLOOR

    def _state(self, host: str) -> _HostState:
        state = self._hosts.get(host)
        if state is None:
            if len(self._hosts) >= self._prune_at:
                self._prune()
            state = self._hosts[host] = _HostState(asyncio.Semaphore(self._per_host))
        return state

    def _prune(self) -> None:
        """Forget hosts nobody is using whose spacing has already passed."""
        now = self._clock()
        for host in [h for h, s in self._hosts.items() if s.users == 0 and s.next_start <= now]:
            del self._hosts[host]
        self._prune_at = max(_PRUNE_FLOOR, 2 * len(self._hosts))

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Hold a request slot for `host` for the duration of the block."""
        state = self._state(host)
        state.users += 1
        try:
            async with state.semaphore:
                now = self._clock()
                start = max(now, state.next_start)
                state.next_start = start + self._spacing
                if start > now:
                    await self._sleep(start - now)
                async with self._global:
                    yield
        finally:
            state.users -= 1
            if state.users == 0 and state.next_start <= self._clock():
                self._hosts.pop(host, None)

    @property
    def tracked_hosts(self) -> int:
        """How many hosts currently have state (for tests of the pruning)."""
        return len(self._hosts)
