"""Router firmware on goip_send_cmd.html (EJOIN-EXTRAS, "Router"): the parameters of
`op=redial` and the read-only data-link parameters `port_public_ip(n)`, `port_rx_tx(n)`
(n = port - 1), which `op=get` reads beside the settings. The family gate that keeps
them from other firmware is `ejoin/commands.py`'s."""

from __future__ import annotations

import re
from typing import Any

from emulator.core.codes import TaskStatus
from emulator.core.data_link import DataLinks
from emulator.transport.errors import ApiError
from emulator.transport.request import show

DATA_PARAMETERS = ("port_public_ip", "port_rx_tx")
MAX_DELAY = 86_400  # a day: we decide the bound, the router document gives none
_NAME = re.compile(r"\s*([a-z_]+)\s*(?:\(([0-9]{1,9})\))?\s*")
_WHOLE = re.compile(r"\s*[0-9]{1,9}\s*")


def _whole(value: Any, name: str) -> int | None:
    """A whole number from the query or JSON; None when it is text of something else.
    A JSON value of another type is a wrong type (HTTP 400), not a wrong value."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ApiError.bad_request(f"{name}: {show(value)} is not a whole number")
    if isinstance(value, str):
        return int(value) if _WHOLE.fullmatch(value) else None
    return value


def redial_parameters(mode: Any, delay: Any, where: str = "") -> tuple[bool, float]:
    """(flight, delay) of one redial; `where` prefixes the name (`ops.2.`) in a refusal."""
    flight, seconds = True, 0
    if mode is not None:
        number = _whole(mode, f"{where}mode")
        if number not in (0, 1):
            raise ApiError.refused(
                TaskStatus.INVALID_CMD,
                f"{where}mode {show(mode)} is not 0 (flight mode) or 1 (fast)",
            )
        flight = number == 0
    if delay is not None:
        number = _whole(delay, f"{where}delay")
        if number is None or not 0 <= number <= MAX_DELAY:
            raise ApiError.refused(
                TaskStatus.INVALID_CMD,
                f"{where}delay {show(delay)} is not a whole number of seconds 0-{MAX_DELAY}",
            )
        seconds = number
    return flight, float(seconds)


def is_data_parameter(name: str) -> bool:
    m = _NAME.fullmatch(name.lower())
    return m is not None and m[1] in DATA_PARAMETERS


def read_only(name: str) -> ApiError:
    return ApiError.refused(
        TaskStatus.INVALID_CMD,
        f"{name!r} is the data link's and is read-only; op=get reads it",
    )


def data_values(data: DataLinks | None, names: list[str]) -> dict[str, object]:
    """op=get of port_public_ip(n) / port_rx_tx(n); a bare name reads every port's."""
    links = [] if data is None else data.links
    answer: dict[str, object] = {}
    for name in names:
        m = _NAME.fullmatch(name.lower())
        assert m is not None
        values = [link.ip if m[1] == "port_public_ip" else link.rx_tx for link in links]
        if m[2] is None:
            answer[name] = values
        elif int(m[2]) < len(values):
            answer[name] = values[int(m[2])]
        else:
            raise ApiError.refused(
                TaskStatus.INVALID_CMD,
                f"{name!r}: index {int(m[2])} is outside 0-{len(values) - 1} (n = port - 1)",
            )
    return answer
