"""A bounded record of everything a device served and pushed.

Entries carry the emulated time and a monotonically growing `id`, so a test
script can read "everything since id N" without missing or repeating an entry.
The journal is bounded by count (`journal.max_entries`) and by the bytes of the
bodies, answers and queries it holds (`journal.max_bytes`); what falls off the old
end is counted in `evicted`, never lost silently.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from emulator.record import jsonio

KINDS = ("request", "callback", "control", "device", "udp")
_SECRET = frozenset({"password", "auth", "token", "control_token"})
# A query also names one `p`: a DBL GoIP's pages take the password as `?u=&p=`.
_QUERY_SECRET = frozenset({"p"})
# A credential inside a text: in a query (`&password=x`, `;auth=x`) or a URL's user info.
_IN_QUERY = re.compile(r"(?i)\b(password|auth|token|control_token)=[^&;\s'\"]*")
_USERINFO = re.compile(r"(://[^/@\s:?#]*:)[^@/\s]*@")


def scrub(text: str) -> str:
    """`text` with the values of credentials in queries and URLs replaced by ***."""
    if "=" in text:
        text = _IN_QUERY.sub(r"\1=***", text)
    if "@" in text:
        text = _USERINFO.sub(r"\1***@", text)
    return text


def redact(data: Any) -> Any:
    """Credentials never reach the journal, the state or the logs.

    A credential is a value under a secret name at any depth of a document (spec 6.3.1.2
    puts them at the top; a platform may nest them), a `password=` inside a text (a
    query, `;`-separated too) or the password of a URL's `user:pass@`. What holds none is
    returned as it is, uncopied.
    """
    if isinstance(data, str):
        return scrub(data) if "=" in data or "@" in data else data
    if isinstance(data, dict):
        out: dict[Any, Any] | None = None
        for key, value in data.items():
            new = "***" if isinstance(key, str) and key.lower() in _SECRET else redact(value)
            name = scrub(key) if isinstance(key, str) and "@" in key else key  # a URL as a key
            if name != key or (new is not value and new != value):
                if out is None:
                    out = {}
                    for k, v in data.items():
                        if k == key:
                            break
                        out[k] = v
                out[name] = new
            elif out is not None:
                out[key] = value
        return data if out is None else out
    if isinstance(data, list):
        items = [redact(v) for v in data]
        return data if all(a is b for a, b in zip(items, data, strict=True)) else items
    return data


# Under load the journal records a request in a few microseconds and few objects: it
# keeps the bytes as they came and went, and the work of reading them waits for a
# reader. Two conventions say how: a `bytes` value is a JSON document, decoded when
# read (redacted under "body"); a `str` under "query" is a query string, parsed when
# read, and redacted.


def _read(key: str, value: Any) -> Any:
    if isinstance(value, bytes):
        try:
            doc = jsonio.loads(value)
        except ValueError:  # not JSON after all: shown as text rather than lost
            return scrub(value.decode("utf-8", "replace"))
        return redact(doc)
    if key == "query" and isinstance(value, str):
        query = dict(parse_qsl(scrub(value), keep_blank_values=True))
        for name in query:
            if name.lower() in _QUERY_SECRET:
                query[name] = "***"
        return redact(query)
    return redact(value)


@dataclass(slots=True)  # not frozen: one is made per request, and frozen __init__ is slow
class Entry:
    id: int
    t: float
    kind: str  # request | callback | control | device
    type: str  # endpoint name, callback type, control action or device event
    data: dict[str, Any]
    size: int = 0  # bytes of the bodies, answers and texts it holds, for journal.max_bytes

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "t": round(self.t, 3),
            "kind": self.kind,
            "type": self.type,
            **{k: _read(k, v) for k, v in self.data.items()},
        }


class Journal:
    def __init__(
        self,
        now: Callable[[], float],
        max_entries: int = 10_000,
        max_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self._now = now
        self._entries: deque[Entry] = deque()
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0  # held now: what max_bytes bounds
        self._next_id = 1
        self.evicted = 0
        # Unbounded but small: one count per (kind, type, outcome), for the metrics.
        self.counts: Counter[tuple[str, str, str]] = Counter()
        self.listeners: list[Callable[[Entry], None]] = []

    def record(self, kind: str, type_: str, **data: Any) -> Entry:
        return self.add(kind, type_, data)

    def add(
        self, kind: str, type_: str, data: dict[str, Any], counted_as: str | None = None
    ) -> Entry:
        """`record` for a caller that has built the entry's dict: kept as it is, not copied.

        `counted_as`: the type it is counted under in `counts`, when not its own (every
        path that is no route counts as one, so a scan of paths cannot grow the counts)."""
        outcome = data.get("outcome")
        if outcome is None:
            outcome = data.get("status", "")
        self.counts[(kind, counted_as or type_, str(outcome))] += 1
        size = 0
        for value in data.values():
            if isinstance(value, (bytes, str)):  # a tuple checks faster than bytes | str
                size += len(value)
        entry = Entry(self._next_id, self._now(), kind, type_, data, size)
        self._next_id += 1
        entries = self._entries
        entries.append(entry)
        self.bytes += size
        # The newest entry stays whatever its size; older ones make room for it.
        while len(entries) > self.max_entries or (self.bytes > self.max_bytes and len(entries) > 1):
            self.bytes -= entries.popleft().size
            self.evicted += 1
        for listener in self.listeners:
            listener(entry)
        return entry

    def query(
        self, kind: str | None = None, type_: str | None = None, since: int = 0
    ) -> Iterator[Entry]:
        """Entries with id > since, optionally of one kind and one type."""
        for entry in self._entries:
            if entry.id <= since:
                continue
            if kind is not None and entry.kind != kind:
                continue
            if type_ is not None and entry.type != type_:
                continue
            yield entry

    def clear(self) -> int:
        """Forget every entry; ids keep growing so cursors held by clients stay valid."""
        count = len(self._entries)
        self._entries.clear()
        self.bytes = 0
        return count

    @property
    def last_id(self) -> int:
        return self._next_id - 1

    def __len__(self) -> int:
        return len(self._entries)
