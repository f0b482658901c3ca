"""The command line: serve, validate, profiles, sink (DESIGN.md, "Command line")."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import ipaddress
import os
import signal
import sys
from pathlib import Path

import structlog

from emulator import __version__
from emulator.client.verbs import VERBS, add_verbs, run_verb
from emulator.config.dbl import AddressError, parse_address
from emulator.config.profile import ProfileError, bundled_profiles, load_profile
from emulator.record.logs import configure

CLOCKS = ("real", "virtual")
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="goip-emulator",
        description="An EJOIN/GoIP multi-SIM SMS gateway emulator serving the device HTTP API.",
    )
    parser.add_argument("--version", action="version", version=f"goip-emulator {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve one device (or a fleet) from a profile")
    env = os.environ.get
    serve.add_argument(
        "--profile", default=env("GOIP_PROFILE"), help="bundled profile name or YAML path"
    )
    serve.add_argument(
        "--host", default=env("GOIP_HOST", "127.0.0.1"), help="address to bind (127.0.0.1)"
    )
    # GOIP_PORT and GOIP_CLOCK are read when serve runs: a bad value is serve's error,
    # not a traceback of every command.
    serve.add_argument(
        "--port", type=int, default=None, help="0 picks a free port (GOIP_PORT, 8080)"
    )
    serve.add_argument("--devices", type=int, default=1, help="fleet size; device i on port+i")
    serve.add_argument(
        "--control-token",
        default=env("GOIP_CONTROL_TOKEN"),
        help="protect /_emulator/ with this token (overrides the profile's)",
    )
    serve.add_argument(
        "--clock", choices=CLOCKS, default=None, help="real or virtual (GOIP_CLOCK, real)"
    )
    serve.add_argument(
        "--speed", type=float, default=None, help="the real clock runs X times faster (1)"
    )
    serve.add_argument("--seed", type=int, default=None, help="overrides the profile's seed")
    serve.add_argument(
        "--sms-server",
        default=None,
        metavar="HOST:PORT",
        help="DBL profiles: the SMS server every line talks to (overrides dbl.server)",
    )
    serve.add_argument(
        "--sms-local-port",
        type=int,
        default=None,
        metavar="PORT",
        help="DBL profiles: line n binds PORT+n-1; 0 any free port (overrides dbl.local_port)",
    )
    serve.add_argument(
        "--state-dir",
        type=Path,
        default=env("GOIP_STATE_DIR") or None,
        help="keep what the device keeps in flash here across restarts (none: factory-fresh)",
    )
    serve.add_argument(
        "--ready-file",
        default=env("GOIP_READY_FILE") or None,
        help="also write the ready lines to this file (a health check reads the port there)",
    )
    serve.add_argument(
        "--no-front",
        action="store_true",
        help="let aiohttp serve every request, not only what the fast front passes on",
    )
    serve.add_argument("--log-format", choices=("console", "json"), default="console")
    serve.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))

    validate = sub.add_parser("validate", help="check profiles; errors name file:line and field")
    validate.add_argument("paths", nargs="+")

    sub.add_parser("profiles", help="list the bundled profiles")

    sink = sub.add_parser("sink", help="a callback receiver that prints what arrives")
    sink.add_argument("--host", default="127.0.0.1")
    sink.add_argument("--port", type=int, default=9000)
    sink.add_argument("--json", action="store_true", help="one JSON object per line")
    sink.add_argument(
        "--udp",
        type=int,
        default=None,
        metavar="PORT",
        help="play a DBL GoIP's SMS server on this UDP port instead (0: any): print and ack",
    )

    add_verbs(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        code = _dispatch(args)
        sys.stdout.flush()  # a closed pipe is found here, not at exit
    except BrokenPipeError:
        # The reader went away (`state --json | head`): like any Unix tool, stop quietly.
        # stdout goes to /dev/null so the interpreter's flush at exit finds nothing to say.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a tool killed by it
    return code


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "serve":
        return _serve(args)
    if args.command == "validate":
        return _validate(args.paths)
    if args.command == "profiles":
        return _profiles()
    if args.command in VERBS:
        try:
            return run_verb(args)
        except KeyboardInterrupt:
            return 130
    if args.command == "sink":
        from emulator.client.sink import run_sink, run_udp_sink

        if args.udp is not None:
            return run_udp_sink(args.host, args.udp, as_json=args.json)
        return run_sink(args.host, args.port, as_json=args.json)
    return 2


def _usage_error(message: str) -> int:
    print(f"goip-emulator: {message}", file=sys.stderr)
    return EXIT_USAGE


def _serve(args: argparse.Namespace) -> int:
    """Startup problems are one line on stderr and exit code 2, never a traceback."""
    if args.port is None:
        raw = os.environ.get("GOIP_PORT", "8080")
        try:
            args.port = int(raw)
        except ValueError:
            return _usage_error(f"GOIP_PORT={raw!r} is not a port number (0-65535)")
    if args.clock is None:
        args.clock = os.environ.get("GOIP_CLOCK", "real")
        if args.clock not in CLOCKS:
            return _usage_error(f"GOIP_CLOCK={args.clock!r} is not one of {', '.join(CLOCKS)}")
    if args.speed is not None and args.clock == "virtual":
        return _usage_error(
            "--speed applies to the real clock; a virtual clock moves only when told "
            "(/_emulator/clock/advance)"
        )
    speed = 1.0 if args.speed is None else args.speed
    if speed <= 0:
        return _usage_error(f"--speed must be positive, got {speed}")
    if args.devices < 1:
        return _usage_error(f"--devices must be at least 1, got {args.devices}")
    if not 0 <= args.port <= 65535:
        return _usage_error(f"--port {args.port} is outside 0-65535")
    if args.port and args.port + args.devices - 1 > 65535:
        return _usage_error(f"--devices {args.devices} from port {args.port} go beyond 65535")
    configure(args.log_format, args.log_level)
    log = structlog.get_logger("emulator")
    try:
        profile = load_profile(args.profile)
    except ProfileError as exc:
        more = len(exc.problems) - 1
        tail = f" (and {more} more: goip-emulator validate shows them all)" if more > 0 else ""
        first = exc.problems[0] if exc.problems else str(exc)
        return _usage_error(f"cannot load profile: {first}{tail}")
    if args.control_token:
        device = profile.device.model_copy(update={"control_token": args.control_token})
        profile = profile.model_copy(update={"device": device})
    dbl_changes: dict[str, object] = {}
    if args.sms_server is not None:
        try:
            parse_address(args.sms_server)
        except AddressError as exc:
            return _usage_error(f"--sms-server: {exc}")
        dbl_changes["server"] = args.sms_server
    if args.sms_local_port is not None:
        if not 0 <= args.sms_local_port <= 65535:
            return _usage_error(f"--sms-local-port {args.sms_local_port} is outside 0-65535")
        dbl_changes["local_port"] = args.sms_local_port
    if dbl_changes:
        if profile.device.personality != "dbl":
            flags = " and ".join(
                f"--{name.replace('_', '-')}" for name in ("sms_server", "sms_local_port")
                if getattr(args, name) is not None
            )  # fmt: skip
            return _usage_error(
                f"{flags}: profile {profile.name!r} is not a DBL GoIP device "
                "(device.personality: dbl)"
            )
        profile = profile.model_copy(update={"dbl": profile.dbl.model_copy(update=dbl_changes)})

    from emulator.dbl.server import UdpBindError
    from emulator.record.flash import FlashError
    from emulator.runtime import Server

    async def run() -> int:
        server = Server(
            profile,
            host=args.host,
            port=args.port,
            devices=args.devices,
            clock=args.clock,
            speed=speed,
            seed=args.seed,
            front=not args.no_front,
            state_dir=args.state_dir,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        try:
            urls = await server.start()
        except FlashError as exc:
            print(f"goip-emulator: {exc}", file=sys.stderr)
            await server.stop()
            return 2
        except UdpBindError as exc:
            await server.stop()
            return _usage_error(str(exc.strerror))
        except OSError as exc:
            await server.stop()
            why = exc.strerror or str(exc)
            return _usage_error(f"cannot listen on {args.host}:{args.port}: {why}")
        if server.runtime.seed is None:  # logged once serving: a refused start stays one line
            log.info(
                "seed_drawn", seed=server.runtime.effective_seed, hint="--seed N repeats this run"
            )
        log.info(
            "serving",
            profile=profile.name,
            devices=len(urls),
            clock=args.clock,
            speed=speed,
            seed=server.runtime.effective_seed,
            state_dir=str(args.state_dir) if args.state_dir else None,
        )
        if not profile.device.control_token and not _is_loopback(args.host):
            log.warning(
                "control_api_unprotected",
                host=args.host,
                hint="anyone who can reach this address can inject SMS and faults, reset "
                "the device and read the journal under /_emulator/; set --control-token",
            )
        # Everything built so far lives as long as the process: keep the collector off it.
        # Every queued task leaves a few objects the collector walks until the task is
        # done. A young generation of 5,000 keeps each pass under a few ms (50,000 took
        # 6-30 ms and set p99 under load, bench P1); 200 such passes before the middle
        # generation bounds its passes to a million objects.
        gc.collect()
        gc.freeze()
        gc.set_threshold(5_000, 200, 100)
        if args.ready_file:  # before `ready` is printed: whoever sees it may read the file
            _write_ready(args.ready_file, urls)
        for url in urls:
            print(f"ready {url}", flush=True)
        await stop.wait()
        log.info("stopping")
        await server.stop()
        return 0

    try:
        return asyncio.run(run())
    except KeyboardInterrupt:  # Ctrl-C before the signal handlers are in place
        return 130


def _write_ready(path: str, urls: list[str]) -> None:
    """The ready lines in a file, whole or not at all (a health check may read it now)."""
    temp = f"{path}.{os.getpid()}.tmp"
    with open(temp, "w", encoding="utf-8") as file:
        file.writelines(f"ready {url}\n" for url in urls)
    os.replace(temp, path)


def _is_loopback(host: str) -> bool:
    """Whether only this machine can reach `host`; a name other than localhost may not be."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _validate(paths: list[str]) -> int:
    failed = 0
    for path in paths:
        try:
            profile = load_profile(path)
        except ProfileError as exc:
            failed += 1
            print(exc, file=sys.stderr)
        else:
            ports, slots = profile.device.ports, profile.device.slots
            print(
                f"{path}: ok ({profile.name}: {ports} port{'s' * (ports != 1)} x "
                f"{slots} slot{'s' * (slots != 1)})"
            )
    return 1 if failed else 0


def _profiles() -> int:
    for name, path in bundled_profiles().items():
        try:
            profile = load_profile(str(path))
            summary = profile.description.strip().splitlines()[0] if profile.description else ""
            print(f"{name:20} {profile.device.ports}x{profile.device.slots}  {summary}")
        except ProfileError as exc:
            print(f"{name:20} INVALID: {exc.problems[0]}")
    return 0
