"""CLI verbs that talk to a running emulator's control API (for people at the keyboard).

Exit codes scripts can use: 0 done, 1 the emulator refused (its reason is printed),
2 bad arguments, 3 nothing answers at --url.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from emulator.core.sim import SIM_EVENTS

DEFAULT_URL = os.environ.get("GOIP_URL", "http://127.0.0.1:8080")
EXIT_REFUSED, EXIT_UNREACHABLE = 1, 3


class Refused(Exception):
    """The emulator answered no; `status` is the HTTP status when that says it."""

    def __init__(self, status: int | None, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Unreachable(Exception):
    pass


def add_verbs(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--url", default=DEFAULT_URL, help=f"emulator URL ({DEFAULT_URL})")
        parser.add_argument(
            "--token",
            default=os.environ.get("GOIP_CONTROL_TOKEN"),
            help="control token, if the profile sets one",
        )

    p = sub.add_parser("inject-sms", help="deliver a received SMS to a port")
    common(p)
    p.add_argument("port", help="port or port-and-slot, e.g. 1 or 1A")
    p.add_argument("sender")
    p.add_argument("text")
    p.add_argument("--recipient", default=None)

    events = ", ".join(SIM_EVENTS)
    p = sub.add_parser(
        "sim",
        help="a SIM event on a slot, e.g. sim 3B block",
        description=f"A SIM event on a slot. Events: {events}.",
    )
    common(p)
    p.add_argument("slot", help="port and slot, e.g. 3B or 3.02")
    p.add_argument("event", help=f"one of: {events}")
    p.add_argument("--value", type=int, default=None, help="signal value 0-31")
    p.add_argument("--amount", type=float, default=None, help="top-up amount")

    p = sub.add_parser(
        "health",
        help="is the device serving, and how many SIMs still register (exit 1 if not serving)",
    )
    common(p)
    p.add_argument(
        "--ready-file",
        default=None,
        help="read the URL from the file `serve --ready-file` wrote (the port actually served)",
    )

    p = sub.add_parser("advance", help="move the virtual clock")
    common(p)
    p.add_argument("seconds", type=float)

    p = sub.add_parser("state", help="ports and slots as a table")
    common(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("journal", help="what the device served and pushed")
    common(p)
    p.add_argument("--kind", default=None)
    p.add_argument("--type", default=None)
    p.add_argument("--since", type=int, default=0)
    p.add_argument("--follow", "-f", action="store_true", help="keep printing new entries")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--interval", type=float, default=0.5, help=argparse.SUPPRESS)

    p = sub.add_parser("reset", help="back to the profile's initial state (the clock keeps time)")
    common(p)

    p = sub.add_parser(
        "calls",
        help="voice calls on ports, e.g. calls 3 --count 2 --talk 30-90",
        description="Voice calls on ports; spans are seconds, N or MIN-MAX.",
    )
    common(p)
    p.add_argument("port", help="ports: 1, 1-4, all")
    p.add_argument("--count", type=int, default=None)
    for name in ("interval", "pdd", "ring", "talk"):
        p.add_argument(f"--{name}", type=_span, default=None, metavar="N|MIN-MAX")
    p.add_argument("--alert-ratio", type=float, default=None)
    p.add_argument("--answer-ratio", type=float, default=None)
    p.add_argument("--number", default=None, help="the number called (made up when absent)")

    p = sub.add_parser(
        "hangup",
        help="end the call on the air on a port, e.g. hangup 3 (a DBL line pushes HANGUP)",
    )
    common(p)
    p.add_argument("port", help="one port, e.g. 3")

    p = sub.add_parser(
        "faults", help="list the HTTP and UDP faults and their hits (--clear: remove)"
    )
    common(p)
    p.add_argument(
        "--clear",
        nargs="?",
        type=int,
        const=0,
        default=None,
        metavar="ID",
        help="remove fault ID, or every fault",
    )

    p = sub.add_parser(
        "fault",
        help="an HTTP fault on the device API, e.g. fault error --status 503 --count 3; "
        "with --udp one on a DBL device's datagrams, e.g. fault drop --udp --dir out",
    )
    common(p)
    p.add_argument("action", choices=("error", "drop", "delay", "duplicate"))
    p.add_argument("--udp", action="store_true", help="a UDP fault (drop, delay, duplicate)")
    p.add_argument("--line", type=int, default=None, help="--udp: one line; all when absent")
    p.add_argument("--dir", choices=("in", "out"), default=None, help="--udp: both when absent")
    p.add_argument("--keyword", default=None, help="--udp: e.g. RECEIVE, req, MSG; any when absent")
    p.add_argument("--seconds", type=float, default=None, help="--udp: device seconds of delay")
    p.add_argument("--status", type=int, default=None, help="HTTP status for error (500)")
    p.add_argument("--delay-ms", type=_span, default=None, metavar="MS|MIN-MAX", help="for delay")
    p.add_argument("--endpoint", default=None, help="e.g. goip_post_sms; all when absent")
    p.add_argument("--count", type=int, default=None, help="this many requests")
    p.add_argument("--duration", type=float, default=None, help="device seconds")
    p.add_argument("--fraction", type=float, default=None, help="share of requests, 0-1")

    p = sub.add_parser(
        "send-sms",
        help="send an SMS through the device API (goip_post_sms), e.g. send-sms 1555 hi",
        description="Sends one task through /goip_post_sms.html as a platform would; exits 1 "
        "when the device refuses it.",
    )
    common(p)
    p.add_argument("to", help="recipients, comma-separated")
    p.add_argument("text")
    p.add_argument("--from", dest="ports", default=None, help="ports to send from, e.g. 1-4")
    p.add_argument("--tid", type=int, default=None, help="task id (random when absent)")
    p.add_argument("--sr-url", default=None, help="where the status-report goes")
    _device_login(p)

    p = sub.add_parser(
        "ussd",
        help="dial USSD on a port (goip_send_ussd), e.g. ussd 1 '*123#', then ussd 1 1",
        description="Sends a service code or a menu reply through /goip_send_ussd.html and "
        "prints the network's answer; exits 1 when the device refuses (busy, no SIM...).",
    )
    common(p)
    p.add_argument("port", help="the port, e.g. 1 (1A and 1.01 mean port 1 too)")
    p.add_argument("ussd", help="a service code like '*100#' or a reply like 1")
    p.add_argument("--timeout", type=int, default=None, help="device seconds to wait (120)")
    p.add_argument("--retries", type=int, default=None, help="attempts after a lost answer (3)")
    p.add_argument("--json", action="store_true", help="print the whole answer")
    _device_login(p)

    p = sub.add_parser(
        "at",
        help="an AT command to a port's module (goip_send_at), e.g. at 1 AT+CSQ",
        description="Sends one AT command through /goip_send_at.html and prints what the "
        "module answered, one line each.",
    )
    common(p)
    p.add_argument("port", help="the port, e.g. 1")
    p.add_argument("at", metavar="command", help="the command, e.g. ATI or AT+CIMI")
    p.add_argument("--timeout", type=int, default=None, help="seconds for the final result (10)")
    p.add_argument("--json", action="store_true", help="print the whole answer")
    _device_login(p)


def _device_login(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--username", default=os.environ.get("GOIP_USERNAME", "root"))
    parser.add_argument("--password", default=os.environ.get("GOIP_PASSWORD", "root"))


def _span(text: str) -> float | list[float]:
    """'30' or '30-90' (seconds or milliseconds): a number or [min, max]."""
    low, sep, high = text.partition("-")
    try:
        return [float(low), float(high)] if sep else float(low)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not N or MIN-MAX") from None


VERBS = (
    "health",
    "inject-sms",
    "sim",
    "advance",
    "state",
    "journal",
    "reset",
    "calls",
    "hangup",
    "faults",
    "fault",
    "send-sms",
    "ussd",
    "at",
)


def run_verb(args: argparse.Namespace) -> int:
    try:
        if args.command == "inject-sms":
            body: dict[str, Any] = {"port": args.port, "sender": args.sender, "text": args.text}
            if args.recipient:
                body["recipient"] = args.recipient
            doc = _call(args, "POST", "sms", body)
            if doc.get("outcome") == "refused":
                raise Refused(None, f"SMS refused: {doc.get('reason', '')}")
            _print_json(doc)
        elif args.command == "sim":
            body = {"event": args.event}
            if args.value is not None:
                body["value"] = args.value
            if args.amount is not None:
                body["amount"] = args.amount
            doc = _call(args, "POST", f"sims/{args.slot}", body)
            print(f"{doc['slot']}: {doc['status']}")
        elif args.command == "health":
            if args.ready_file:
                args.url = _ready_url(args.ready_file)
            doc = _call(args, "GET", "health")
            _print_json(doc)
            if doc.get("status") != "ok":
                return EXIT_REFUSED
        elif args.command == "advance":
            doc = _call(args, "POST", "clock/advance", {"seconds": args.seconds})
            print(f"{doc['iso']}  ({doc['fired']} timers fired)")
        elif args.command == "state":
            doc = _call(args, "GET", "state")
            if args.json:
                _print_json(doc)
            else:
                print(state_table(doc))
        elif args.command == "journal":
            return _journal(args)
        elif args.command == "reset":
            _call(args, "POST", "reset", {})
            print("reset")
        elif args.command == "calls":
            return _calls(args)
        elif args.command == "hangup":
            doc = _call(args, "DELETE", f"calls/{urllib.parse.quote(args.port, safe='')}")
            print(f"port {doc['port']}: call with {doc['number']} ended ({doc['cause']})")
        elif args.command in ("faults", "fault"):
            return _faults(args)
        elif args.command == "send-sms":
            return _send_sms(args)
        elif args.command in ("ussd", "at"):
            return _passthrough(args)
    except Refused as exc:
        http = f" (HTTP {exc.status})" if exc.status else ""
        print(f"goip-emulator: refused{http}: {exc.reason}", file=sys.stderr)
        return EXIT_REFUSED
    except Unreachable as exc:
        print(f"goip-emulator: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    return 0


def _ready_url(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as file:
            for line in file:
                if line.startswith("ready "):
                    return line.split()[1]
    except OSError as exc:
        raise Unreachable(f"cannot read {path}: {exc.strerror}") from None
    raise Unreachable(f"{path} names no ready URL yet")


def _call(
    args: argparse.Namespace, method: str, path: str, body: Any = None, query: str = ""
) -> Any:
    """A control API call: its JSON answer, or Refused / Unreachable."""
    return _request(args, method, f"/_emulator/{path}{query}", body)


def _request(args: argparse.Namespace, method: str, path: str, body: Any = None) -> Any:
    url = f"{args.url.rstrip('/')}{path}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if args.token:
        request.add_header("X-Emulator-Token", args.token)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            reason = json.loads(raw).get("reason", raw.decode())
        except (ValueError, AttributeError):
            reason = raw.decode("utf-8", "replace") or exc.reason
        raise Refused(exc.code, str(reason)) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:  # ValueError: not a URL
        why = getattr(exc, "reason", exc)
        raise Unreachable(
            f"nothing answers at {args.url} ({why}); start one with `goip-emulator serve` "
            "or pass --url"
        ) from None
    try:
        return json.loads(raw or b"null")
    except ValueError:
        raise Refused(None, f"the answer is not JSON: {raw[:200]!r}") from None


def state_table(doc: dict[str, Any]) -> str:
    device = doc["device"]
    clock = doc["clock"]
    lines = [
        f"{device['name']}  mac {device['mac']}  ssrc {device['ssrc']}  "
        f"clock {clock['kind']} {clock['iso']}",
        "",
        f"{'port':>4}  {'current':<8} {'state':<24} slots",
    ]
    for port in doc["ports"]:
        current = next(s for s in port["slots"] if s["slot"] == port["current"])
        marks = " ".join(f"{s['slot']}:{s['st']}" for s in port["slots"])
        lines.append(f"{port['port']:>4}  {port['current']:<8} {current['status']:<24} {marks}")
    if doc.get("dbl"):  # a DBL GoIP: each line's talk with its SMS server
        lines += ["", f"{'line':>4}  {'client_id':<10} {'local':>5} {'server':<21} login  "
                  "keepalives pending sessions"]  # fmt: skip
        for line in doc["dbl"]:
            lines.append(
                f"{line['line']:>4}  {line['client_id']:<10} {line['local_port'] or '-':>5} "
                f"{line['server']:<21} {'Y' if line['sms_login'] else 'N':<6} "
                f"{line['keepalive_count']:>10} {len(line['pending']):>7} "
                f"{len(line['sessions']):>8}"
            )
    return "\n".join(lines)


def entry_line(entry: dict[str, Any]) -> str:
    stamp = time.strftime("%H:%M:%S", time.gmtime(entry["t"]))
    kind, type_ = entry["kind"], entry["type"]
    if kind == "request":
        detail = f"{entry.get('method', '')} {entry.get('path', '')} -> {entry.get('status', '')}"
        if entry.get("outcome"):
            detail += f" ({entry['outcome']})"
    elif kind == "callback":
        detail = (
            f"{entry.get('outcome', '')} to {entry.get('url', '')} "
            f"attempt {entry.get('attempt', '')}"
        )
    else:
        detail = " ".join(
            f"{k}={v}"
            for k, v in entry.items()
            if k not in ("id", "t", "kind", "type", "answer", "body", "query")
        )
    return f"{entry['id']:>6} {stamp} {kind:<8} {type_:<20} {detail}"


def _journal(args: argparse.Namespace) -> int:
    since = args.since
    while True:
        query = f"?since={since}"
        if args.kind:
            query += f"&kind={args.kind}"
        if args.type:
            query += f"&type={args.type}"
        doc = _call(args, "GET", "journal", query=query)
        for entry in doc["entries"]:
            print(
                json.dumps(entry, ensure_ascii=False) if args.json else entry_line(entry),
                flush=True,
            )
            since = max(since, entry["id"])
        if not args.follow:
            return 0
        since = max(since, doc["last_id"]) if not doc["entries"] else since
        try:
            time.sleep(args.interval)
        except KeyboardInterrupt:
            return 0


def _calls(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"port": args.port}
    names = ("count", "interval", "pdd", "ring", "talk", "alert_ratio", "answer_ratio", "number")
    for name in names:
        value = getattr(args, name)
        if value is not None:
            body[name] = value
    doc = _call(args, "POST", "calls", body)
    placed = args.count or 1
    for port in doc["ports"]:
        print(f"port {port}: {placed} call(s) placed")
    return 0


def _faults(args: argparse.Namespace) -> int:
    if args.command == "fault":
        body: dict[str, Any] = {"action": args.action}
        own = (
            ("line", "dir", "keyword", "seconds")
            if args.udp
            else ("status", "delay_ms", "endpoint")
        )
        for name in (*own, "count", "duration", "fraction"):
            value = getattr(args, name)
            if value is not None:
                body[name] = value
        print(fault_line(_call(args, "POST", "faults", {"udp": body} if args.udp else body)))
    elif args.clear is not None:
        path = f"faults/{args.clear}" if args.clear else "faults"
        print(f"{_call(args, 'DELETE', path)['cleared']} fault(s) cleared")
    else:
        for fault in _call(args, "GET", "faults")["faults"]:
            print(fault_line(fault))
    return 0


def fault_line(fault: dict[str, Any]) -> str:
    udp = fault.get("udp")
    if isinstance(udp, dict):
        what = f"udp {udp['action']}"
        if udp.get("seconds"):
            what += f" {udp['seconds']} s"
        where = " ".join(
            part
            for part in (
                udp.get("dir") or "in+out",
                udp.get("keyword") or "",
                f"line {udp['line']}" if udp.get("line") else "every line",
            )
            if part
        )
        limits = [f"on {where}"]
        rule = udp
    else:
        what = fault["action"]
        if what == "error":
            what += f" {fault.get('status')}"
        elif what == "delay":
            what += f" {fault.get('delay_ms')} ms"
        limits = [f"on {fault.get('endpoint') or 'every endpoint'}"]
        rule = fault
    if fault.get("remaining") is not None:
        limits.append(f"{fault['remaining']} left")
    if rule.get("fraction", 1) != 1:
        limits.append(f"fraction {rule['fraction']}")
    state = "active" if fault.get("active") else "spent"
    return f"#{fault['id']} {what} {' '.join(limits)}, {fault.get('hits', 0)} hit(s), {state}"


def _send_sms(args: argparse.Namespace) -> int:
    # A random tid: two quick runs must not meet "13 Duplicated TaskId".
    tid = args.tid if args.tid is not None else random.randint(1, 2**31 - 1)
    task: dict[str, Any] = {"tid": tid, "to": args.to, "sms": args.text}
    if args.ports:
        task["from"] = args.ports
    body: dict[str, Any] = {"type": "send-sms", "task_num": 1, "tasks": [task]}
    if args.sr_url:
        body["sr_url"] = args.sr_url
    query = urllib.parse.urlencode({"username": args.username, "password": args.password})
    doc = _request(args, "POST", f"/goip_post_sms.html?{query}", body)
    if not isinstance(doc, dict) or doc.get("code") not in (0, 200):
        reason = doc.get("reason", doc) if isinstance(doc, dict) else doc
        code = doc.get("code") if isinstance(doc, dict) else "?"
        raise Refused(None, f"code {code}: {reason}")
    [answer] = doc["status"]
    if not str(answer["status"]).startswith("0 "):
        raise Refused(None, f"tid {answer['tid']}: {answer['status']}")
    print(f"tid {answer['tid']}: {answer['status']}")
    return 0


def _passthrough(args: argparse.Namespace) -> int:
    """ussd / at: every value percent-encoded whole, so `+` and `#` arrive as typed."""
    params: dict[str, Any] = {"username": args.username, "password": args.password}
    params["port"] = args.port
    if args.command == "ussd":
        params.update(ussd=args.ussd, timeout=args.timeout, retries=args.retries)
    else:
        params.update(at=args.at, timeout=args.timeout)
    query = urllib.parse.urlencode(
        {k: v for k, v in params.items() if v is not None}, quote_via=urllib.parse.quote
    )
    doc = _request(args, "GET", f"/goip_send_{args.command}.html?{query}")
    if not isinstance(doc, dict) or doc.get("code") != 0:
        reason = doc.get("reason", doc) if isinstance(doc, dict) else doc
        code = doc.get("code") if isinstance(doc, dict) else "?"
        raise Refused(None, f"code {code}: {reason}")
    if args.json:
        _print_json(doc)
    else:
        lines = str(doc.get("resp", "")).replace("\r\n", "\n").strip("\n")
        print(
            "\n".join(line for line in lines.split("\n") if line) if args.command == "at" else lines
        )
    return 0


def _print_json(doc: Any) -> None:
    print(json.dumps(doc, ensure_ascii=False, indent=2))
