"""The success envelope of each endpoint: `{"code": <ok>, "reason": "OK"}`.

The spec's worked examples are what real firmware prints: goip_send_cmd answers
code 0 (example 6.4.2), goip_get_sms code 0 (8.2.3), the SMS and query endpoints
code 200 (examples 6.4.3-6.4.7, sections 9 and 10). Firmware in the field differs;
`quirks.envelope_codes` overrides the code per endpoint (INTERPRETATION.md, Envelopes).
"""

from __future__ import annotations

from typing import Any

from emulator.config.profile import ENVELOPE_CODES


def ok(endpoint: str, overrides: dict[str, int] | None = None) -> dict[str, Any]:
    """A fresh success envelope for `endpoint`, honouring the profile's quirks."""
    code = (overrides or {}).get(endpoint, ENVELOPE_CODES[endpoint])
    return {"code": code, "reason": "OK"}
