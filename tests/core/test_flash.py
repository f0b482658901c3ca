"""The device's flash: what a restart keeps, and the file that keeps it (emulator/flash.py)."""

import json
import os
import random

import pytest
from conftest import device_of, small

from emulator.clock import VirtualClock
from emulator.core.device import FlashImage
from emulator.core.settings import SettingError
from emulator.record.flash import FILE_NAME, Flash, FlashError, decode, encode


def boot(profile=None, flash=None, seed=1):
    device, profile = _boot(profile, flash, seed)
    PROFILES[id(device)] = profile
    return device


def _boot(profile=None, flash=None, seed=1):
    """A device powered on from `flash` (None: factory-fresh), past registration."""
    profile = profile or small()
    clock = VirtualClock(profile.start_time.timestamp())
    device = device_of(profile, clock, random.Random(seed), flash=flash)
    clock.advance(10)
    return device, profile


PROFILES: dict[int, object] = {}  # id(device) -> the profile it was booted from


def restart(device, seed=1):
    """Power loss and power on: only what the image holds comes back."""
    image = device.flash_image()
    doc = json.loads(json.dumps(encode(image, len(device.ports), len(device.ports[0].slots))))
    return boot(
        PROFILES[id(device)], decode(doc, len(device.ports), len(device.ports[0].slots)), seed
    )


def test_saved_settings_inbox_and_boot_count_come_back_and_unsaved_set_does_not():
    device = boot()
    device.set_settings({"sms_url": "http://127.0.0.1:1/sms", "imei(1)": "860000000000999"})
    device.save()
    device.set_settings({"sr_url": "http://127.0.0.1:1/lost"})
    first = device.inbound.receive(1, None, "+1555", "kept one")
    device.inbound.receive(2, None, "+1556", "kept two")
    again = restart(device)
    assert again.settings.sms_url == "http://127.0.0.1:1/sms"
    assert again.imei(2) == "860000000000999"
    assert again.settings.sr_url is None
    assert again.boots == device.boots + 1
    assert [(s.id, s.sms.text) for s in again.inbound.inbox] == [
        (first, "kept one"),
        (first + 1, "kept two"),
    ]
    assert again.inbound.receive(1, None, "+1", "next") == first + 2


def test_ssrc_differs_at_every_boot_with_a_fixed_seed_and_repeats_per_boot_count():
    device = boot(seed=4)
    seen = [device.ssrc]
    for _ in range(5):
        device = restart(device, seed=4)
        seen.append(device.ssrc)
    assert len(set(seen)) == len(seen)
    # same seed, same boot count: the same device, so a run can be repeated
    assert boot(flash=FlashImage(3, {}), seed=4).ssrc == seen[3]


def test_the_inbox_is_not_in_flash_when_the_profile_does_not_keep_it():
    profile = small(device={"keeps_inbox_on_reboot": False})
    device = boot(profile)
    writes = []
    device.flash_listener = lambda: writes.append(device.flash_image())
    device.inbound.receive(1, None, "+1555", "ram only")
    assert writes == []
    device.save()
    assert len(writes) == 1 and writes[0].inbox is None
    assert list(restart(device).inbound.inbox) == []


def test_flash_is_told_of_each_received_and_each_deleted_sms_when_kept():
    device = boot()
    writes = []
    device.flash_listener = lambda: writes.append(device.flash_image())
    device.inbound.receive(1, None, "+1555", "one")
    device.inbound.receive(1, None, "+1555", "two")
    device.inbound.query(1, 1, delete=True)
    assert [[s.sms.text for s in w.inbox] for w in writes] == [["one"], ["one", "two"], ["two"]]
    device.inbound.query(1, 0, delete=False)  # reading changes nothing
    assert len(writes) == 3


def test_a_bad_saved_setting_is_refused_by_name():
    with pytest.raises(SettingError, match="sms_url"):
        boot(flash=FlashImage(1, {"sms_url": "ftp://nowhere"}))
    with pytest.raises(SettingError, match="imei"):
        boot(flash=FlashImage(1, {"imei": ["860000000000001"]}))  # 1 IMEI for 4 ports


