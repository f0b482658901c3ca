"""Use the emulator from Python tests: an in-process gateway and a callback receiver.

    async with CallbackReceiver() as receiver, Emulator(clock="virtual") as gw:
        await gw.get("/goip_get_status.html", url=receiver.url)
        await gw.advance(60)
        assert receiver.of_type("dev-status")

`Emulator` serves a real device on 127.0.0.1 (a free port) inside the running event
loop and drives it through the same control API a script would use over HTTP.
`SyncEmulator` runs one on a thread of its own, with its own event loop, for code that
blocks (requests, Django, Celery): its methods are plain calls.
Installed with the package, the pytest plugin (entry point `pytest11`, emulator/pytest_plugin.py)
provides the fixtures `goip_emulator`, `goip_receiver`, `goip_emulator_factory` and their
`_sync` twins.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import aiohttp
from aiohttp import web
from yarl import URL

from emulator.config.profile import Profile, load_profile
from emulator.runtime import Server, bound_port

T = TypeVar("T")
V = TypeVar("V")
CLOCKS = ("real", "virtual")


class ControlError(Exception):
    """The control API refused a call; `status` and `reason` say why."""

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(f"HTTP {status}: {reason}")


class Emulator:
    """A gateway served in-process, for the duration of an `async with` block."""

    def __init__(
        self,
        profile: str | Profile | None = None,
        *,
        clock: str = "virtual",
        speed: float = 1.0,
        seed: int | None = None,
        devices: int = 1,
        host: str = "127.0.0.1",
        front: bool = True,
        sms_server: str | None = None,
        sms_local_port: int = 0,
    ) -> None:
        if clock not in CLOCKS:
            raise ValueError(f"clock: {clock!r} is not one of {', '.join(CLOCKS)}")
        self.profile = profile if isinstance(profile, Profile) else load_profile(profile)
        if self.profile.device.personality == "dbl":
            # As --sms-server and --sms-local-port: a test binds free ports, never 9991.
            changes: dict[str, object] = {"local_port": sms_local_port}
            if sms_server is not None:
                changes["server"] = sms_server
            dbl = self.profile.dbl.model_validate({**self.profile.dbl.model_dump(), **changes})
            self.profile = self.profile.model_copy(update={"dbl": dbl})
        elif sms_server is not None:
            raise ValueError(
                f"sms_server: profile {self.profile.name!r} is not a DBL GoIP device "
                "(device.personality: dbl)"
            )
        self.clock = clock
        self._server = Server(
            self.profile,
            host=host,
            port=0,
            devices=devices,
            clock=clock,
            speed=speed,
            seed=seed,
            front=front,  # False: aiohttp serves every request (serve --no-front)
        )
        self._http: aiohttp.ClientSession | None = None
        self.urls: list[str] = []

    @property
    def url(self) -> str:
        """Base URL of the (first) device, e.g. http://127.0.0.1:43121."""
        return self.urls[0]

    @property
    def credentials(self) -> dict[str, str]:
        spec = self.profile.device
        return {"username": spec.username, "password": spec.password}

    async def __aenter__(self) -> Emulator:
        self.urls = await self._server.start()
        self._http = aiohttp.ClientSession()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._http is not None:
            await self._http.close()
        await self._server.stop()

    # -- the device API ---------------------------------------------------------

    async def get(self, path: str, device: int = 0, **params: Any) -> Any:
        """GET a device endpoint with the profile's credentials; returns the JSON answer."""
        query = {**self.credentials, **{k: str(v) for k, v in params.items()}}
        return await self._call("GET", path, device, params=query)

    async def post(self, path: str, body: Any, device: int = 0, **params: Any) -> Any:
        """POST JSON to a device endpoint with the profile's credentials in the query."""
        query = {**self.credentials, **{k: str(v) for k, v in params.items()}}
        return await self._call("POST", path, device, params=query, json=body)

    async def ussd(
        self,
        port: str | int,
        code: str,
        timeout: int | None = None,
        retries: int | None = None,
        device: int = 0,
    ) -> dict[str, Any]:
        """Dial a USSD string (`"*123#"`, or a menu reply `"1"`) on `port`; the answer's
        five keys. With `ussd.latency` on a virtual clock the answer waits for an
        `advance` made meanwhile (another task)."""
        params = {"port": port, "ussd": code, "timeout": timeout, "retries": retries}
        return dict(await self._exact("/goip_send_ussd.html", device, params))

    async def at(
        self, port: str | int, command: str, timeout: int | None = None, device: int = 0
    ) -> dict[str, Any]:
        """One AT command to `port`'s module; `resp` is what it printed (CRLF-framed)."""
        params = {"port": port, "at": command, "timeout": timeout}
        return dict(await self._exact("/goip_send_at.html", device, params))

    async def _exact(self, path: str, device: int, params: dict[str, Any]) -> Any:
        """GET with every value percent-encoded whole: a `+` or `#` arrives as written."""
        given = {**self.credentials, **{k: v for k, v in params.items() if v is not None}}
        query = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in given.items())
        url = URL(f"{self.urls[device]}{path}?{query}", encoded=True)
        return await self._call("GET", path, device, url=url)

    # -- the control API ---------------------------------------------------------

    async def advance(self, seconds: float, device: int = 0) -> dict[str, Any]:
        """Move the virtual clock; returns once due timers ran and callbacks went out."""
        return await self._control("POST", "clock/advance", device, json={"seconds": seconds})

    async def sim_event(self, slot: str, event: str, device: int = 0, **params: Any) -> Any:
        """A SIM event on a slot, e.g. sim_event("3B", "block")."""
        return await self._control("POST", f"sims/{slot}", device, json={"event": event, **params})

    async def inject_sms(
        self, port: str, sender: str, text: str, device: int = 0, **extra: Any
    ) -> Any:
        """A received SMS arriving on `port` ("1A" or "1")."""
        body = {"port": port, "sender": sender, "text": text, **extra}
        return await self._control("POST", "sms", device, json=body)

    async def place_calls(self, port: str, device: int = 0, **plan: Any) -> Any:
        """Voice calls on ports, e.g. place_calls("3", count=2, talk=[30, 60])."""
        return await self._control("POST", "calls", device, json={"port": port, **plan})

    async def hang_up(self, port: str | int, device: int = 0) -> dict[str, Any]:
        """The call on the air on `port` ends now (ControlError 409 when there is none)."""
        return dict(await self._control("DELETE", f"calls/{port}", device))

    async def add_fault(self, action: str, device: int = 0, **spec: Any) -> dict[str, Any]:
        """An HTTP fault on the device API, e.g. add_fault("error", status=503, count=2)."""
        return dict(await self._control("POST", "faults", device, json={"action": action, **spec}))

    async def add_udp_fault(self, action: str, device: int = 0, **spec: Any) -> dict[str, Any]:
        """A fault on a DBL device's datagrams, e.g. add_udp_fault("drop", dir="out",
        keyword="RECEIVE", count=1) or add_udp_fault("delay", seconds=5)."""
        body = {"udp": {"action": action, **spec}}
        return dict(await self._control("POST", "faults", device, json=body))

    async def line_address(self, line: int, device: int = 0) -> tuple[str, int]:
        """Where a DBL line's socket is bound: send it bulk requests and commands there."""
        lines = (await self.state(device))["dbl"]
        return (self._server.host, int(lines[line - 1]["local_port"]))

    async def faults(self, device: int = 0) -> list[dict[str, Any]]:
        return list((await self._control("GET", "faults", device))["faults"])

    async def clear_faults(self, device: int = 0) -> int:
        return int((await self._control("DELETE", "faults", device))["cleared"])

    async def journal(
        self, kind: str | None = None, type: str | None = None, since: int = 0, device: int = 0
    ) -> list[dict[str, Any]]:
        params = {"since": str(since)}
        if kind:
            params["kind"] = kind
        if type:
            params["type"] = type
        doc = await self._control("GET", "journal", device, params=params)
        return list(doc["entries"])

    async def state(self, device: int = 0) -> dict[str, Any]:
        return dict(await self._control("GET", "state", device))

    async def health(self, device: int = 0) -> dict[str, Any]:
        return dict(await self._control("GET", "health", device))

    async def reset(self, device: int = 0) -> None:
        await self._control("POST", "reset", device, json={})

    async def wait_ready(
        self, timeout: float = 600, device: int = 0, step: float = 1
    ) -> dict[str, Any]:
        """Wait until every current SIM has registered (after the start or a reboot).

        Polls /_emulator/health until it reports `registering` 0, moving a virtual clock
        on by `step` seconds between polls (a real clock is waited for). `timeout` counts
        device seconds under a virtual clock, real seconds otherwise. A health answer
        without `registering` is taken as ready once its status is "ok"; a rebooting device
        is not ready. Returns the last
        health answer; TimeoutError when the SIMs are still registering at the timeout.
        """
        virtual = self.clock == "virtual"
        waited = 0.0
        started = time.monotonic()
        while True:
            doc = await self.health(device)
            settled = not doc.get("rebooting") and not doc.get("registering", 0)
            if doc.get("status") == "ok" and settled:
                return doc
            if virtual:
                if waited >= timeout:
                    break
                await self.advance(step, device)
                waited += step
            else:
                if time.monotonic() - started >= timeout:
                    break
                await asyncio.sleep(0.05)
        raise TimeoutError(f"device {device} still registering after {timeout} s: {doc}")

    # -- plumbing ---------------------------------------------------------------

    async def _control(self, method: str, path: str, device: int, **kwargs: Any) -> Any:
        headers = {}
        token = self.profile.device.control_token
        if token:
            headers["X-Emulator-Token"] = token
        return await self._call(method, f"/_emulator/{path}", device, headers=headers, **kwargs)

    async def _call(self, method: str, path: str, device: int, **kwargs: Any) -> Any:
        if self._http is None:
            raise RuntimeError("use the Emulator inside `async with`")
        url = kwargs.pop("url", None) or self.urls[device] + path
        async with self._http.request(method, url, **kwargs) as resp:
            text = await resp.text()
            try:
                doc = json.loads(text) if text else None
            except json.JSONDecodeError:
                doc = text
            if path.startswith("/_emulator/") and resp.status >= 400:
                reason = doc.get("reason", text) if isinstance(doc, dict) else text
                raise ControlError(resp.status, str(reason))
            return doc


