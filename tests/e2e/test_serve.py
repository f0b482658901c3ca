"""`goip-emulator serve` as a process, with a real callback receiver."""

import subprocess
import sys

import aiohttp

CREDS = {"username": "root", "password": "root"}


async def test_subscribe_advance_and_receive_status_pushes(serve, receiver):
    served = await serve("--clock", "virtual")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{served.url}/_emulator/health") as resp:
            assert (await resp.json())["status"] == "ok"
        async with http.get(
            f"{served.url}/goip_get_status.html",
            params={**CREDS, "url": receiver.url, "period": "60"},
        ) as resp:
            assert resp.headers["Content-Type"] == "application/json;charset=utf-8"
            doc = await resp.json()
            assert doc["type"] == "dev-status" and len(doc["status"]) == 32
            # Warm boot: every SIM registered before the first request.
            assert {e["st"] for e in doc["status"]} == {3}
        async with http.post(
            f"{served.url}/_emulator/clock/advance", json={"seconds": 120}
        ) as resp:
            assert resp.status == 200
    assert receiver.of_type("port-status") == []  # nothing changed: nothing pushed
    dev_status = receiver.of_type("dev-status")
    assert [d["seq"] for d in dev_status] == [2, 3]
    assert all(e["st"] == 3 for e in dev_status[-1]["status"])
    assert await served.stop() == 0


async def test_sim_event_through_the_control_api_reaches_the_receiver(serve, receiver):
    served = await serve("--clock", "virtual", "--profile", "default")
    async with aiohttp.ClientSession() as http:
        await http.post(f"{served.url}/_emulator/clock/advance", json={"seconds": 10})
        await http.get(f"{served.url}/goip_get_status.html", params={**CREDS, "url": receiver.url})
        async with http.post(f"{served.url}/_emulator/sims/5.01", json={"event": "block"}) as r:
            # 8 was pushed; auto switch has moved the port on, and 5.01 still shows 8
            doc = await r.json()
            assert doc["st"] == 8 and doc["port"]["current"] == "5.02"
        await http.post(f"{served.url}/_emulator/clock/advance", json={"seconds": 10})
    pushed = [(d["port"], d["st"]) for d in receiver.of_type("port-status")]
    # blocked, then auto switch to 5.02 which registers; st is the 4.1.4 table's text
    assert pushed == [
        ("5.01", "8 Blocked by Operator"),
        ("5.02", "11 SIM Detected"),
        ("5.02", "2 Registering"),
        ("5.02", "3 OK"),
    ]


def test_validate_names_file_line_and_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("device:\n  ports: 8\n  slotz: 2\npush:\n  sr_cnt: zero\n")
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "validate", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert f"{bad}:3: device.slotz: Extra inputs are not permitted" in result.stderr
    assert f"{bad}:5: push.sr_cnt:" in result.stderr
    ok = subprocess.run(
        [sys.executable, "-m", "emulator", "validate", "emulator/profiles/default.yaml"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0 and "ok" in ok.stdout


def test_profiles_lists_the_bundled_ones():
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "profiles"], capture_output=True, text=True, check=True
    )
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert names == sorted(names)
    assert {
        "default",
        "goip8",
        "flaky-sims",
        "campaign",
        "inbound-flood",
        "dotted-firmware",
        "field-firmware",
    } <= set(names)


def test_serve_refuses_a_missing_profile_clearly():
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "serve", "--profile", "nope"],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert result.returncode == 2
    assert "nope: no such file, and not a bundled profile (campaign, " in result.stderr
    assert " default," in result.stderr


async def test_fleet_devices_have_their_own_identity_and_control(serve):
    served = await serve("--clock", "virtual", "--devices", "3", devices=3)
    assert len(set(served.urls)) == 3
    async with aiohttp.ClientSession() as http:
        macs = []
        for url in served.urls:
            async with http.get(f"{url}/goip_get_status.html", params=CREDS) as resp:
                macs.append((await resp.json())["mac"])
        assert len(set(macs)) == 3
        await http.post(f"{served.urls[1]}/_emulator/sims/1.01", json={"event": "remove"})
        states = []
        for url in served.urls:
            async with http.get(f"{url}/_emulator/state") as resp:
                states.append((await resp.json())["ports"][0]["slots"][0]["st"])
        assert states == [3, 0, 3]


async def test_sink_prints_what_arrives(tmp_path):
    import asyncio

    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "emulator",
        "sink",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        assert line.startswith("sink listening on http://127.0.0.1:")
        url = line.split()[-1]
        async with aiohttp.ClientSession() as http:
            doc = {"type": "port-status", "port": "2.02", "seq": 4, "status": "3 OK"}
            async with http.post(url, json=doc) as resp:
                assert resp.status == 200
        summary = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        assert "port-status 2.02 seq=4 3 OK" in summary
    finally:
        proc.terminate()
        await proc.wait()


async def test_speed_runs_real_time_faster(serve):
    import asyncio

    served = await serve("--clock", "real", "--speed", "100")
    async with aiohttp.ClientSession() as http:
        for _ in range(100):
            async with http.get(f"{served.url}/goip_get_status.html", params=CREDS) as resp:
                doc = await resp.json()
            if all(e["st"] == 3 for e in doc["status"]):
                break
            await asyncio.sleep(0.05)  # about 5 device seconds at speed 100
        assert all(e["st"] == 3 for e in doc["status"])  # 9 device seconds of boot passed
        async with http.post(f"{served.url}/_emulator/clock/advance", json={"seconds": 1}) as r:
            assert r.status == 409
            assert "virtual" in (await r.json())["reason"]


async def test_profile_host_and_port_from_the_environment(serve):
    env = {"GOIP_PROFILE": "default", "GOIP_PORT": "0", "GOIP_CLOCK": "virtual"}
    served = await serve(env=env, port=False)
    assert served.url.startswith("http://127.0.0.1:")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{served.url}/_emulator/clock") as resp:
            assert (await resp.json())["kind"] == "virtual"
    assert await served.stop() == 0


async def test_control_token_from_the_environment(serve):
    served = await serve("--clock", "virtual", env={"GOIP_CONTROL_TOKEN": "t0k3n"})
    url = served.url
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}/_emulator/state") as resp:
            assert resp.status == 401
        async with http.get(
            f"{url}/_emulator/state", headers={"X-Emulator-Token": "t0k3n"}
        ) as resp:
            assert resp.status == 200
        async with http.get(f"{url}/goip_get_status.html", params=CREDS) as resp:
            assert resp.status == 200  # the device API is not the control API


async def test_no_front_serves_the_same_answers_through_aiohttp(serve):
    """`--no-front` is the escape hatch: aiohttp alone, the same answers."""
    fronted = await serve("--clock", "virtual", "--seed", "5")
    plain = await serve("--clock", "virtual", "--seed", "5", "--no-front")
    bodies = []
    async with aiohttp.ClientSession() as http:
        for served in (fronted, plain):
            async with http.get(f"{served.url}/goip_get_status.html", params=CREDS) as resp:
                assert resp.headers["Content-Type"] == "application/json;charset=utf-8"
                bodies.append(await resp.read())
            async with http.get(f"{served.url}/_emulator/journal") as resp:
                [entry] = (await resp.json())["entries"]
                assert entry["path"] == "/goip_get_status.html" and entry["status"] == 200
    assert bodies[0] == bodies[1]
    assert await fronted.stop() == 0 and await plain.stop() == 0
