"""The device's table of security sessions (spec 3.1, 3.2).

Pure: time comes in as `now` (seconds, from the device's clock) and the
session ids from an injected source: `secret_ids` (the `secrets` module, so ids
cannot be guessed) unless the run's seed is fixed, then `random_ids` of the
seeded source, so the run hands out the same ids every time. The table checks
the handshake (3.2.1) and every later request (3.2.3); the cipher key of a
request is `crypto.cipher_key`, kept there so the client helper and the device
compute it in one place.

Lenient on the client's variant (INTERPRETATION.md, "Security session"): the
handshake auth may name either handshake path, a request's auth may put `seq`
before the url-resource, and `open_request` finds the key, encoding and padding
that open the body as a JSON object, trying the spec's way first. Digests are
compared in constant time. A handshake is refused (code 1) while the session it
opened lives, so a captured one cannot be replayed to fill the table and evict
the sessions of others.

`SessionError.code` is the `code` of the handshake answer (3.2.2, 0 is
success) and of a refused request; `desc` says what was wrong:

    code  meaning
    1     unknown user, a handshake auth that does not match, or a replayed
          handshake (also: the user of a session no longer exists)
    2     crypt is not one of none, xor, rc4, aes-ecb
    3     unknown session (never opened, evicted, or forgotten by a reboot)
    4     session expired
    5     seq not greater than the session's last one (replay or out of order)
    6     request auth does not match
    7     expires is not a whole number of seconds >= 1
    8     seq is not a whole number >= 0
"""

from __future__ import annotations

import hmac
import itertools
import json
import random
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import TypeVar

from emulator.core.crypto import (
    HANDSHAKE_ALIAS,
    HANDSHAKE_RESOURCE,
    BodyForm,
    Crypt,
    DecryptError,
    KeyForm,
    Padding,
    Variant,
    cipher_key,
    ciphertext_of,
    decrypt,
    initial_auth,
    request_auth,
)

DEFAULT_EXPIRES = 180  # spec 3.2.1
# A lifetime longer than a day is clamped rather than refused: the answer's
# `expires` tells the client what it got (3.2.2), and no real client needs more.
MAX_EXPIRES = 86_400
# How many fresh ids to draw before concluding the id source is broken.
_ID_ATTEMPTS = 16

Credentials = Callable[[str], str | None]
_T = TypeVar("_T")


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
    # The handshake's auth as sent: some clients make the key of it, and a second
    # handshake with it is a replay.
    handshake_auth: str = ""
    handshake_path: str = HANDSHAKE_RESOURCE  # the path the handshake auth named

    def expired(self, now: float) -> bool:
        return now >= self.expires_at


def counter_ids(prefix: str = "s") -> Callable[[], str]:
    """Session ids s1, s2, ... for tests that want to read them."""
    counter = itertools.count(1)
    return lambda: f"{prefix}{next(counter)}"


def random_ids(rng: random.Random) -> Callable[[], str]:
    """16-hex-digit session ids from the device's seeded random source: for a fixed seed."""
    return lambda: f"{rng.getrandbits(64):016x}"


def secret_ids() -> Callable[[], str]:
    """16-hex-digit session ids no one can predict from earlier ones (the `secrets` module)."""
    return lambda: secrets.token_hex(8)


