"""The one exception type whose code and reason reach the wire.

Handlers raise `ApiError`; the web layer renders it in the endpoint's envelope
(`{"code": ..., "reason": ...}`) with its HTTP status. Nobody builds error JSON
by hand (STYLE.md, convention 4).
"""

from __future__ import annotations


class ApiError(Exception):
    """An answer other than success: `code`/`reason` in the body, `http_status` on the wire."""

    def __init__(self, code: int, reason: str, http_status: int = 200) -> None:
        self.code = code
        self.reason = reason
        self.http_status = http_status
        super().__init__(f"{code} {reason}")

    @classmethod
    def bad_request(cls, reason: str) -> ApiError:
        """Input that is not JSON or has the wrong shape (INTERPRETATION.md, Envelopes)."""
        return cls(400, reason, 400)

    def envelope(self) -> dict[str, object]:
        return {"code": self.code, "reason": self.reason}


def unauthorized(desc: str) -> ApiError:
    """A request inside a security session that the session refuses (spec 3, code 14)."""
    return ApiError(14, f"Unauthorized: {desc}")


REFUSED_CODES = frozenset({1, 14})  # the codes of a request that did not authenticate


def invalid_user() -> ApiError:
    """Wrong or missing credentials: HTTP 200 and a non-success code (INTERPRETATION.md)."""
    return ApiError(1, "Invalid User")


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
