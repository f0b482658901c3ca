"""Delivers callbacks as JSON POSTs: one ordered queue per target, retried with backoff.

A target that is down keeps its queue: the head is retried after a backoff
that doubles up to `push.retry_max` (with seeded jitter), and nothing behind it
overtakes it, so the order per target is the order the device produced. Retry
waits are timers on the device clock, so under virtual time a target can be
"down for ten minutes" in microseconds. A queue that outgrows `push.max_queue`
drops its oldest waiting callback and says so in the journal. Every attempt is
journaled.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import structlog

from emulator.core.timers import TimerHandle, Timers
from emulator.journal import Journal
from emulator.profile import Push
from emulator.push import http1
from emulator.wire.jsonio import dumps

CONTENT_TYPE = "application/json;charset=utf-8"
_HEADERS = {"Content-Type": CONTENT_TYPE}
log = structlog.get_logger("emulator.push")


@dataclass(slots=True)
class Pending:
    type: str
    data: bytes  # the document as sent; the journal keeps these bytes, not a copy
    attempts: int = 0


@dataclass(slots=True)
class Target:
    url: str
    queue: deque[Pending] = field(default_factory=deque)
    busy: bool = False
    retry: TimerHandle | None = None
    backoff: float = 0.0
    delivered: int = 0
    failed_attempts: int = 0
    dropped: int = 0
    client: http1.Client | None = None  # for an http:// URL; else aiohttp delivers

    def close(self) -> None:
        """Let go of the kept-alive connection, if any."""
        if self.client is not None:
            self.client.close()


class Pusher:
    """The callback client of one device."""

    def __init__(
        self,
        *,
        device: str,
        timers: Timers,
        journal: Journal,
        config: Push,
        session: Callable[[], aiohttp.ClientSession],
        rng: random.Random,
    ) -> None:
        self.device = device
        self.timers = timers
        self.journal = journal
        self.config = config
        self._session = session
        self._rng = rng
        self.targets: dict[str, Target] = {}
        self._timeout = aiohttp.ClientTimeout(total=config.timeout)
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self.closed = False

    # -- the device side ----------------------------------------------------------

    def submit(self, url: str, type_: str, body: dict[str, Any]) -> None:
        """Queue one callback document for `url`; returns at once."""
        target = self.targets.get(url)
        if target is None:
            target = self.targets[url] = Target(url, client=_lean_client(url))
        if len(target.queue) >= self.config.max_queue:
            # The head may be in flight, so drop the oldest one still waiting behind it.
            victim = target.queue[1] if target.busy and len(target.queue) > 1 else target.queue[0]
            target.queue.remove(victim)
            target.dropped += 1
            self.journal.record(
                "callback",
                victim.type,
                url=url,
                outcome="dropped",
                reason=f"queue for {url} is full ({self.config.max_queue})",
                body=victim.data,
            )
            log.warning("callback_dropped", device=self.device, url=url, type=victim.type)
        target.queue.append(Pending(type_, dumps(body)))
        self._kick(target)

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    @property
    def queued(self) -> int:
        return sum(len(t.queue) for t in self.targets.values())

    async def settle(self) -> None:
        """Wait until no delivery is in flight (retries waiting on the clock do not count)."""
        while self._tasks:
            await self._idle.wait()

    def clear(self) -> None:
        """Forget every queued callback (a device reset)."""
        for target in self.targets.values():
            if target.retry is not None:
                target.retry.cancel()
            target.queue.clear()
            target.close()
        self.targets.clear()

    async def close(self) -> None:
        self.closed = True
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for target in self.targets.values():
            target.close()

    # -- delivery ---------------------------------------------------------------

    def _kick(self, target: Target) -> None:
        if target.busy or target.retry is not None or not target.queue or self.closed:
            return
        target.busy = True
        task = asyncio.get_running_loop().create_task(self._deliver(target))
        self._tasks.add(task)
        self._idle.clear()
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()

    async def _deliver(self, target: Target) -> None:
        try:
            while target.queue and not self.closed:
                item = target.queue[0]
                item.attempts += 1
                error = await self._post(target, item.data)
                if error is None:
                    if target.queue and target.queue[0] is item:
                        target.queue.popleft()
                    target.delivered += 1
                    target.backoff = 0.0
                    self.journal.record(
                        "callback",
                        item.type,
                        url=target.url,
                        outcome="delivered",
                        attempt=item.attempts,
                        body=item.data,
                    )
                    continue
                target.failed_attempts += 1
                self.journal.record(
                    "callback",
                    item.type,
                    url=target.url,
                    outcome="failed",
                    attempt=item.attempts,
                    error=error,
                    body=item.data,
                )
                log.info(
                    "callback_failed",
                    device=self.device,
                    url=target.url,
                    type=item.type,
                    attempt=item.attempts,
                    error=error,
                )
                self._schedule_retry(target)
                return
        finally:
            target.busy = False

    def _schedule_retry(self, target: Target) -> None:
        base = self.config.retry_initial if target.backoff == 0 else target.backoff * 2
        target.backoff = min(base, self.config.retry_max)
        delay = target.backoff * (0.8 + 0.4 * self._rng.random())  # jitter spreads retries

        def retry() -> None:
            target.retry = None
            self._kick(target)

        target.retry = self.timers.call_later(delay, retry)

    async def _post(self, target: Target, data: bytes) -> str | None:
        """POST once; None on a 2xx answer, otherwise what went wrong."""
        if target.client is not None:
            try:
                async with asyncio.timeout(self.config.timeout):
                    status = await target.client.post(data)
            except TimeoutError:
                return f"no answer within {self.config.timeout} s"
            except http1.HttpError as exc:
                return str(exc)
            return None if 200 <= status < 300 else f"HTTP {status}"
        try:
            async with self._session().post(
                target.url,
                data=data,
                headers=_HEADERS,
                timeout=self._timeout,
                allow_redirects=False,  # as the lean client: a redirect is a failed attempt
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"HTTP {response.status}"
        except TimeoutError:
            return f"no answer within {self.config.timeout} s"
        except aiohttp.ClientError as exc:
            return f"{type(exc).__name__}: {exc}"
        except ValueError as exc:  # an unusable URL such as one without a host
            return f"invalid URL: {exc}"


def _lean_client(url: str) -> http1.Client | None:
    """The lean client for a plain http:// URL; None leaves the URL to aiohttp."""
    try:
        return http1.Client(url, CONTENT_TYPE)
    except ValueError:  # https://, not plain ASCII, or not a URL: aiohttp says what is wrong
        return None
