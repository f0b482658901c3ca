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

__all__ = [
    "Callback",
    "CallbackReceiver",
    "ControlError",
    "Emulator",
    "ReceivedSms",
    "SyncCallbackReceiver",
    "SyncEmulator",
    "decode_sms_entry",
    "received_sms",
    "split_headers",
]
