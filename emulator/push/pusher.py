"""Delivers callbacks as JSON POSTs: one ordered queue per target, retried with backoff.

A target that is down keeps its queue: the head is retried after a backoff
that doubles up to `push.retry_max` (with seeded jitter), and nothing behind it
overtakes it, so the order per target is the order the device produced. Retry
waits are timers on the device clock, so under virtual time a target can be
"down for ten minutes" in microseconds. A queue that outgrows `push.max_queue`
drops its oldest waiting callback and says so in the journal. Every attempt is
journaled, and whatever goes wrong in one (no connection, silence, garbage, an
endless or malformed body, an exception of a client library) is a failed attempt.

Targets are a table of at most `push.max_targets` URLs. A target is forgotten once
nothing is queued or in flight for it and no setting names it any more; the pusher
knows the settings by the callbacks it is handed (the URL each setting's callbacks
last went to). A new URL in a full table takes the place of the least recently used
target that holds nothing, else of the least recently used one no setting names
(its waiting callbacks are dropped and journaled); failing both, the new callback is
dropped (docs/decisions.md).
"""

from __future__ import annotations

import asyncio
import random
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import structlog

from emulator.config.profile import Push
from emulator.core.timers import TimerHandle, Timers
from emulator.record.journal import Journal
from emulator.record.jsonio import dumps
from emulator.transport import http1

CONTENT_TYPE = "application/json;charset=utf-8"
_HEADERS = {"Content-Type": CONTENT_TYPE}
# The setting each callback type is sent to (spec 4.1.2, 6.3.2, 7); a type not listed
# here counts as a setting of its own.
_SETTING = {
    "dev-status": "status_url",
    "port-status": "status_url",
    "status-report": "sr_url",
    "recv-sms": "sms_url",
}
_USERINFO = re.compile(r"(?<=//)[^/?#]*@")
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
    used: int = 0  # the pusher's callback count when this target last got one: LRU order
    gone: bool = False  # forgotten; an attempt still in flight ends without a trace

    def close(self) -> None:
        """Let go of the kept-alive connection, if any."""
        if self.client is not None:
            self.client.close()


