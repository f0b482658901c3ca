"""CLI verbs that talk to a running emulator's control API (for people at the keyboard).

Exit codes scripts can use: 0 done, 1 the emulator refused (its reason is printed),
2 bad arguments, 3 nothing answers at --url.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from typing import Any

DEFAULT_URL = os.environ.get("GOIP_URL", "http://127.0.0.1:8080")
EXIT_REFUSED, EXIT_UNREACHABLE = 1, 3


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
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

    p = sub.add_parser("sim", help="a SIM event on a slot, e.g. sim 3B block")
    common(p)
    p.add_argument("slot")
    p.add_argument("event")
    p.add_argument("--value", type=int, default=None, help="signal value 0-31")
    p.add_argument("--amount", type=float, default=None, help="top-up amount")

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


VERBS = ("inject-sms", "sim", "advance", "state", "journal")


def run_verb(args: argparse.Namespace) -> int:
    try:
        if args.command == "inject-sms":
            body: dict[str, Any] = {"port": args.port, "sender": args.sender, "text": args.text}
            if args.recipient:
                body["recipient"] = args.recipient
            _print_json(_call(args, "POST", "sms", body))
        elif args.command == "sim":
            body = {"event": args.event}
            if args.value is not None:
                body["value"] = args.value
            if args.amount is not None:
                body["amount"] = args.amount
            doc = _call(args, "POST", f"sims/{args.slot}", body)
            print(f"{doc['slot']}: {doc['status']}")
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
    except Refused as exc:
        print(f"goip-emulator: refused (HTTP {exc.status}): {exc.reason}", file=sys.stderr)
        return EXIT_REFUSED
    except Unreachable as exc:
        print(f"goip-emulator: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    return 0


def _call(
    args: argparse.Namespace, method: str, path: str, body: Any = None, query: str = ""
) -> Any:
    url = f"{args.url.rstrip('/')}/_emulator/{path}{query}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if args.token:
        request.add_header("X-Emulator-Token", args.token)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            reason = json.loads(raw).get("reason", raw.decode())
        except (ValueError, AttributeError):
            reason = raw.decode("utf-8", "replace") or exc.reason
        raise Refused(exc.code, str(reason)) from None
    except (urllib.error.URLError, OSError) as exc:
        why = getattr(exc, "reason", exc)
        raise Unreachable(
            f"nothing answers at {args.url} ({why}); start one with `goip-emulator serve` "
            "or pass --url"
        ) from None


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


def _print_json(doc: Any) -> None:
    print(json.dumps(doc, ensure_ascii=False, indent=2))