def test_write_then_load_round_trips(tmp_path):
    device = boot()
    device.inbound.receive(3, None, "+1555", "héllo ✓")
    flash = Flash(tmp_path / "0", 4, 2)
    assert flash.open() is None  # nothing kept yet
    flash.write(device.flash_image())
    assert flash.load() == device.flash_image()
    flash.close()


def test_a_kill_before_the_rename_leaves_the_previous_image(tmp_path, monkeypatch):
    device = boot()
    flash = Flash(tmp_path, 4, 2)
    flash.open()
    flash.write(device.flash_image())
    before = flash.load()
    device.set_settings({"sms_url": "http://127.0.0.1:1/new"})
    device.save()

    def killed(*_args):
        raise KeyboardInterrupt  # the process dies between fsync and rename

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        flash.write(device.flash_image())
    monkeypatch.undo()
    assert flash.load() == before
    # the next write replaces the leftover temporary file
    flash.write(device.flash_image())
    assert flash.load().saved["sms_url"] == "http://127.0.0.1:1/new"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", FILE_NAME]
    flash.close()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"format": "goip-emulator-flash", "vers', "not JSON: Unterminated string"),
        ("[]", "not a goip-emulator state file"),
        ("\xff\xfe", "codec can't decode"),
    ],
)
def test_an_unreadable_file_is_an_error_naming_it(tmp_path, content, reason):
    (tmp_path / FILE_NAME).write_text(content, encoding="latin-1")
    with pytest.raises(FlashError, match=reason) as caught:
        Flash(tmp_path, 4, 2).open()
    assert str(tmp_path / FILE_NAME) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_another_format_version_or_device_size_is_refused(tmp_path):
    flash = Flash(tmp_path, 4, 2)
    doc = encode(boot().flash_image(), 4, 2)
    (tmp_path / FILE_NAME).write_text(json.dumps({**doc, "version": 2}))
    with pytest.raises(FlashError, match="format version 2; this emulator reads version 1"):
        flash.load()
    (tmp_path / FILE_NAME).write_text(json.dumps(doc))
    with pytest.raises(FlashError, match="the profile has"):
        Flash(tmp_path, 8, 2).load()
    broken = {**doc, "inbox": {"next_sms_id": 1, "entries": [{"id": 1}]}}
    (tmp_path / FILE_NAME).write_text(json.dumps(broken))
    with pytest.raises(FlashError, match=r"inbox.entries\[0\]"):
        flash.load()


def test_one_state_directory_serves_one_process(tmp_path):
    first = Flash(tmp_path, 4, 2)
    first.open()
    with pytest.raises(FlashError, match="in use by another emulator"):
        Flash(tmp_path, 4, 2).open()
    first.close()
    second = Flash(tmp_path, 4, 2)
    second.open()
    second.close()


def test_a_device_refused_for_its_flash_leaves_the_directory_free(tmp_path):
    from emulator.runtime import Runtime

    profile = small()
    (tmp_path / "0").mkdir()
    doc = encode(FlashImage(2, {"sr_cnt": 0}), 4, 2)  # sr_cnt is 1-100000
    (tmp_path / "0" / FILE_NAME).write_text(json.dumps(doc))
    clock = VirtualClock(profile.start_time.timestamp())
    with pytest.raises(FlashError, match="saved sr_cnt: 0 is outside 1-100000"):
        Runtime(profile, clock, 1, tmp_path).add_device()
    (tmp_path / "0" / FILE_NAME).write_text(json.dumps({**doc, "saved": {"sr_cnt": 7}}))
    dev = Runtime(profile, clock, 1, tmp_path).add_device()
    assert dev.device.settings.sr_cnt == 7 and dev.device.boots == 3
    assert json.loads((tmp_path / "0" / FILE_NAME).read_text())["boots"] == 3
    dev.flash.close()
