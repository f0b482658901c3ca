"""`goip-emulator sink`: a callback receiver that prints every callback, readably."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from emulator.server import bound_port


def summary(doc: Any) -> str:
    """One line that says what a callback is about."""
    if not isinstance(doc, dict):
        return "(not a JSON object)"
    kind = doc.get("type", "?")
    if kind == "port-status":
        return f"port-status {doc.get('port')} seq={doc.get('seq')} {doc.get('status')}"
    if kind == "dev-status":
        entries = doc.get("status") or []
        ok = sum(1 for e in entries if isinstance(e, dict) and e.get("st") == 3)
        return f"dev-status seq={doc.get('seq')} ports={len(entries)} registered={ok}"
    if kind == "status-report":
        rpts = doc.get("rpts") or []
        parts = [
            f"tid={r.get('tid')} sent={r.get('sent')} failed={r.get('failed')} "
            f"unsent={r.get('unsent')}"
            for r in rpts[:5]
            if isinstance(r, dict)
        ]
        return f"status-report {len(rpts)} report(s): " + "; ".join(parts)
    if kind == "recv-sms":
        return f"recv-sms {doc.get('sms_num')} message(s)"
    return str(kind)


def make_sink_app(as_json: bool = False, out: Any = None) -> web.Application:
    stream = out or sys.stdout

    async def receive(request: web.Request) -> web.Response:
        raw = await request.read()
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        try:
            doc: Any = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            doc = raw.decode("utf-8", "replace")
        if as_json:
            line = {"time": stamp, "path": request.path_qs, "body": doc}
            print(json.dumps(line, ensure_ascii=False), file=stream, flush=True)
        else:
            print(f"{stamp} {request.method} {request.path_qs}  {summary(doc)}", file=stream)
            print(json.dumps(doc, ensure_ascii=False, indent=2), file=stream, flush=True)
        return web.json_response({"code": 0, "reason": "OK"})

    app = web.Application(client_max_size=16 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", receive)
    return app


def run_sink(host: str, port: int, as_json: bool = False) -> int:
    async def run() -> None:
        runner = web.AppRunner(make_sink_app(as_json), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = bound_port(site)
        print(f"sink listening on http://{host}:{bound}/", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await runner.cleanup()

    try:
        asyncio.run(run())
    except OSError as exc:
        print(
            f"goip-emulator sink: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr
        )
        return 1
    return 0
