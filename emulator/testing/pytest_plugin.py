"""The pytest plugin (entry point `pytest11`): emulator and receiver fixtures.

Async fixtures, in the test's event loop:
  goip_emulator          an Emulator (default profile, virtual clock), started
  goip_receiver          a CallbackReceiver recording what the emulator pushes
  goip_emulator_factory  `await goip_emulator_factory(profile=..., seed=..., clock=...)`
  goip_sms_server        an SmsServer (UDP, 127.0.0.1) that answers keepalives and acks pushes
  goip_dbl               an Emulator of a DBL GoIP-8 (profile dbl-goip8) whose lines talk
                         to goip_sms_server, on free UDP ports
Sync fixtures, on a thread and event loop of their own (requests, Django, Celery):
  goip_emulator_sync, goip_receiver_sync, goip_emulator_sync_factory,
  goip_sms_server_sync, goip_dbl_sync

`@pytest.mark.goip(profile="goip8", seed=3, clock="real")` sets up goip_emulator and
goip_emulator_sync for one test (or a module, with `pytestmark`); goip_dbl and
goip_dbl_sync take its options too (profile: a DBL one, dbl-goip8 when absent).

Async fixtures are pytest-asyncio fixtures, so they work under its strict and auto
modes and under pytest-aiohttp (which runs on pytest-asyncio). An `async def` test that
asks for one of them directly is an asyncio test: the plugin marks it
`@pytest.mark.asyncio` when nothing else claims it, so strict mode needs no marker.

The emulator logs warnings and errors only (structlog), unless the project configured
structlog itself; `--goip-log-level` or the ini option `goip_log_level` changes it.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
import structlog

from emulator.record.logs import configure
from emulator.testing import (
    CallbackReceiver,
    Emulator,
    SmsServer,
    SyncCallbackReceiver,
    SyncEmulator,
    SyncSmsServer,
)

try:
    import pytest_asyncio

    async_fixture: Any = pytest_asyncio.fixture
except ImportError:  # anyio or another plugin may still run plain async fixtures
    async_fixture = pytest.fixture

ASYNC_FIXTURES = frozenset(
    {"goip_emulator", "goip_receiver", "goip_emulator_factory", "goip_sms_server", "goip_dbl"}
)
DBL_PROFILE = "dbl-goip8"
# Markers of the async test runners: a test carrying one is theirs, not ours to mark.
RUNNER_MARKS = frozenset({"asyncio", "anyio", "trio"})
LOG_LEVELS = ("debug", "info", "warning", "error")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("goip-emulator")
    group.addoption(
        "--goip-log-level",
        default=None,
        choices=LOG_LEVELS,
        help="log level of the emulator's fixtures (default: ini goip_log_level, warning)",
    )
    parser.addini("goip_log_level", "log level of the emulator's fixtures", default="warning")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "goip(profile=None, *, clock='virtual', seed=None, devices=1, speed=1.0): "
        "how goip_emulator and goip_emulator_sync are set up for this test",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(
    collector: pytest.Module | pytest.Class, name: str, obj: object
) -> None:
    """Mark `async def` tests that ask for an async goip fixture as asyncio tests.

    Done on the function before pytest-asyncio looks at it, as if the test carried the
    decorator: strict mode then runs it like auto mode does.
    """
    if not inspect.iscoroutinefunction(obj) or not collector.funcnamefilter(name):
        return
    marks = {m.name for m in getattr(obj, "pytestmark", [])}
    marks |= {m.name for m in collector.iter_markers()}
    if marks & RUNNER_MARKS or not collector.config.pluginmanager.hasplugin("asyncio"):
        return
    try:
        wanted = set(inspect.signature(obj).parameters)
    except (TypeError, ValueError):
        return
    if wanted & ASYNC_FIXTURES:
        pytest.mark.asyncio(obj)


def _quiet_logs(config: pytest.Config) -> None:
    """The emulator's logs at the chosen level, unless the project set structlog up."""
    if structlog.is_configured():
        return
    level = config.getoption("goip_log_level") or config.getini("goip_log_level") or "warning"
    if level not in LOG_LEVELS:
        raise pytest.UsageError(f"goip_log_level: {level!r} is not one of {', '.join(LOG_LEVELS)}")
    configure("console", level)


