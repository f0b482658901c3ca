"""Emulator.ussd / Emulator.at and their SyncEmulator twins, over a real socket."""

import asyncio

from emulator.config.profile import parse_profile
from emulator.testing import Emulator, SyncEmulator


async def test_topup_through_the_python_api(goip_emulator):
    await goip_emulator.advance(30)
    menu = await goip_emulator.ussd("1", "*123#")
    assert menu["code"] == 0 and menu["resp"].startswith("Top-up menu")
    done = await goip_emulator.ussd(1, "1", retries=0)
    assert done["resp"] == "Top-up of 10.00 done. New balance 110.00."
    status = await goip_emulator.get("/goip_get_status.html")
    assert status["status"][0]["bal"] == "110.00"
    assert (await goip_emulator.ussd(1, "*999#"))["resp"] == "Unknown application"


async def test_plus_and_hash_arrive_as_written(goip_emulator):
    await goip_emulator.advance(30)
    doc = await goip_emulator.at(1, 'AT+EGMR=1,7,"861234567890123"')
    assert doc["resp"] == "\r\nOK\r\n"
    assert (await goip_emulator.at("1", "AT+CGSN"))["resp"].startswith("\r\n861234567890123\r\n")
    assert (await goip_emulator.ussd(1, "*100#", timeout=5))["resp"].startswith("Your balance")


async def test_a_held_answer_waits_for_an_advance():
    profile = parse_profile("device: {ports: 2, slots: 1}\nussd: {latency: 5}\n", "<test>")
    async with Emulator(profile=profile) as gw:
        await gw.advance(30)
        pending = asyncio.ensure_future(gw.ussd(2, "*100#"))
        for _ in range(100):
            if (await gw.state())["ports"][1]["ussd"] is not None:
                break
            await asyncio.sleep(0.01)
        assert not pending.done()
        await gw.advance(5)
        assert (await pending)["resp"] == "Your balance is 100.00."


def test_sync_emulator_ussd_and_at():
    with SyncEmulator("goip8") as gw:
        gw.advance(30)
        assert gw.ussd(1, "*100#")["resp"] == "Your balance is 100.00."
        assert gw.at(1, "AT")["resp"] == "\r\nOK\r\n"
