"""How many parts a text takes on the air (3GPP TS 23.038 / 23.040).

A text that fits the GSM 7-bit alphabet takes 160 characters in one part, 153 per
part when split (the extension table's characters count twice); anything else is
UCS-2: 70 in one part, 67 per part (INTERPRETATION.md, "Sending SMS").
"""

from __future__ import annotations

from enum import IntEnum

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
_GSM7 = GSM7_BASIC | GSM7_EXTENSION


class Coding(IntEnum):
    """The task attribute `coding` (spec 6.3.1.3)."""

    AUTO = 0
    UCS2 = 1
    GSM7 = 2


# Plain ints: comparing with an enum member costs an attribute lookup through its class.
_GSM7_CODING = int(Coding.GSM7)
_UCS2_CODING = int(Coding.UCS2)


# Set operations run in C: counted once per submitted task, on the request's path.
def is_gsm7(text: str) -> bool:
    return _GSM7.issuperset(text)


def septets(text: str) -> int:
    if GSM7_EXTENSION.isdisjoint(text):  # the usual text: one septet a character
        return len(text)
    return len(text) + sum(map(GSM7_EXTENSION.__contains__, text))


def parts(text: str, coding: int = Coding.AUTO) -> int:
    """Number of concatenated parts the device sends for `text` (coding as in 6.3.1.3)."""
    gsm7 = coding == _GSM7_CODING or (coding != _UCS2_CODING and is_gsm7(text))
    if gsm7:
        length, single, multi = septets(text), 160, 153
    else:
        # UCS-2 counts UTF-16 code units: an emoji outside the BMP takes two.
        length, single, multi = len(text.encode("utf-16-le")) // 2, 70, 67
    if length <= single:
        return 1
    return -(-length // multi)
