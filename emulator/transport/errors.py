"""The one exception type whose code and reason reach the wire.

Handlers raise `ApiError`; the web layer renders it in the endpoint's envelope
(`{"code": ..., "reason": ...}`) with its HTTP status. Nobody builds error JSON
by hand (STYLE.md, convention 4).
"""

from __future__ import annotations

from emulator.core.codes import TaskStatus


class ApiError(Exception):
    """An answer other than success: `code`/`reason` in the body, `http_status` on the wire."""

    def __init__(self, code: int, reason: str, http_status: int = 200) -> None:
        self.code = code
        self.reason = reason
        self.http_status = http_status
        super().__init__(f"{code} {reason}")

    @classmethod
    def refused(cls, status: TaskStatus, detail: str = "") -> ApiError:
        """A refusal in the spec's codes (6.3.1.4): "<code> <reason>[: detail]", HTTP 200."""
        return cls(int(status), f"{status.reason}: {detail}" if detail else status.reason)

    @classmethod
    def http(cls, status: int, reason: str) -> ApiError:
        """A refusal of the emulator's own API, told by its HTTP status (401, 404, 409...)."""
        return cls(status, reason, status)

    @classmethod
    def server_error(cls) -> ApiError:
        """A bug: the spec's code 7 and HTTP 500, so the property tests see it."""
        return cls(int(TaskStatus.SERVER_ERROR), TaskStatus.SERVER_ERROR.reason, 500)

    @classmethod
    def bad_request(cls, reason: str) -> ApiError:
        """Input that is not JSON or has the wrong shape (INTERPRETATION.md, Envelopes)."""
        return cls(400, reason, 400)

    def envelope(self) -> dict[str, object]:
        return {"code": self.code, "reason": self.reason}


def unauthorized(desc: str) -> ApiError:
    """A request inside a security session that the session refuses (spec 3, code 14)."""
    return ApiError.refused(TaskStatus.UNAUTHORIZED, desc)


REFUSED_CODES = frozenset(
    {TaskStatus.INVALID_USER, TaskStatus.UNAUTHORIZED}
)  # the codes of a request that did not authenticate


def invalid_user() -> ApiError:
    """Wrong or missing credentials: HTTP 200 and a non-success code (INTERPRETATION.md)."""
    return ApiError.refused(TaskStatus.INVALID_USER)


def validation_reason(exc: Exception) -> str:
    """One line naming each bad field of a pydantic ValidationError."""
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return str(exc)
    parts = []
    for error in exc.errors()[:5]:
        field = ".".join(str(p) for p in error["loc"]) or "body"
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"{field}: {message}")
    more = len(exc.errors()) - 5
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)
