"""The pytest plugin, used exactly as the README shows (this file is the README's example)."""


async def test_my_platform_sends_and_hears_back(goip_emulator, goip_receiver):
    await goip_emulator.advance(10)  # virtual seconds: SIMs register
    answer = await goip_emulator.post(
        "/goip_post_sms.html",
        {
            "type": "send-sms",
            "sr_url": goip_receiver.url,
            "sr_cnt": 1,
            "sms_url": goip_receiver.url,
            "tasks": [{"tid": 1, "to": "13686876620", "sms": "hello"}],
        },
    )
    assert answer["status"] == [{"tid": 1, "status": "0 OK"}]
    await goip_emulator.advance(60)
    [report] = goip_receiver.of_type("status-report")
    assert report["rpts"][0]["sent"] == 1
    await goip_emulator.inject_sms("2A", "+15550001", "STOP")
    [received] = goip_receiver.of_type("recv-sms")
    assert received["sms"][0][3] == "+15550001"
