"""The device's table of security sessions (spec 3.1, 3.2).

Pure: time comes in as `now` (seconds, from the device's clock) and the
session ids from an injected source, so a seeded device hands out the same ids
on every run. The table checks the handshake (3.2.1) and every later request
(3.2.3); the cipher key of a request is `crypto.cipher_key`, kept there so the
client helper and the device compute it in one place.

`SessionError.code` is the `code` of the handshake answer (3.2.2, 0 is
success) and of a refused request; `desc` says what was wrong:

    code  meaning
    1     unknown user, or a handshake auth that does not match (also: the
          user of a session no longer exists)
    2     crypt is not one of none, xor, rc4, aes-ecb
    3     unknown session (never opened, evicted, or forgotten by a reboot)
    4     session expired
    5     seq not greater than the session's last one (replay or out of order)
    6     request auth does not match
    7     expires is not a whole number of seconds >= 1
    8     seq is not a whole number >= 0
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import IntEnum

from emulator.core.crypto import HANDSHAKE_RESOURCE, Crypt, initial_auth, request_auth

DEFAULT_EXPIRES = 180  # spec 3.2.1
# A lifetime longer than a day is clamped rather than refused: the answer's
# `expires` tells the client what it got (3.2.2), and no real client needs more.
MAX_EXPIRES = 86_400
# How many fresh ids to draw before concluding the id source is broken.
_ID_ATTEMPTS = 16

Credentials = Callable[[str], str | None]


class SessionCode(IntEnum):
    """Why a handshake or a request in a session was refused (module table above)."""

    INVALID_USER = 1
    UNKNOWN_CRYPT = 2
    UNKNOWN_SESSION = 3
    SESSION_EXPIRED = 4
    REPLAYED_SEQ = 5
    INVALID_AUTH = 6
    BAD_EXPIRES = 7
    BAD_SEQ = 8


class SessionError(Exception):
    """A refused handshake or session request; `code` and `desc` go on the wire (3.2.2)."""

    def __init__(self, code: SessionCode, desc: str) -> None:
        super().__init__(f"{int(code)} {desc}")
        self.code: int = int(code)
        self.desc = desc


@dataclass(frozen=True, slots=True)
class Session:
    """One security session as the device holds it (spec 3.2.2).

    Frozen: the table replaces an entry only once a request has passed every
    check, so a refused request cannot leave it half updated.
    """

    session: str
    username: str
    crypt: Crypt
    expires: int
    expires_at: float
    last_seq: int | None
    created_at: float

    def expired(self, now: float) -> bool:
        return now >= self.expires_at


def counter_ids(prefix: str = "s") -> Callable[[], str]:
    """Session ids s1, s2, ... for tests that want to read them."""
    counter = itertools.count(1)
    return lambda: f"{prefix}{next(counter)}"


def random_ids(rng: random.Random) -> Callable[[], str]:
    """16-hex-digit session ids from the device's seeded random source."""
    return lambda: f"{rng.getrandbits(64):016x}"


