"""The pytest plugin, used exactly as the README shows."""


async def test_my_platform_sees_the_gateway(goip_emulator, goip_receiver):
    status = await goip_emulator.get("/goip_get_status.html", url=goip_receiver.url)
    assert status["max-ports"] == 32
    await goip_emulator.advance(60)
    assert goip_receiver.of_type("dev-status")[0]["status"][0]["st"] == 3
    await goip_emulator.sim_event("5A", "block")
    await goip_emulator.advance(1)
    assert goip_receiver.of_type("port-status")[-1]["port"] == "5B"