@dataclass(frozen=True)
class ReceivedSms:
    """One entry of a recv-sms callback, its text decoded (spec 7.2.3).

    `text` is the message (base64 of UTF-8 on the wire); under the firmware quirk
    `recv_sms_headers` the block in front of it ("Sender: ...", "SMSC: ...") is split off
    into `headers`. A delivery report (flag 1) keeps its "<code> <scts>" as `text`.
    """

    flag: int
    port: str
    ts: int
    sender: str
    recipient: str
    text: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def is_report(self) -> bool:
        return self.flag == 1


def decode_sms_entry(entry: Any) -> ReceivedSms:
    """[flag, port, ts, sender, recipient, content] as the device pushes it, decoded."""
    flag, port, ts, sender, recipient, content = (list(entry) + [""] * 6)[:6]
    text = str(content)
    headers: dict[str, str] = {}
    if flag != 1:
        # A firmware that sends the text as it is: show it as it came.
        with contextlib.suppress(binascii.Error, UnicodeDecodeError):
            text = base64.b64decode(text, validate=True).decode("utf-8")
        text, headers = split_headers(text)
    return ReceivedSms(
        int(flag or 0), str(port), int(ts or 0), str(sender), str(recipient), text, headers
    )


def split_headers(text: str) -> tuple[str, dict[str, str]]:
    """The text and its header block, when it starts with one (`recv_sms_headers`)."""
    if not text.startswith("Sender:"):
        return text, {}
    head, sep, body = text.partition("\r\n\r\n")
    if not sep:
        return text, {}
    headers = {}
    for line in head.split("\r\n"):
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    return body, headers