class SessionTable:
    """The sessions a device holds, at most `max_sessions` of them (spec 3.1)."""

    def __init__(self, *, session_id_source: Callable[[], str], max_sessions: int = 64) -> None:
        if max_sessions < 1:
            raise ValueError(f"max_sessions must be at least 1, not {max_sessions}")
        self._new_id = session_id_source
        self.max_sessions = max_sessions
        self._sessions: dict[str, Session] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def get(self, session_id: str) -> Session | None:
        """The session as held now, expired or not; for inspection, not for authorising."""
        return self._sessions.get(session_id)

    def open(
        self,
        username: str,
        cnonce: str,
        auth: str,
        crypt: str | None,
        expires: int | str | None,
        now: float,
        credentials: Credentials,
        url_resource: str = HANDSHAKE_RESOURCE,
    ) -> Session:
        """Check a handshake and open a session (spec 3.2.1, 3.3.1).

        `url_resource` is the path the client called, so the alias
        /encrypt_sess.json authenticates over its own path.
        """
        password = credentials(username)
        if password is None:
            raise SessionError(
                SessionCode.INVALID_USER, f"user {username!r} is unknown to this device"
            )
        if not _same_digest(auth, initial_auth(username, password, cnonce, url_resource)):
            raise SessionError(
                SessionCode.INVALID_USER,
                f"auth {auth!r} does not match MD5(username + password + cnonce + url-resource) "
                f"for user {username!r} and url-resource {url_resource!r}; check the password "
                "and that url-resource is the path alone, without host or query",
            )
        method = _parse_crypt(crypt)
        lifetime = _parse_expires(expires, DEFAULT_EXPIRES)
        self.purge(now)
        while len(self._sessions) >= self.max_sessions:
            # Evict the session closest to its end: it had the least left to lose.
            doomed = min(self._sessions.values(), key=lambda s: (s.expires_at, s.created_at))
            del self._sessions[doomed.session]
        session = Session(
            session=self._fresh_id(),
            username=username,
            crypt=method,
            expires=lifetime,
            expires_at=now + lifetime,
            last_seq=None,
            created_at=now,
        )
        self._sessions[session.session] = session
        return session

    def check(
        self,
        session_id: str,
        seq: int | str,
        auth: str,
        url_resource: str,
        now: float,
        credentials: Credentials,
        expires: int | str | None = None,
        *,
        commit: bool = True,
    ) -> Session:
        """Authorise a request inside a session and renew its lifetime (spec 3.2.3, 3.3.2).

        `seq` enters the auth as the client sent it, so pass the query text. A
        refused request changes nothing, except that an expired session is dropped.
        With `commit=False` the renewed session is returned but not yet recorded:
        the caller `commit`s it once the request's body has decrypted, so a body
        that does not decrypt does not use up its seq either.
        """
        session = self._sessions.get(session_id)
        if session is None:
            raise SessionError(
                SessionCode.UNKNOWN_SESSION,
                f"session {session_id!r} is unknown (never opened, evicted, or forgotten "
                f"by a reboot); open a new one at {HANDSHAKE_RESOURCE}",
            )
        if session.expired(now):
            del self._sessions[session_id]
            raise SessionError(
                SessionCode.SESSION_EXPIRED,
                f"session {session_id!r} expired {now - session.expires_at:g} s ago "
                f"(lifetime {session.expires} s); open a new one at {HANDSHAKE_RESOURCE}",
            )
        number = _parse_seq(seq)
        lifetime = _parse_expires(expires, session.expires)
        password = credentials(session.username)
        if password is None:
            raise SessionError(
                SessionCode.INVALID_USER,
                f"user {session.username!r} of session {session_id!r} no longer exists",
            )
        expected = request_auth(session.username, password, session_id, url_resource, seq)
        # Auth is checked before seq so that a caller without the password learns
        # nothing about the session's state.
        if not _same_digest(auth, expected):
            raise SessionError(
                SessionCode.INVALID_AUTH,
                f"auth {auth!r} does not match MD5(username + password + session + "
                f"url-resource + seq) for url-resource {url_resource!r} and seq {str(seq)!r}",
            )
        if session.last_seq is not None and number <= session.last_seq:
            raise SessionError(
                SessionCode.REPLAYED_SEQ,
                f"seq {number} is not greater than the session's last seq {session.last_seq} "
                "(replayed or out of order); send the next seq",
            )
        renewed = replace(session, expires=lifetime, expires_at=now + lifetime, last_seq=number)
        if commit:
            self.commit(renewed)
        return renewed

    def commit(self, session: Session) -> None:
        """Record a session returned by `check(..., commit=False)`."""
        if session.session in self._sessions:
            self._sessions[session.session] = session

    def purge(self, now: float) -> int:
        """Drop every expired session; returns how many went."""
        gone = [sid for sid, s in self._sessions.items() if s.expired(now)]
        for sid in gone:
            del self._sessions[sid]
        return len(gone)

    def clear(self) -> None:
        """Forget every session, as a device reboot does."""
        self._sessions.clear()

    def _fresh_id(self) -> str:
        for _ in range(_ID_ATTEMPTS):
            candidate = self._new_id()
            if candidate and candidate not in self._sessions:
                return candidate
        raise RuntimeError(
            f"the session id source gave {_ID_ATTEMPTS} ids that were empty or in use"
        )


def _same_digest(given: str, expected: str) -> bool:
    # Clients may send upper-case hex; MD5 results are compared as lowercase hex.
    return given.strip().lower() == expected


def _parse_crypt(crypt: str | None) -> Crypt:
    if crypt is None:
        return Crypt.NONE
    try:
        return Crypt(crypt.strip().lower())
    except ValueError:
        known = ", ".join(c.value for c in Crypt)
        raise SessionError(
            SessionCode.UNKNOWN_CRYPT, f"crypt {crypt!r} is not one of {known}"
        ) from None


def _whole_number(value: int | str) -> int | None:
    # Query parameters arrive as text, JSON may carry numbers; bool is not a number here.
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = value.strip()
    if text.isascii() and text.isdigit():
        return int(text)
    return None


def _parse_expires(expires: int | str | None, default: int) -> int:
    if expires is None:
        return default
    seconds = _whole_number(expires)
    if seconds is None or seconds < 1:
        raise SessionError(
            SessionCode.BAD_EXPIRES,
            f"expires {expires!r} is not a whole number of seconds >= 1",
        )
    return min(seconds, MAX_EXPIRES)


def _parse_seq(seq: int | str) -> int:
    number = _whole_number(seq)
    if number is None or number < 0:
        raise SessionError(SessionCode.BAD_SEQ, f"seq {seq!r} is not a whole number >= 0")
    return number
