"""`goip-emulator sink`: a callback receiver that prints every callback, readably.

With --udp PORT it plays a DBL GoIP's SMS server instead: every datagram is printed and
keepalives and pushes are acked (`run_udp_sink`).

Received texts are shown decoded (base64 of UTF-8 on the wire, the header block of
`quirks.recv_sms_headers` split off). With --json, stdout carries one JSON object per
callback and nothing else: the banner goes to stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from emulator.dbl.protocol import (
    Deliver,
    Hangup,
    Keepalive,
    Receive,
    Record,
    Remain,
    State,
    parse_from_device,
)
from emulator.runtime import bound_port
from emulator.testing import ReceivedSms, received_sms


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


def sms_line(sms: ReceivedSms) -> str:
    """One received SMS (or delivery report) as a person reads it."""
    what = "delivery report" if sms.is_report else "sms"
    line = f"  {what} on {sms.port} from {sms.sender} to {sms.recipient}: {sms.text!r}"
    if sms.headers:
        line += "  [" + ", ".join(f"{k}: {v}" for k, v in sms.headers.items()) + "]"
    return line


def make_sink_app(
    as_json: bool = False, out: Any = None, on_closed: Callable[[], None] | None = None
) -> web.Application:
    """The receiver; `on_closed` is called when the output is a pipe nobody reads."""
    stream = out or sys.stdout

    def show(doc: Any, request: web.Request, stamp: str) -> None:
        texts = received_sms(doc)
        if as_json:
            line: dict[str, Any] = {"time": stamp, "path": request.path_qs, "body": doc}
            if texts:
                line["sms"] = [asdict(sms) for sms in texts]
            print(json.dumps(line, ensure_ascii=False), file=stream, flush=True)
            return
        print(f"{stamp} {request.method} {request.path_qs}  {summary(doc)}", file=stream)
        for sms in texts:
            print(sms_line(sms), file=stream)
        print(json.dumps(doc, ensure_ascii=False, indent=2), file=stream, flush=True)

    async def receive(request: web.Request) -> web.Response:
        raw = await request.read()
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        try:
            doc: Any = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            doc = raw.decode("utf-8", "replace")
        try:
            show(doc, request, stamp)
        except BrokenPipeError:
            if on_closed is not None:
                on_closed()
        return web.json_response({"code": 0, "reason": "OK"})

    app = web.Application(client_max_size=16 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", receive)
    return app


def run_sink(host: str, port: int, as_json: bool = False) -> int:
    async def run() -> None:
        stop = asyncio.Event()
        app = make_sink_app(as_json, on_closed=stop.set)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = bound_port(site)
        # Machines read stdout under --json: there it holds the callbacks alone.
        banner = sys.stderr if as_json else sys.stdout
        print(f"sink listening on http://{host}:{bound}/", file=banner, flush=True)
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
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


# --- the UDP side: an SMS server for DBL GoIP lines --------------------------------------


def udp_ack(data: bytes) -> bytes | None:
    """What an SMS server answers to a line's datagram: keepalives and pushes are acked.

    `reg:<n>;status:200;` logs the line in (DBL-GOIP.md 3); `<KEYWORD> <r> OK` stops a
    push's retransmission (4). Answers of the bulk protocol need none.
    """
    message = parse_from_device(data)
    if isinstance(message, Keepalive):
        return f"reg:{message.req};status:200;".encode()
    if isinstance(message, Receive | Deliver | State | Record | Hangup | Remain):
        return f"{message.type} {message.recvid} OK\n".encode()
    return None


class UdpSink(asyncio.DatagramProtocol):
    """Prints every datagram and answers it as an SMS server does (`udp_ack`)."""

    def __init__(self, as_json: bool, out: Any, on_closed: Callable[[], None]) -> None:
        self._as_json = as_json
        self._out = out
        self._on_closed = on_closed
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        ack = udp_ack(data)
        if ack is not None and self._transport is not None:
            self._transport.sendto(ack, addr)
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        peer = f"{addr[0]}:{addr[1]}"
        text = data.decode("utf-8", "replace")
        try:
            if self._as_json:
                line: dict[str, Any] = {"time": stamp, "peer": peer, "text": text}
                if ack is not None:
                    line["ack"] = ack.decode()
                print(json.dumps(line, ensure_ascii=False), file=self._out, flush=True)
            else:
                print(f"{stamp} {peer}  {text!r}", file=self._out)
                if ack is not None:
                    print(f"  -> {ack.decode()!r}", file=self._out)
                self._out.flush()
        except BrokenPipeError:
            self._on_closed()


def run_udp_sink(host: str, port: int, as_json: bool = False) -> int:
    """`sink --udp PORT`: an SMS server that prints what the lines send and acks it."""

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: UdpSink(as_json, sys.stdout, stop.set), local_addr=(host, port)
        )
        bound = transport.get_extra_info("sockname")[1]
        banner = sys.stderr if as_json else sys.stdout
        print(f"sink listening on udp://{host}:{bound}", file=banner, flush=True)
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        transport.close()

    try:
        asyncio.run(run())
    except OSError as exc:
        print(
            f"goip-emulator sink: cannot listen on udp {host}:{port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        return 130
    return 0