def _options(request: pytest.FixtureRequest) -> tuple[tuple[Any, ...], dict[str, Any]]:
    marker = request.node.get_closest_marker("goip")
    if marker is None:
        return (), {}
    return marker.args, dict(marker.kwargs)


@async_fixture
async def goip_emulator(request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
    """A 32x4 GoIP on the default profile and a virtual clock, serving on 127.0.0.1."""
    _quiet_logs(request.config)
    args, kwargs = _options(request)
    async with Emulator(*args, **kwargs) as gw:
        yield gw


@async_fixture
async def goip_receiver() -> AsyncIterator[CallbackReceiver]:
    """A callback receiver on 127.0.0.1 recording what the emulator pushes."""
    async with CallbackReceiver() as receiver:
        yield receiver


@async_fixture
async def goip_emulator_factory(
    request: pytest.FixtureRequest,
) -> AsyncIterator[Callable[..., Awaitable[Emulator]]]:
    """`await goip_emulator_factory("goip8", seed=3)`: started now, stopped after the test."""
    _quiet_logs(request.config)
    started: list[Emulator] = []

    async def make(profile: Any = None, **options: Any) -> Emulator:
        gw = await Emulator(profile, **options).__aenter__()
        started.append(gw)
        return gw

    yield make
    for gw in reversed(started):
        await gw.__aexit__(None, None, None)


@async_fixture
async def goip_sms_server() -> AsyncIterator[SmsServer]:
    """An SMS server on 127.0.0.1 (UDP): logs the lines in, acks their pushes, records all."""
    async with SmsServer() as server:
        yield server


def _dbl_options(request: pytest.FixtureRequest) -> tuple[tuple[Any, ...], dict[str, Any]]:
    args, kwargs = _options(request)
    if not args and kwargs.get("profile") is None:
        kwargs["profile"] = DBL_PROFILE
    return args, kwargs


@async_fixture
async def goip_dbl(
    request: pytest.FixtureRequest, goip_sms_server: SmsServer
) -> AsyncIterator[Emulator]:
    """A DBL GoIP-8 on a virtual clock whose lines talk to goip_sms_server; its first
    keepalives go out at 1 s of device time (`await goip_dbl.advance(1)`)."""
    _quiet_logs(request.config)
    args, kwargs = _dbl_options(request)
    async with Emulator(*args, sms_server=goip_sms_server.address, **kwargs) as gw:
        yield gw


@pytest.fixture
def goip_sms_server_sync() -> Iterator[SyncSmsServer]:
    """goip_sms_server on a thread and loop of its own, read with plain calls."""
    with SyncSmsServer() as server:
        yield server


@pytest.fixture
def goip_dbl_sync(
    request: pytest.FixtureRequest, goip_sms_server_sync: SyncSmsServer
) -> Iterator[SyncEmulator]:
    """goip_dbl on a thread and loop of its own, talking to goip_sms_server_sync."""
    _quiet_logs(request.config)
    args, kwargs = _dbl_options(request)
    with SyncEmulator(*args, sms_server=goip_sms_server_sync.address, **kwargs) as gw:
        yield gw


@pytest.fixture
def goip_emulator_sync(request: pytest.FixtureRequest) -> Iterator[SyncEmulator]:
    """goip_emulator on its own thread and loop, for blocking code (requests, Django)."""
    _quiet_logs(request.config)
    args, kwargs = _options(request)
    with SyncEmulator(*args, **kwargs) as gw:
        yield gw


@pytest.fixture
def goip_receiver_sync(goip_emulator_sync: SyncEmulator) -> SyncCallbackReceiver:
    """A callback receiver served beside goip_emulator_sync, read with plain calls."""
    return goip_emulator_sync.receiver()


@pytest.fixture
def goip_emulator_sync_factory(
    request: pytest.FixtureRequest,
) -> Iterator[Callable[..., SyncEmulator]]:
    """`goip_emulator_sync_factory("goip8", seed=3)`: started now, stopped after the test."""
    _quiet_logs(request.config)
    started: list[SyncEmulator] = []

    def make(profile: Any = None, **options: Any) -> SyncEmulator:
        gw = SyncEmulator(profile, **options).start()
        started.append(gw)
        return gw

    yield make
    for gw in reversed(started):
        gw.stop()
