"""The Python API for test scripts and the pytest plugin (`emulator.testing.pytest_plugin`)."""

from emulator.testing.harness import (
    Callback,
    CallbackReceiver,
    ControlError,
    Emulator,
    ReceivedSms,
    SyncCallbackReceiver,
    SyncEmulator,
    decode_sms_entry,
    received_sms,
    split_headers,
)
from emulator.testing.sms_server import (
    BulkError,
    BulkSend,
    Datagram,
    InboundSms,
    SendResult,
    SmsServer,
    SyncBulkSend,
    SyncSmsServer,
)

__all__ = [
    "BulkError",
    "BulkSend",
    "Callback",
    "CallbackReceiver",
    "ControlError",
    "Datagram",
    "Emulator",
    "InboundSms",
    "ReceivedSms",
    "SendResult",
    "SmsServer",
    "SyncBulkSend",
    "SyncCallbackReceiver",
    "SyncEmulator",
    "SyncSmsServer",
    "decode_sms_entry",
    "received_sms",
    "split_headers",
]
