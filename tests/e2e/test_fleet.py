"""A fleet in one process, and the same run under virtual and accelerated real time."""

import aiohttp

CREDS = {"username": "root", "password": "root"}


async def test_twenty_devices_serve_and_push_independently(serve, receiver):
    served = await serve("--clock", "virtual", "--devices", "20", "--profile", "goip8", devices=20)
    ports = {url.rsplit(":", 1)[1] for url in served.urls}
    assert len(ports) == 20
    async with aiohttp.ClientSession() as http:
        for index, url in enumerate(served.urls):
            params = {**CREDS, "url": f"{receiver.url}dev{index}"}
            async with http.get(f"{url}/goip_get_status.html", params=params) as resp:
                assert (await resp.json())["type"] == "dev-status"
        # one device's control API reaches only that device
        async with http.post(f"{served.urls[7]}/_emulator/sims/3.01", json={"event": "remove"}):
            pass
        async with http.post(
            f"{served.urls[0]}/_emulator/clock/advance", json={"seconds": 60}
        ) as resp:
            assert resp.status == 200
        identities = set()
        for url in served.urls:
            async with http.get(f"{url}/_emulator/state") as resp:
                state = await resp.json()
            identities.add(
                (
                    state["device"]["mac"],
                    state["ports"][0]["imei"],
                    state["ports"][0]["slots"][0]["sim"]["imsi"],
                )
            )
        assert len(identities) == 20
    by_device = {}
    for item in receiver.received:
        by_device.setdefault(item.path, []).append(item.doc)
    assert len(by_device) == 20
    for index in range(20):
        docs = by_device[f"/dev{index}"]
        dev_status = [d for d in docs if d["type"] == "dev-status"]
        assert len(dev_status) == 1
        states = {e["port"]: e["st"] for e in dev_status[0]["status"]}
        assert states["3.01"] == (0 if index == 7 else 3)


async def test_speed_and_virtual_time_give_the_same_story(serve, receiver, tmp_path):
    import yaml

    from emulator.config.profile import bundled_profiles

    data = yaml.safe_load(bundled_profiles()["flaky-sims"].read_text())
    # subscribed from boot, so both runs push every port-status from t=0
    data["push"] = {"status_url": receiver.url, "status_period": 3600}
    data.setdefault("behaviour", {})["boot"] = "cold"  # the power-on story, pushed
    profile = tmp_path / "story.yaml"
    profile.write_text(yaml.safe_dump(data))

    async def story(*args, advance=None, until=None):
        served = await serve("--profile", str(profile), "--seed", "4", *args)
        if advance:
            async with aiohttp.ClientSession() as http:
                await http.post(f"{served.url}/_emulator/clock/advance", json={"seconds": advance})
        if until:  # real time: wait (on a busy machine, longer) for as many events
            await receiver.wait_for(lambda r: len(r.of_type("port-status")) >= until, 30)
        await served.stop()
        events = [(d["port"], d["st"], d["seq"]) for d in receiver.of_type("port-status")]
        receiver.received.clear()
        return events

    virtual = await story("--clock", "virtual", advance=40)
    fast = await story("--clock", "real", "--speed", "50", until=len(virtual))
    assert len(virtual) > 40
    assert fast[: len(virtual)] == virtual
