"""emulator.testing beyond the fixtures: decoded texts, wait_ready, SyncEmulator's life."""

import threading

import pytest

from emulator.config.profile import ProfileError
from emulator.testing import CallbackReceiver, Emulator, SyncEmulator


async def subscribed(gw: Emulator, receiver: CallbackReceiver) -> None:
    await gw.get("/goip_send_cmd.html", op="set", sms_url=receiver.url)
    await gw.advance(30)


async def test_received_texts_are_decoded(goip_emulator, goip_receiver):
    await subscribed(goip_emulator, goip_receiver)
    await goip_emulator.inject_sms("2.01", "+15550001", "héllo wörld")
    [sms] = goip_receiver.sms()
    assert (sms.port, sms.sender, sms.text, sms.headers) == ("2.01", "+15550001", "héllo wörld", {})
    assert not sms.is_report
    [doc] = goip_receiver.of_type("recv-sms")
    assert doc["sms"][0][5] != "héllo wörld"  # on the wire it is base64


@pytest.mark.goip("field-firmware")
async def test_the_header_block_of_field_firmware_is_split_off(goip_emulator, goip_receiver):
    await subscribed(goip_emulator, goip_receiver)
    await goip_emulator.inject_sms("2", "+15550001", "STOP")
    [sms] = goip_receiver.sms()
    assert sms.text == "STOP"
    assert sms.headers["Sender"] == "+15550001"
    assert sms.headers["Receiver"].startswith('"2.01"')
    assert set(sms.headers) == {"Sender", "Receiver", "SMSC", "SCTS"}


async def test_wait_ready_answers_with_a_health_that_is_ok(goip_emulator):
    health = await goip_emulator.wait_ready()
    assert health["status"] == "ok"


async def test_wait_ready_waits_out_the_registration_after_a_reboot(goip_emulator):
    gw = goip_emulator
    if "registering" not in await gw.health():
        pytest.skip("/_emulator/health does not count the SIMs still registering")
    await gw.wait_ready()
    assert all(p["slots"][0]["st"] == 3 for p in (await gw.state())["ports"])
    await gw.get("/goip_send_cmd.html", op="reboot")
    before = (await gw.state())["clock"]["now"]
    health = await gw.wait_ready()
    state = await gw.state()
    assert health["registering"] == 0
    assert state["clock"]["now"] - before >= gw.profile.device.reboot_time
    assert all(p["slots"][0]["st"] == 3 for p in state["ports"])


def test_an_emulator_on_an_unknown_clock_is_refused():
    with pytest.raises(ValueError, match="clock: 'bogus' is not one of real, virtual"):
        Emulator(clock="bogus")


def test_a_sync_emulator_that_cannot_start_leaves_no_thread():
    threads = threading.active_count()
    with pytest.raises(ProfileError), SyncEmulator("no-such-profile"):
        pass
    assert threading.active_count() == threads


def test_a_sync_emulator_stops_its_thread_and_receivers():
    threads = threading.active_count()
    with SyncEmulator("goip8") as gw:
        receiver = gw.receiver()
        gw.get("/goip_send_cmd.html", op="set", sms_url=receiver.url)
        gw.advance(30)
        gw.inject_sms("1", "+1555", "sync")
        receiver.wait_for(lambda r: len(r.sms()) == 1, timeout=5)
        assert receiver.sms()[0].text == "sync"
        assert threading.active_count() == threads + 1
    assert threading.active_count() == threads
