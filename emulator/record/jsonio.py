"""JSON in and out of the device: orjson on the hot path, the standard library behind it.

orjson is several times faster at both ends, which is most of what a one-task
`goip_post_sms` costs (bench/README.md, P1). It differs from `json` in ways a
device's users can meet: it refuses NaN, Infinity and keys that are not strings, and
it reads integers beyond 64 bits as floats, losing digits. Where orjson refuses, or
a run of 19 digits could be such an integer, the standard library reads the text.

`loads` is the one place request bytes become values, and it is strict where a
value could not be stored, shown or answered later: invalid UTF-8, lone surrogates
(`"\\ud800"`), NaN and Infinity, numbers longer than any field of the spec, and
nesting deeper than any request of the spec are refused with a reason, before
anything is recorded or acted on.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson

MAX_DEPTH = 32  # the deepest request of the spec (send-sms) nests 3 levels
MAX_DIGITS = 64  # no field of the spec holds a longer number
_LONG_NUMBER = re.compile(rb"\d{19}")
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_ASCII_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"))


class JsonRefused(ValueError):
    """Bytes that are not a JSON document the device takes; the message says why."""


def dumps(doc: Any) -> bytes:
    """Compact UTF-8 JSON, as the device writes it; total for any document of JSON types."""
    try:
        return orjson.dumps(doc)
    except TypeError:  # a key that is not a string, an integer beyond 64 bits, a surrogate
        try:
            return _ENCODER.encode(doc).encode()
        except UnicodeEncodeError:  # a lone surrogate: only an escape can carry it
            return _ASCII_ENCODER.encode(doc).encode()


def loads(data: bytes) -> Any:
    """A JSON document from UTF-8 bytes, or JsonRefused naming the problem."""
    if _LONG_NUMBER.search(data) is None:
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # the standard library says what is wrong, in its words
        except RecursionError:
            raise JsonRefused(f"is nested more than {MAX_DEPTH} levels deep") from None
        else:
            # Brackets inside strings count too: a high count only asks for the real walk.
            if data.count(b"[") + data.count(b"{") > MAX_DEPTH:
                _check(doc, 0, check_text=False)
            return doc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonRefused(f"is not UTF-8: byte {exc.start} is invalid") from None
    try:
        doc = json.loads(text, parse_constant=_constant, parse_int=_integer, parse_float=_decimal)
    except json.JSONDecodeError as exc:
        raise JsonRefused(
            f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise JsonRefused(f"is nested more than {MAX_DEPTH} levels deep") from None
    _check(doc, 0, check_text=True)
    return doc


def _constant(name: str) -> Any:
    raise JsonRefused(f"holds {name}, which is not a JSON number")


def _integer(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        raise JsonRefused(f"holds a number of {digits} digits (at most {MAX_DIGITS})")
    return int(text)


def _decimal(text: str) -> float:
    if len(text) > MAX_DIGITS * 2:
        raise JsonRefused(f"holds a number of {len(text)} characters (at most {MAX_DIGITS * 2})")
    value = float(text)
    if not math.isfinite(value):
        raise JsonRefused(f"holds {text}, which is beyond the range of a number")
    return value


def _check(doc: Any, depth: int, *, check_text: bool) -> None:
    """Refuse nesting beyond MAX_DEPTH and (from the standard library) lone surrogates."""
    if isinstance(doc, str):
        if check_text:
            _whole_text(doc)
        return
    if isinstance(doc, dict):
        items: Any = doc.items()
    elif isinstance(doc, list):
        items = enumerate(doc)
    else:
        return
    if depth >= MAX_DEPTH:
        raise JsonRefused(f"is nested more than {MAX_DEPTH} levels deep")
    for key, value in items:
        if check_text and isinstance(key, str):
            _whole_text(key)
        _check(value, depth + 1, check_text=check_text)


def _whole_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise JsonRefused(
            f"holds a lone surrogate \\u{ord(text[exc.start]):04x}, which is not text"
        ) from None
