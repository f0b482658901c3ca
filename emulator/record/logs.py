"""structlog set-up: one event per line, console or JSON, never a password.

Everything that reaches stderr goes through structlog, the standard library's loggers
too: aiohttp's (`aiohttp.server`, `aiohttp.access`, ...), asyncio's ("Task exception was
never retrieved"), warnings and an uncaught exception. So under `--log-format json`
every line is a JSON object. aiohttp's message about a malformed request shows the
request's raw bytes, password and all: of those only the error's class and status
are kept.
"""

from __future__ import annotations

import logging
import sys
from types import TracebackType
from typing import Any

import structlog
from aiohttp.http_exceptions import HttpProcessingError

from emulator.record.journal import scrub

_SECRETS = frozenset({"password", "auth", "token", "control_token"})


def _redact(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    for key, value in event.items():
        if key in _SECRETS:
            event[key] = "***"
        elif isinstance(value, str):
            event[key] = scrub(value)
    return event


class _ToStructlog(logging.Handler):
    """A standard-library record as a structlog event, on the same stream in the same format."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            fields: dict[str, Any] = {"logger": record.name}
            exc = record.exc_info[1] if record.exc_info else None
            level = record.levelno
            if isinstance(exc, HttpProcessingError):
                # The client's mistake, not a bug (info at most: a scan must not flood the
                # errors): no traceback, and not its message, which quotes the request.
                event = "http_error"
                fields.update(error=type(exc).__name__, status=exc.code)
                level = min(level, logging.INFO)
            else:
                event = record.getMessage()
                if record.exc_info:
                    fields["exc_info"] = record.exc_info
            structlog.get_logger(record.name).log(level, event, **fields)
        except Exception:
            self.handleError(record)


def _uncaught(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    structlog.get_logger("emulator").critical("uncaught_exception", exc_info=(kind, exc, tb))


def configure(fmt: str = "console", level: str = "info") -> None:
    """Logs go to stderr so stdout stays for the `ready` lines scripts wait for."""
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    number = logging.getLevelNamesMapping()[level.upper()]
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            _redact,  # after the traceback is text, so it is scrubbed too
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(number),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not isinstance(h, _ToStructlog)]
    root.addHandler(_ToStructlog())
    root.setLevel(number)
    logging.captureWarnings(True)
    sys.excepthook = _uncaught
