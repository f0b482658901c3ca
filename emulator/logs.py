"""structlog set-up: one event per line, console or JSON, never a password."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

_SECRETS = frozenset({"password", "auth", "token", "control_token"})


def _redact(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    for key in _SECRETS & event.keys():
        event[key] = "***"
    return event


def configure(fmt: str = "console", level: str = "info") -> None:
    """Logs go to stderr so stdout stays for the `ready` lines scripts wait for."""
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