def received_sms(doc: Any) -> list[ReceivedSms]:
    """Every SMS of a recv-sms callback body, decoded; [] for any other body."""
    if not isinstance(doc, dict) or doc.get("type") != "recv-sms":
        return []
    return [decode_sms_entry(e) for e in doc.get("sms") or [] if isinstance(e, list)]


@dataclass
class Callback:
    path: str
    doc: Any
    headers: dict[str, str]


@dataclass
class CallbackReceiver:
    """A real HTTP server on 127.0.0.1 that records every callback POSTed to it."""

    host: str = "127.0.0.1"
    port: int = 0
    received: list[Callback] = field(default_factory=list)
    status: int = 200  # what it answers; 3xx-5xx are not recorded (the device retries)
    fail_next: int = 0  # answer HTTP 500 to the next N callbacks, then `status` again
    url: str = ""
    _runner: web.AppRunner | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def down(self) -> bool:
        """True while it plays a target that is down (answers 503)."""
        return self.status == 503

    @down.setter
    def down(self, value: bool) -> None:
        self.status = 503 if value else 200

    def of_type(self, kind: str) -> list[Any]:
        """The JSON bodies received of one callback type, e.g. "status-report"."""
        return [
            c.doc for c in self.received if isinstance(c.doc, dict) and c.doc.get("type") == kind
        ]

    def sms(self) -> list[ReceivedSms]:
        """Every SMS and delivery report pushed in recv-sms callbacks, texts decoded."""
        return [sms for c in self.received for sms in received_sms(c.doc)]

    async def wait_for(
        self, predicate: Callable[[CallbackReceiver], bool], timeout: float = 10
    ) -> None:
        """Wait (real time) until `predicate(receiver)` holds, e.g. with a real clock."""

        async def loop() -> None:
            while not predicate(self):
                self._arrived.clear()
                await self._arrived.wait()

        await asyncio.wait_for(loop(), timeout)

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        if self.fail_next > 0:
            self.fail_next -= 1
            return web.Response(status=500)
        if self.status >= 300:
            return web.Response(status=self.status)
        try:
            doc: Any = json.loads(raw)
        except ValueError:
            doc = raw.decode("utf-8", "replace")
        self.received.append(Callback(request.path_qs, doc, dict(request.headers)))
        self._arrived.set()
        return web.Response(text="OK")

    async def __aenter__(self) -> CallbackReceiver:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.url = f"http://{self.host}:{bound_port(site)}/"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class _LoopThread:
    """An event loop running on a daemon thread; coroutines are handed to it."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


class SyncEmulator:
    """An `Emulator` on its own thread and event loop, driven by plain (blocking) calls.

    For code under test that blocks: `requests`, Django views, Celery tasks. The device
    answers while the test's thread waits, since nothing shares the test's loop.

        with SyncEmulator("goip8", seed=3) as gw:
            requests.get(f"{gw.url}/goip_get_status.html", params=gw.credentials)
            gw.advance(60)
    """

    def __init__(self, profile: str | Profile | None = None, **options: Any) -> None:
        self._thread: _LoopThread | None = None
        self._emulator: Emulator | None = None
        self._profile = profile
        self._options = options
        self._receivers: list[CallbackReceiver] = []

    def start(self) -> SyncEmulator:
        self._thread = _LoopThread("goip-emulator")
        try:
            self._emulator = self._thread.run(self._open())
        except BaseException:
            self._thread.close()
            self._thread = None
            raise
        return self

    async def _open(self) -> Emulator:
        # Built on the emulator's own loop: everything asyncio it holds belongs there.
        emulator = Emulator(self._profile, **self._options)
        return await emulator.__aenter__()

    def stop(self) -> None:
        if self._thread is None:
            return
        for receiver in self._receivers:
            self._thread.run(receiver.__aexit__())
        self._receivers.clear()
        if self._emulator is not None:
            self._thread.run(self._emulator.__aexit__(None, None, None))
            self._emulator = None
        self._thread.close()
        self._thread = None

    def __enter__(self) -> SyncEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def emulator(self) -> Emulator:
        if self._emulator is None:
            raise RuntimeError("start the SyncEmulator first (or use it in a `with` block)")
        return self._emulator

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        assert self._thread is not None
        return self._thread.run(coro)

    @property
    def url(self) -> str:
        return self.emulator.url

    @property
    def urls(self) -> list[str]:
        return self.emulator.urls

    @property
    def profile(self) -> Profile:
        return self.emulator.profile

    @property
    def credentials(self) -> dict[str, str]:
        return self.emulator.credentials

    def get(self, path: str, device: int = 0, **params: Any) -> Any:
        return self._run(self.emulator.get(path, device, **params))

    def post(self, path: str, body: Any, device: int = 0, **params: Any) -> Any:
        return self._run(self.emulator.post(path, body, device, **params))

    def advance(self, seconds: float, device: int = 0) -> dict[str, Any]:
        return self._run(self.emulator.advance(seconds, device))

    def ussd(
        self,
        port: str | int,
        code: str,
        timeout: int | None = None,
        retries: int | None = None,
        device: int = 0,
    ) -> dict[str, Any]:
        """As `Emulator.ussd`; it blocks, so use it with `ussd.latency` 0 on a virtual clock."""
        return self._run(self.emulator.ussd(port, code, timeout, retries, device))

    def at(
        self, port: str | int, command: str, timeout: int | None = None, device: int = 0
    ) -> dict[str, Any]:
        return self._run(self.emulator.at(port, command, timeout, device))

    def sim_event(self, slot: str, event: str, device: int = 0, **params: Any) -> Any:
        return self._run(self.emulator.sim_event(slot, event, device, **params))

    def inject_sms(self, port: str, sender: str, text: str, device: int = 0, **extra: Any) -> Any:
        return self._run(self.emulator.inject_sms(port, sender, text, device, **extra))

    def place_calls(self, port: str, device: int = 0, **plan: Any) -> Any:
        return self._run(self.emulator.place_calls(port, device, **plan))

    def hang_up(self, port: str | int, device: int = 0) -> dict[str, Any]:
        return self._run(self.emulator.hang_up(port, device))

    def add_fault(self, action: str, device: int = 0, **spec: Any) -> dict[str, Any]:
        return self._run(self.emulator.add_fault(action, device, **spec))

    def add_udp_fault(self, action: str, device: int = 0, **spec: Any) -> dict[str, Any]:
        return self._run(self.emulator.add_udp_fault(action, device, **spec))

    def line_address(self, line: int, device: int = 0) -> tuple[str, int]:
        return self._run(self.emulator.line_address(line, device))

    def faults(self, device: int = 0) -> list[dict[str, Any]]:
        return self._run(self.emulator.faults(device))

    def clear_faults(self, device: int = 0) -> int:
        return self._run(self.emulator.clear_faults(device))

    def journal(
        self, kind: str | None = None, type: str | None = None, since: int = 0, device: int = 0
    ) -> list[dict[str, Any]]:
        return self._run(self.emulator.journal(kind, type, since, device))

    def state(self, device: int = 0) -> dict[str, Any]:
        return self._run(self.emulator.state(device))

    def health(self, device: int = 0) -> dict[str, Any]:
        return self._run(self.emulator.health(device))

    def reset(self, device: int = 0) -> None:
        self._run(self.emulator.reset(device))

    def wait_ready(self, timeout: float = 600, device: int = 0, step: float = 1) -> dict[str, Any]:
        return self._run(self.emulator.wait_ready(timeout, device, step))

    def receiver(self, **options: Any) -> SyncCallbackReceiver:
        """A callback receiver on the emulator's loop, stopped with the emulator."""
        receiver = self._run(_open_receiver(options))
        self._receivers.append(receiver)
        return SyncCallbackReceiver(receiver, self)


