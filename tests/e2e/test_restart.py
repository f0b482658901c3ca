"""A restart keeps what a device keeps in flash: `serve --state-dir`, killed and started again.

Every test runs the real `goip-emulator serve` and kills it with SIGKILL, as a power
loss would: nothing is flushed on the way out.
"""

import asyncio
import base64
import json
import random
import subprocess
import sys

import aiohttp
import yaml
from serving import Served

CREDS = {"username": "root", "password": "root"}
CMD = "/goip_send_cmd.html"


def write_profile(tmp_path, **device):
    data = {
        "device": {"ports": 4, "slots": 2, **device},
        "behaviour": {"registration_time": 5},
    }
    path = tmp_path / "restart.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


async def power_loss(served: Served) -> None:
    served.proc.kill()
    await served.proc.wait()


async def answer(http, url, path, **params):
    async with http.get(f"{url}{path}", params={**CREDS, **params}) as resp:
        assert resp.status == 200
        return await resp.json(content_type=None)


async def device_state(http, url):
    async with http.get(f"{url}/_emulator/state") as resp:
        return (await resp.json())["device"]


async def test_saves_survive_sigkill_at_random_moments_and_ssrc_changes_at_every_boot(
    serve, tmp_path
):
    profile = write_profile(tmp_path)
    state_dir = str(tmp_path / "state")
    rng = random.Random(8)  # the kill moments, repeatable
    acknowledged = ""  # sms_url of the last save the device answered
    in_flight = ""  # the save under way when the process died, if any
    ssrcs = []
    n = 0
    async with aiohttp.ClientSession() as http:
        for cycle in range(8):
            # a fixed seed: the ssrc still changes, the boot count is mixed into it
            served = await serve(
                "--clock", "virtual", "--profile", profile, "--seed", "3", "--state-dir", state_dir
            )
            dev = await device_state(http, served.url)
            assert dev["boots"] == cycle + 1  # a process start is a boot
            ssrcs.append(dev["ssrc"])
            loaded = (await answer(http, served.url, CMD, op="get", sms_url=""))["sms_url"]
            # the last acknowledged save, or the one in flight if it reached flash
            assert loaded in (acknowledged, in_flight), (cycle, loaded)
            acknowledged = in_flight = loaded
            loop = asyncio.get_running_loop()
            loop.call_later(rng.uniform(0.02, 0.25), served.proc.kill)
            try:
                while True:
                    n += 1
                    url = f"http://127.0.0.1:9/sms/{n}"
                    doc = await answer(http, served.url, CMD, op="set", sms_url=url)
                    assert doc["code"] == 0
                    in_flight = url
                    doc = await answer(http, served.url, CMD, op="save")
                    assert doc["code"] == 0
                    acknowledged = url
            except aiohttp.ClientError:
                pass  # killed
            await served.proc.wait()
    assert len(set(ssrcs)) == len(ssrcs)
    assert n > 16  # saves were under way when the kills came


async def sms_texts(http, url, **params):
    doc = await answer(http, url, "/goip_get_sms.html", **params)
    return doc, [base64.b64decode(entry[5]).decode() for entry in doc["data"]]


async def inject(http, url, *texts):
    # The SIMs register on the virtual clock first; an SMS for an unregistered SIM
    # waits in the network, not in the device.
    async with http.post(f"{url}/_emulator/clock/advance", json={"seconds": 60}) as resp:
        assert resp.status == 200
    batch = [{"port": "1", "sender": "+15550001", "text": text} for text in texts]
    async with http.post(f"{url}/_emulator/sms", json=batch) as resp:
        assert resp.status == 200


async def test_the_inbox_survives_a_restart_when_the_profile_keeps_it(serve, tmp_path):
    profile = write_profile(tmp_path, keeps_inbox_on_reboot=True)
    args = ("--clock", "virtual", "--profile", profile, "--state-dir", str(tmp_path / "s"))
    async with aiohttp.ClientSession() as http:
        served = await serve(*args)
        await inject(http, served.url, "first", "second ✓")
        before, texts = await sms_texts(http, served.url)
        assert texts == ["first", "second ✓"]
        await power_loss(served)

        served = await serve(*args)
        after, texts = await sms_texts(http, served.url)
        assert texts == ["first", "second ✓"]
        assert after["ssrc"] != before["ssrc"]  # spec 8.1: a client starts over from 1
        assert after["next_sms"] == before["next_sms"] == 3
        _, deleted = await sms_texts(http, served.url, sms_num=1, sms_del=1)
        assert deleted == ["first"]
        await power_loss(served)

        served = await serve(*args)
        _, texts = await sms_texts(http, served.url)
        assert texts == ["second ✓"]
        await inject(http, served.url, "third")
        doc, texts = await sms_texts(http, served.url, sms_id=3)
        assert texts == ["third"] and doc["next_sms"] == 4  # ids go on, never reused
        await power_loss(served)


