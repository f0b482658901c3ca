"""JSON in and out of the device: orjson on the hot path, the standard library behind it.

orjson is several times faster at both ends, which is most of what a one-task
`goip_post_sms` costs (bench/README.md, P1). It differs from `json` in ways a
device's users can meet: it refuses NaN, Infinity and keys that are not strings, and
it reads integers beyond 64 bits as floats, losing digits. Where orjson refuses, or
a run of 19 digits could be such an integer, the standard library reads the text,
so what is accepted and what each error says stay as `json` has them.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_LONG_NUMBER = re.compile(rb"\d{19}")
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(doc: Any) -> bytes:
    """Compact UTF-8 JSON, as the device writes it."""
    try:
        return orjson.dumps(doc)
    except TypeError:  # a key that is not a string, an integer beyond 64 bits
        return _ENCODER.encode(doc).encode()


def loads(data: bytes) -> Any:
    """A JSON document from UTF-8 bytes; raises UnicodeDecodeError, json.JSONDecodeError
    and RecursionError as `json.loads(data.decode())` does."""
    if _LONG_NUMBER.search(data) is None:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data.decode("utf-8"))