async def _open_receiver(options: dict[str, Any]) -> CallbackReceiver:
    return await CallbackReceiver(**options).__aenter__()


class _Delegated(Generic[V]):
    """An attribute of a sync wrapper read and written on the `_receiver` it wraps."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> V:
        return getattr(obj._receiver, self.name)  # type: ignore[no-any-return]

    def __set__(self, obj: Any, value: V) -> None:
        setattr(obj._receiver, self.name, value)


class SyncCallbackReceiver:
    """A `CallbackReceiver` served on a `SyncEmulator`'s loop, read from the test's thread."""

    def __init__(self, receiver: CallbackReceiver, owner: SyncEmulator) -> None:
        self._receiver = receiver
        self._owner = owner

    @property
    def url(self) -> str:
        return self._receiver.url

    @property
    def received(self) -> list[Callback]:
        return list(self._receiver.received)

    # What the receiver answers, set from the test's thread on the receiver it wraps.
    status: _Delegated[int] = _Delegated()
    down: _Delegated[bool] = _Delegated()
    fail_next: _Delegated[int] = _Delegated()

    def of_type(self, kind: str) -> list[Any]:
        return self._receiver.of_type(kind)

    def sms(self) -> list[ReceivedSms]:
        return self._receiver.sms()

    def wait_for(
        self, predicate: Callable[[SyncCallbackReceiver], bool], timeout: float = 10
    ) -> None:
        """Wait (real time) until `predicate(receiver)` holds."""
        self._owner._run(self._receiver.wait_for(lambda _: predicate(self), timeout))
