"""The device's flash: what a gateway keeps across power loss, in a state directory.

One JSON file per device (`<state-dir>/<fleet index>/flash.json`) holds the image the
core hands out (`Device.flash_image()`): the saved settings, the boot count and, when
the profile says the device stores it, the inbox. Every write goes to a temporary
file that is fsynced and renamed over the old one, then the directory is fsynced, so
a kill at any moment leaves either the previous image or the new one, never a torn
file. A file that cannot be read is a `FlashError` naming it: the device refuses to
start rather than come up factory-fresh without a word (docs/decisions.md, "Flash").
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from pathlib import Path
from typing import Any

from emulator.core.device import FlashImage
from emulator.core.events import ReceivedSms
from emulator.core.inbound import Stored

FORMAT = "goip-emulator-flash"
VERSION = 1
FILE_NAME = "flash.json"
_SMS_FIELDS = ("flag", "port", "slot", "ts", "sender", "recipient", "text", "smsc", "scts")


class FlashError(Exception):
    """State that cannot be used; the message names the file and what to do."""


def encode(image: FlashImage, ports: int, slots: int) -> dict[str, Any]:
    """The JSON document of one image; `ports`/`slots` say which device wrote it."""
    inbox: dict[str, Any] | None = None
    if image.inbox is not None:
        inbox = {
            "next_sms_id": image.next_sms_id,
            "entries": [
                {"id": stored.id, **{name: getattr(stored.sms, name) for name in _SMS_FIELDS}}
                for stored in image.inbox
            ],
        }
    return {
        "format": FORMAT,
        "version": VERSION,
        "device": {"ports": ports, "slots": slots},
        "boots": image.boots,
        "saved": dict(image.saved),
        "inbox": inbox,
    }


def decode(doc: Any, ports: int, slots: int) -> FlashImage:
    """The image in a JSON document; ValueError says what is wrong with it."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f'not a goip-emulator state file (no "format": "{FORMAT}")')
    version = doc.get("version")
    if version != VERSION:
        raise ValueError(f"format version {version!r}; this emulator reads version {VERSION}")
    device = doc.get("device")
    if device != {"ports": ports, "slots": slots}:
        raise ValueError(
            f"written for a device of {device!r}, the profile has "
            f"{{'ports': {ports}, 'slots': {slots}}}: use another state directory"
        )
    boots = doc.get("boots")
    if isinstance(boots, bool) or not isinstance(boots, int) or boots < 0:
        raise ValueError(f"boots: {boots!r} is not a boot count")
    saved = doc.get("saved")
    if not isinstance(saved, dict):
        raise ValueError(f"saved: {saved!r} is not an object of settings")
    raw_inbox = doc.get("inbox")
    if raw_inbox is None:
        return FlashImage(boots, saved)
    if not isinstance(raw_inbox, dict) or not isinstance(raw_inbox.get("entries"), list):
        raise ValueError('inbox: expected {"next_sms_id": n, "entries": [...]}')
    next_id = raw_inbox.get("next_sms_id")
    if isinstance(next_id, bool) or not isinstance(next_id, int) or next_id < 1:
        raise ValueError(f"inbox.next_sms_id: {next_id!r} is not an SMS id")
    entries = tuple(_entry(n, raw) for n, raw in enumerate(raw_inbox["entries"]))
    return FlashImage(boots, saved, entries, next_id)


def _entry(n: int, raw: Any) -> Stored:
    try:
        if not isinstance(raw, dict) or set(raw) != {"id", *_SMS_FIELDS}:
            raise TypeError("unexpected fields")
        sms = ReceivedSms(**{name: raw[name] for name in _SMS_FIELDS})
        number_fields = (raw["id"], sms.flag, sms.port, sms.slot)
        if any(isinstance(x, bool) or not isinstance(x, int) for x in number_fields):
            raise TypeError("id, flag, port and slot must be whole numbers")
        if not isinstance(sms.ts, int | float) or not all(
            isinstance(getattr(sms, name), str)
            for name in ("sender", "recipient", "text", "smsc", "scts")
        ):
            raise TypeError("ts must be a number and the texts strings")
    except TypeError as exc:
        raise ValueError(f"inbox.entries[{n}]: {exc}") from None
    return Stored(raw["id"], sms)


class Flash:
    """One device's state directory: load at boot, write on change, erase on reset."""

    def __init__(self, directory: Path, ports: int, slots: int) -> None:
        self.directory = directory
        self.path = directory / FILE_NAME
        self.ports = ports
        self.slots = slots
        self._lock: int | None = None

    def open(self) -> FlashImage | None:
        """Take the directory for this process and read what it keeps (None: nothing yet)."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise FlashError(
                f"cannot use state directory {self.directory}: {exc.strerror}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise FlashError(
                f"state directory {self.directory} is in use by another emulator process"
            ) from None
        self._lock = fd
        try:
            return self.load()
        except FlashError:
            self.close()
            raise

    def load(self) -> FlashImage | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise FlashError(f"cannot read state file {self.path}: {exc}") from None
        try:
            return decode(json.loads(text), self.ports, self.slots)
        except json.JSONDecodeError as exc:
            raise self.unreadable(f"not JSON: {exc}") from None
        except ValueError as exc:
            raise self.unreadable(str(exc)) from None

    def unreadable(self, reason: str) -> FlashError:
        return FlashError(
            f"state file {self.path} is unreadable ({reason}); "
            "move it away to start this device factory-fresh"
        )

    def write(self, image: FlashImage) -> None:
        """Replace the file atomically: the old image or the new one survives a kill."""
        data = json.dumps(encode(image, self.ports, self.slots), separators=(",", ":"))
        temp = self.path.with_name(FILE_NAME + ".tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data.encode("utf-8"))
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, self.path)
        self._sync_directory()

    def erase(self) -> None:
        """A factory reset: nothing kept."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self._sync_directory()

    def close(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def _sync_directory(self) -> None:
        # The rename is durable only once the directory itself is on disk.
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