@dataclass(frozen=True, slots=True)
class Opened:
    """A request accepted in a session: the renewed session, its clear body, the variant."""

    session: Session
    body: bytes
    variant: Variant
    label: str  # the variant as the journal shows it


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

        `url_resource` is the path the client called; its auth may name it or the
        other handshake path, as clients in the field do (`Session.handshake_path`).
        """
        password = credentials(username)
        if password is None:
            raise SessionError(
                SessionCode.INVALID_USER, f"user {username!r} is unknown to this device"
            )
        paths = [url_resource] + [
            p for p in (HANDSHAKE_RESOURCE, HANDSHAKE_ALIAS) if p != url_resource
        ]
        named = _first_match(
            auth, ((p, initial_auth(username, password, cnonce, p)) for p in paths)
        )
        if named is None:
            raise SessionError(
                SessionCode.INVALID_USER,
                f"auth {auth!r} does not match MD5(username + password + cnonce + url-resource) "
                f"for user {username!r} and url-resource {url_resource!r}; check the password "
                "and that url-resource is the path alone, without host or query",
            )
        method = _parse_crypt(crypt)
        lifetime = _parse_expires(expires, DEFAULT_EXPIRES)
        self.purge(now)
        given = _normal(auth)
        # Only after the auth passed, so that a caller without the password learns nothing.
        for held in self._sessions.values():
            if hmac.compare_digest(_normal(held.handshake_auth).encode(), given.encode()):
                raise SessionError(
                    SessionCode.INVALID_USER,
                    f"handshake replayed: this cnonce and auth already opened a session that "
                    f"is still open (for {held.expires_at - now:g} s more); a client draws a "
                    "fresh random cnonce for every handshake (3.2.1)",
                )
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
            handshake_auth=auth.strip(),
            handshake_path=named,
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
        that does not decrypt does not use up its seq either (`open_request` does both).
        """
        renewed, _ = self._authorise(session_id, seq, auth, url_resource, now, credentials, expires)
        if commit:
            self.commit(renewed)
        return renewed

    def open_request(
        self,
        session_id: str,
        seq: int | str,
        auth: str,
        url_resource: str,
        now: float,
        credentials: Credentials,
        body: bytes = b"",
        expires: int | str | None = None,
        key_form: KeyForm | str = KeyForm.RAW,
    ) -> Opened:
        """`check` a request and open its POST body: the body's clear text and the variant.

        The body is opened by the first variant under which it decrypts to a JSON
        object, the spec's way first (`key_form` first among key forms: the profile's
        `quirks.crypt_key`). One that opens under none raises DecryptError and leaves
        the session as it was, its seq unused.
        """
        renewed, seq_first = self._authorise(
            session_id, seq, auth, url_resource, now, credentials, expires
        )
        variant = Variant(seq_first=seq_first, key_form=KeyForm(key_form))
        sealed = bool(body.strip()) and renewed.crypt is not Crypt.NONE
        clear = body
        if sealed:
            password = credentials(renewed.username) or ""
            clear, variant = _unseal(renewed, password, auth, str(seq), body, variant)
        self.commit(renewed)
        return Opened(renewed, clear, variant, variant.label(renewed.crypt, sealed))

    def _authorise(
        self,
        session_id: str,
        seq: int | str,
        auth: str,
        url_resource: str,
        now: float,
        credentials: Credentials,
        expires: int | str | None,
    ) -> tuple[Session, bool]:
        """The renewed session, and whether the client put seq first in its auth."""
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
        user = session.username
        orders = (
            (first, request_auth(user, password, session_id, url_resource, seq, seq_first=first))
            for first in (False, True)
        )
        seq_first = _first_match(auth, orders)
        # Auth is checked before seq so that a caller without the password learns
        # nothing about the session's state.
        if seq_first is None:
            raise SessionError(
                SessionCode.INVALID_AUTH,
                f"auth {auth!r} does not match MD5(username + password + session + "
                f"url-resource + seq) for url-resource {url_resource!r} and seq {str(seq)!r} "
                "(nor with seq before url-resource)",
            )
        if session.last_seq is not None and number <= session.last_seq:
            raise SessionError(
                SessionCode.REPLAYED_SEQ,
                f"seq {number} is not greater than the session's last seq {session.last_seq} "
                "(replayed or out of order); send the next seq",
            )
        renewed = replace(session, expires=lifetime, expires_at=now + lifetime, last_seq=number)
        return renewed, seq_first

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


def _normal(digest: str) -> str:
    # Clients may send upper-case hex; MD5 results are compared as lowercase hex.
    return digest.strip().lower()


def _first_match(given: str, candidates: Iterator[tuple[_T, str]]) -> _T | None:
    """The tag of the first expected digest `given` equals, compared in constant time.

    Every candidate is compared, matched or not, so the time taken does not say which
    variant came close; bytes, because compare_digest refuses non-ASCII text.
    """
    sent = _normal(given).encode("utf-8")
    found: list[_T] = []
    for tag, expected in candidates:
        if hmac.compare_digest(sent, expected.encode("ascii")):
            found.append(tag)
    return found[0] if found else None


# The variants a body may come in, the spec's first.
_KEY_SOURCES = (False, True)  # handshake_key
_PADDINGS = (Padding.PKCS7, Padding.ZERO)


def _unseal(
    session: Session, password: str, auth: str, seq: str, body: bytes, preferred: Variant
) -> tuple[bytes, Variant]:
    """The clear text of an encrypted body and the variant that opened it.

    The spec's variant is tried first, so a standard client costs one decryption;
    the others (at most 16 for aes-ecb) only when it fails.
    """
    forms = (preferred.key_form, *(f for f in KeyForm if f is not preferred.key_form))
    ciphertexts: list[tuple[BodyForm, bytes]] = []
    first_error = ""
    try:
        ciphertexts.append((BodyForm.BASE64, ciphertext_of(session.crypt, body)))
    except DecryptError as exc:
        first_error = str(exc)
    ciphertexts.append((BodyForm.RAW, body))
    paddings = _PADDINGS if session.crypt is Crypt.AES_ECB else (Padding.PKCS7,)
    for body_form, ciphertext in ciphertexts:
        for handshake_key in _KEY_SOURCES:
            # The auth as the client sent it: that is the text it put in its key string.
            key_auth = session.handshake_auth if handshake_key else auth
            for key_form in forms:
                key = cipher_key(
                    session.username, password, key_auth, session.session, seq, key_form
                )
                for padding in paddings:
                    try:
                        clear = decrypt(session.crypt, key, ciphertext, padding)
                    except DecryptError as exc:
                        first_error = first_error or str(exc)
                        continue
                    problem = _json_object_problem(clear)
                    if problem is None:
                        return clear, replace(
                            preferred,
                            handshake_key=handshake_key,
                            key_form=key_form,
                            padding=padding,
                            body_form=body_form,
                        )
                    first_error = first_error or f"the decrypted body {problem}"
    raise DecryptError(
        f"{first_error}; nor does it open as a JSON object under any client variant (key "
        "of the request's or the handshake's auth, raw or hex, base64 or raw bytes, "
        "PKCS#7 or zero padding)"
    )


def _json_object_problem(clear: bytes) -> str | None:
    """None when `clear` is a JSON object, else what is wrong with it."""
    try:
        doc = json.loads(clear)
    except UnicodeDecodeError:
        return "is not UTF-8"
    except json.JSONDecodeError as exc:
        return f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    except RecursionError:
        return "is not valid JSON: nested too deeply"
    if not isinstance(doc, dict):
        return "is JSON but not an object"
    return None


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
