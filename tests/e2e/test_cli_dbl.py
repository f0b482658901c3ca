"""The CLI verbs on a DBL GoIP served as a process, its SMS server a socket in the test."""

from __future__ import annotations

from test_cli_verbs import verb

from emulator.testing import SmsServer


async def test_inject_calls_hangup_and_udp_faults_from_the_command_line(serve):
    async with SmsServer() as server:
        served = await serve(
            "--profile", "dbl-goip8", "--clock", "virtual",
            "--sms-server", server.address, "--sms-local-port", "0",
        )  # fmt: skip
        url = ["--url", served.url]
        await verb("advance", "1", *url)
        await server.wait_for(lambda s: len(s.lines) == 8)
        code, out, _ = await verb(
            "fault", "duplicate", "--udp", "--dir", "out", "--keyword", "RECEIVE", *url
        )
        assert code == 0 and out.startswith("#1 udp duplicate on out RECEIVE every line")
        code, out, _ = await verb("inject-sms", "2", "+15550001", "from the shell", *url)
        assert code == 0 and '"received"' in out
        await server.wait_for(lambda s: len(s.of_type("RECEIVE")) == 2)
        assert [m.msg for m in server.sms()] == ["from the shell"]
        code, out, _ = await verb("faults", *url)
        assert out.strip().endswith("1 hit(s), active")
        code, out, _ = await verb(
            "calls", "4", "--pdd", "1", "--ring", "1", "--talk", "300", "--answer-ratio", "1",
            "--number", "+15550042", *url,
        )  # fmt: skip
        assert code == 0
        await verb("advance", "10", *url)
        code, out, _ = await verb("hangup", "4", *url)
        assert code == 0 and out.strip() == "port 4: call with +15550042 ended (hangup)"
        await server.wait_for(lambda s: s.of_type("HANGUP"))
        assert server.of_type("HANGUP")[0].fields["num"] == "+15550042"
        code, _, err = await verb("hangup", "4", *url)
        assert code == 1 and "no call on the air" in err
        code, out, _ = await verb("state", *url)
        row = next(r for r in out.splitlines() if r.strip().startswith("2  goip02"))
        assert "127.0.0.1:" in row and " Y " in row
