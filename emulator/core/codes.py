"""The spec's status-code tables as enums that carry their reason text.

`SimState` is the port/SIM state of spec 4.1.4; `TaskStatus` is the per-task
status of spec 6.3.1.4 (also used by pause/resume/remove, 6.3.3-6.3.5).
`str(code)` renders the wire form, e.g. `"3 OK"` or `"13 Duplicated TaskId"`.
"""

from __future__ import annotations

from enum import IntEnum


class _Coded(IntEnum):
    reason: str
    wire: str

    def __new__(cls, value: int, reason: str) -> _Coded:
        member = int.__new__(cls, value)
        member._value_ = value
        member.reason = reason
        member.wire = f"{value} {reason}"  # rendered once: every answer and report uses it
        return member

    def __str__(self) -> str:
        return self.wire


class SimState(_Coded):
    """Port state codes of spec 4.1.4 (10 is unused by the spec); 15 and 16 are Skyline's
    (EJOIN-EXTRAS, "Skyline"): 15 is accepted vocabulary that nothing here produces."""

    NO_SIM = 0, "No SIM"
    IDLE = 1, "Idle SIM"
    REGISTERING = 2, "Registering"
    OK = 3, "OK"
    IN_CALL = 4, "In Call"
    NO_BALANCE = 5, "No Balance or Alarm"
    REGISTER_FAILED = 6, "Register Failed"
    LOCKED = 7, "Locked by Device"
    BLOCKED = 8, "Blocked by Operator"
    READ_ERROR = 9, "SIM Read Error"
    DETECTED = 11, "SIM Detected"
    USER_LOCKED = 12, "Locked by User"
    PORT_CALLING = 13, "Port Calling Port"
    PORT_CALL_WAIT = 14, "Waiting for Port Call"
    ACCESS_MOBILE_NETWORK = 15, "Access Mobile Network"
    MODULE_TIMEOUT = 16, "Module Response Timeout"


class TaskStatus(_Coded):
    """Per-task status codes of spec 6.3.1.4; anything but OK means not accepted."""

    OK = 0, "OK"
    INVALID_USER = 1, "Invalid User"
    INVALID_PORT = 2, "Invalid Port"
    USSD_EXPECTED = 3, "USSD Expected"
    PENDING_USSD = 4, "Pending USSD"
    SIM_UNREGISTERED = 5, "SIM Unregistered"
    TIMEOUT = 6, "Timeout"
    SERVER_ERROR = 7, "Server Error"
    SMS_EXPECTED = 8, "SMS expected"
    TO_EXPECTED = 9, "TO expected"
    PENDING_TRANSACTION = 10, "Pending Transaction"
    TID_EXPECTED = 11, "TID Expected"
    FROM_EXPECTED = 12, "FROM Expected"
    DUPLICATED_TID = 13, "Duplicated TaskId"
    UNAUTHORIZED = 14, "Unauthorized"
    INVALID_CMD = 15, "Invalid CMD"
    TOO_MANY_TASK = 16, "Too Many Task"
    MMS_TITLE_EXPECTED = 17, "MMS Title expected"
    TOO_MANY_MMS_ATTACHMENTS = 18, "Too Many MMS Attachments"
    MMS_ATTACHMENTS_EXPECTED = 19, "MMS Attachments expected"
    MMS_ATTACHMENTS_OVERLIMIT = 20, "MMS Attachments Cache size Overlimit"
