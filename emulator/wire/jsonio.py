"""JSON in and out of the device: orjson on the hot path, the standard library behind it.

orjson is several times faster at both ends, which is most of what a one-task
`goip_post_sms` costs (bench/README.md, P1). It is stricter than `json` in ways a
device's users can meet: integers beyond 64 bits, NaN and Infinity, keys that are
not strings. Where orjson refuses, the standard library gets the last word, so
what is accepted and what each error says stay the same as before; only speed
changes.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(doc: Any) -> bytes:
    """Compact UTF-8 JSON, as the device writes it."""
    try:
        return orjson.dumps(doc)
    except TypeError:  # a key that is not a string, an integer beyond 64 bits
        return _ENCODER.encode(doc).encode()


def loads(data: bytes | str) -> Any:
    """A JSON document; raises json.JSONDecodeError (and RecursionError) as `json` does."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(text)
