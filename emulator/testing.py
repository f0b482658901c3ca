"""Use the emulator from Python tests: an in-process gateway and a callback receiver.

    async with CallbackReceiver() as receiver, Emulator(clock="virtual") as gw:
        await gw.get("/goip_get_status.html", url=receiver.url)
        await gw.advance(60)
        assert receiver.of_type("dev-status")

`Emulator` serves a real device on 127.0.0.1 (a free port) inside the running event
loop and drives it through the same control API a script would use over HTTP.
Installed with the package, the pytest plugin (entry point `pytest11`) provides the
fixtures `goip_emulator` (a virtual-clock device on the default profile, credentials
filled in) and `goip_receiver`; async fixtures need pytest-asyncio or pytest-aiohttp.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

from emulator.profile import Profile, load_profile
from emulator.server import Server, bound_port


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
    ) -> None:
        self.profile = profile if isinstance(profile, Profile) else load_profile(profile)
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

    async def reset(self, device: int = 0) -> None:
        await self._control("POST", "reset", device, json={})

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
        async with self._http.request(method, self.urls[device] + path, **kwargs) as resp:
            text = await resp.text()
            try:
                doc = json.loads(text) if text else None
            except json.JSONDecodeError:
                doc = text
            if path.startswith("/_emulator/") and resp.status >= 400:
                reason = doc.get("reason", text) if isinstance(doc, dict) else text
                raise ControlError(resp.status, str(reason))
            return doc


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