def safe_url(url: str) -> str:
    """The URL for a log line: a `user:pass@` part is never written out."""
    return _USERINFO.sub("***@", url, count=1)


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
        self._named: dict[str, str] = {}  # setting -> the URL its last callback went to
        self._count = 0  # callbacks handed over so far: the clock of the LRU order
        self._timeout = aiohttp.ClientTimeout(total=config.timeout)
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self.closed = False

    # -- the device side ----------------------------------------------------------

    def submit(self, url: str, type_: str, body: dict[str, Any]) -> None:
        """Queue one callback document for `url`; returns at once."""
        self._count += 1
        setting = _SETTING.get(type_, type_)
        if self._named.get(setting) != url:
            self._rename(setting, url)
        target = self.targets.get(url)
        if target is None:
            target = self._new_target(url, type_, body)
            if target is None:
                return
        target.used = self._count
        if len(target.queue) >= self.config.max_queue:
            # The head may be in flight, so drop the oldest one still waiting behind it.
            victim = target.queue[1] if target.busy and len(target.queue) > 1 else target.queue[0]
            target.queue.remove(victim)
            target.dropped += 1
            self._dropped(url, victim, f"queue for {url} is full ({self.config.max_queue})")
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
        for target in list(self.targets.values()):
            target.queue.clear()
            self._forget(target)
        self._named.clear()

    async def close(self) -> None:
        self.closed = True
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for target in self.targets.values():
            target.close()

    # -- the table of targets -----------------------------------------------------

    def _rename(self, setting: str, url: str) -> None:
        """`setting` now sends to `url`: the URL it sent to before may be forgotten."""
        before = self._named.get(setting)
        self._named[setting] = url
        if before is not None and (old := self.targets.get(before)) is not None:
            self._forget_if_idle(old)

    def _forget_if_idle(self, target: Target) -> None:
        if (
            not target.queue
            and not target.busy
            and not target.gone
            and target.url not in self._named.values()
        ):
            self._forget(target)

    def _forget(self, target: Target) -> None:
        target.gone = True
        if target.retry is not None:
            target.retry.cancel()
            target.retry = None
        target.close()
        if self.targets.get(target.url) is target:
            del self.targets[target.url]

    def _new_target(self, url: str, type_: str, body: dict[str, Any]) -> Target | None:
        limit = self.config.max_targets
        if len(self.targets) >= limit and not self._make_room(url):
            reason = f"{limit} targets are held (push.max_targets), each busy or still named"
            self._dropped(url, Pending(type_, dumps(body)), reason)
            return None
        target = self.targets[url] = Target(url, client=_lean_client(url))
        return target

    def _make_room(self, newcomer: str) -> bool:
        """Let go of one target for `newcomer`, as a fixed table replaces its oldest entry."""
        named = set(self._named.values())
        empty: Target | None = None
        stale: Target | None = None
        for target in self.targets.values():
            if target.busy:
                continue  # a POST is on the wire; its answer decides what happens next
            if not target.queue:
                if empty is None or target.used < empty.used:
                    empty = target
            elif target.url not in named and (stale is None or target.used < stale.used):
                stale = target
        victim = empty or stale
        if victim is None:
            return False
        reason = (
            f"target let go for {safe_url(newcomer)}: "
            f"{self.config.max_targets} targets are held (push.max_targets)"
        )
        for item in victim.queue:
            self._dropped(victim.url, item, reason)
        victim.queue.clear()
        self._forget(victim)
        return True

    def _dropped(self, url: str, item: Pending, reason: str) -> None:
        self.journal.record(
            "callback", item.type, url=url, outcome="dropped", reason=reason, body=item.data
        )
        log.warning(
            "callback_dropped", device=self.device, url=safe_url(url), type=item.type, reason=reason
        )

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
        # _deliver lets nothing but cancellation out; should anything else, it is
        # retrieved and logged here rather than left as "Task exception was never retrieved".
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("push_task_failed", device=self.device, error=repr(exc))
        if not self._tasks:
            self._idle.set()

    async def _deliver(self, target: Target) -> None:
        try:
            while target.queue and not self.closed and not target.gone:
                item = target.queue[0]
                item.attempts += 1
                error = await self._post(target, item.data)
                if target.gone:
                    return  # forgotten meanwhile (a reset): nothing is left to record
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
                self._failed(target, item, error)
                self._schedule_retry(target)
                return
        except Exception as exc:  # a fault of the pusher itself must not strand the queue
            log.error("push_error", device=self.device, url=safe_url(target.url), error=repr(exc))
            if target.queue and target.retry is None and not target.gone:
                self._schedule_retry(target)
        finally:
            target.busy = False
            if not target.queue and not self.closed:
                self._forget_if_idle(target)

    def _failed(self, target: Target, item: Pending, error: str) -> None:
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
        url = safe_url(target.url)
        if url != target.url:  # an error text may quote the URL, credentials and all
            error = _USERINFO.sub("***@", error.replace(target.url, url))
        log.warning(
            "callback_failed",
            device=self.device,
            url=url,
            type=item.type,
            attempt=item.attempts,
            error=error,
        )

    def _schedule_retry(self, target: Target) -> None:
        base = self.config.retry_initial if target.backoff == 0 else target.backoff * 2
        target.backoff = min(base, self.config.retry_max)
        delay = target.backoff * (0.8 + 0.4 * self._rng.random())  # jitter spreads retries

        def retry() -> None:
            target.retry = None
            self._kick(target)

        target.retry = self.timers.call_later(delay, retry)

    async def _post(self, target: Target, data: bytes) -> str | None:
        """POST once; None on a 2xx answer, otherwise what went wrong.

        Every way an attempt can end is an answer here, never an exception: only the
        pusher's own shutdown (a cancellation asked of this task) goes through.
        """
        try:
            async with asyncio.timeout(self.config.timeout):
                if target.client is not None:
                    status = await target.client.post(data)
                else:
                    status = await self._post_aiohttp(target.url, data)
        except TimeoutError:
            return f"no answer within {self.config.timeout} s"
        except http1.HttpError as exc:
            return str(exc)
        except aiohttp.ClientError as exc:
            return f"{type(exc).__name__}: {exc}"
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self.closed or task is None or task.cancelling():
                raise
            return "the attempt was cancelled"  # from inside a library, not asked of us
        except ValueError as exc:  # an unusable URL such as one without a host
            return f"invalid URL: {exc}"
        except Exception as exc:  # any other failure of an attempt is a failed attempt
            return f"{type(exc).__name__}: {exc}"
        return None if 200 <= status < 300 else f"HTTP {status}"

    async def _post_aiohttp(self, url: str, data: bytes) -> int:
        async with self._session().post(
            url,
            data=data,
            headers=_HEADERS,
            timeout=self._timeout,
            allow_redirects=False,  # as the lean client: a redirect is a failed attempt
        ) as response:
            content = response.content
            while await content.readany():  # piece by piece: an endless body holds no memory
                pass
            return response.status


def _lean_client(url: str) -> http1.Client | None:
    """The lean client for a plain http:// URL; None leaves the URL to aiohttp."""
    try:
        return http1.Client(url, CONTENT_TYPE)
    except ValueError:  # https://, not plain ASCII, or not a URL: aiohttp says what is wrong
        return None