async def test_an_inbox_the_profile_does_not_keep_is_lost_but_saved_settings_are_not(
    serve, tmp_path
):
    profile = write_profile(tmp_path, keeps_inbox_on_reboot=False)
    args = ("--clock", "virtual", "--profile", profile, "--state-dir", str(tmp_path / "s"))
    async with aiohttp.ClientSession() as http:
        served = await serve(*args)
        await inject(http, served.url, "in RAM")
        await answer(http, served.url, CMD, op="set", sr_url="http://127.0.0.1:9/sr")
        await answer(http, served.url, CMD, op="save")
        await power_loss(served)
        served = await serve(*args)
        _, texts = await sms_texts(http, served.url)
        assert texts == []
        assert (await answer(http, served.url, CMD, op="get", sr_url=""))["sr_url"] == (
            "http://127.0.0.1:9/sr"
        )


async def test_without_a_state_dir_a_restart_is_factory_fresh(serve, tmp_path):
    profile = write_profile(tmp_path)
    async with aiohttp.ClientSession() as http:
        served = await serve("--clock", "virtual", "--profile", profile)
        await answer(http, served.url, CMD, op="set", sms_url="http://127.0.0.1:9/sms")
        await answer(http, served.url, CMD, op="save")
        await inject(http, served.url, "gone")
        await power_loss(served)
        served = await serve("--clock", "virtual", "--profile", profile)
        assert (await answer(http, served.url, CMD, op="get", sms_url=""))["sms_url"] == ""
        _, texts = await sms_texts(http, served.url)
        assert texts == []
        assert (await device_state(http, served.url))["boots"] == 1


async def test_reset_is_a_factory_reset_of_flash_too(serve, tmp_path):
    profile = write_profile(tmp_path)
    args = ("--clock", "virtual", "--profile", profile, "--state-dir", str(tmp_path / "s"))
    async with aiohttp.ClientSession() as http:
        served = await serve(*args)
        await answer(http, served.url, CMD, op="set", sms_url="http://127.0.0.1:9/sms")
        await answer(http, served.url, CMD, op="save")
        await inject(http, served.url, "before the reset")
        async with http.post(f"{served.url}/_emulator/reset") as resp:
            assert resp.status == 200
        await power_loss(served)
        served = await serve(*args)
        assert (await answer(http, served.url, CMD, op="get", sms_url=""))["sms_url"] == ""
        _, texts = await sms_texts(http, served.url)
        assert texts == []
        assert (await device_state(http, served.url))["boots"] == 2  # the reset's, then this


async def test_each_device_of_a_fleet_keeps_its_own_flash_from_the_environment(serve, tmp_path):
    profile = write_profile(tmp_path)
    env = {"GOIP_STATE_DIR": str(tmp_path / "fleet")}
    args = ("--clock", "virtual", "--profile", profile, "--devices", "2")
    async with aiohttp.ClientSession() as http:
        served = await serve(*args, devices=2, env=env)
        for index, url in enumerate(served.urls):
            await answer(http, url, CMD, op="set", sms_url=f"http://127.0.0.1:9/dev{index}")
            await answer(http, url, CMD, op="save")
        await power_loss(served)
        served = await serve(*args, devices=2, env=env)
        for index, url in enumerate(served.urls):
            got = (await answer(http, url, CMD, op="get", sms_url=""))["sms_url"]
            assert got == f"http://127.0.0.1:9/dev{index}"
    assert sorted(p.name for p in (tmp_path / "fleet").iterdir()) == ["0", "1"]


def serve_to_exit(*args):
    return subprocess.run(
        [sys.executable, "-m", "emulator", "serve", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_an_unreadable_state_file_is_a_one_line_error_naming_it(tmp_path):
    profile = write_profile(tmp_path)
    state = tmp_path / "state"
    (state / "0").mkdir(parents=True)
    flash = state / "0" / "flash.json"
    flash.write_text('{"format": "goip-emulator-flash", "version": 1, "boo')
    result = serve_to_exit("--profile", profile, "--seed", "1", "--state-dir", str(state))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"goip-emulator: state file {flash} is unreadable")
    # valid JSON with a setting `set` would refuse is refused the same way, by name
    doc = {
        "format": "goip-emulator-flash",
        "version": 1,
        "device": {"ports": 4, "slots": 2},
        "boots": 3,
        "saved": {"sms_url": "ftp://127.0.0.1/"},
        "inbox": None,
    }
    flash.write_text(json.dumps(doc))
    result = serve_to_exit("--profile", profile, "--seed", "1", "--state-dir", str(state))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert f"{flash}" in result.stderr and "sms_url" in result.stderr
    assert json.loads(flash.read_text()) == doc  # never silently reset


async def test_a_drawn_seed_is_logged_and_repeats_the_run(serve, tmp_path):
    profile = write_profile(tmp_path)  # no seed in the profile

    async def start(*args):
        served = await serve(
            "--clock", "virtual", "--profile", profile, "--log-format", "json", *args
        )
        async with aiohttp.ClientSession() as http:
            ssrc = (await device_state(http, served.url))["ssrc"]
        await served.stop()
        assert served.proc.stderr is not None
        logs = [json.loads(line) for line in (await served.proc.stderr.read()).splitlines()]
        drawn = [e["seed"] for e in logs if e["event"] == "seed_drawn"]
        return ssrc, drawn

    ssrc, drawn = await start()
    assert len(drawn) == 1
    again, none = await start("--seed", str(drawn[0]))
    assert again == ssrc and none == []
