"""`goip-emulator serve --profile dbl-goip8`: its HTTP SMS pages with the bundled login,
as an HTTP SMS client (node-goip's HttpSms) uses them, over a real socket."""

from __future__ import annotations

import re

import aiohttp
from sms_server import sms_server


async def test_http_sms_send_and_status_on_the_bundled_goip8(serve):
    async with sms_server() as server:
        served = await serve(
            "--profile", "dbl-goip8", "--clock", "virtual", "--host", "127.0.0.1",
            "--sms-server", server.address, "--sms-local-port", "0",
        )  # fmt: skip
        base = f"{served.url}/default/en_US/"
        async with aiohttp.ClientSession() as http:
            query = {"u": "admin", "p": "admin", "l": "3", "n": "+15550003", "m": "hi"}
            async with http.get(base + "send.html", params=query) as resp:
                answer = await resp.text()
            found = re.fullmatch(r"\nSending,L3 Send SMS to:\+15550003; ID:([0-9a-f]{8})\n", answer)
            assert found is not None, answer
            async with http.post(
                f"{served.url}/_emulator/clock/advance", json={"seconds": 5}
            ):  # sending.latency [2, 5]
                pass
            async with http.get(
                base + "send_status.xml", params={"u": "admin", "p": "admin"}
            ) as resp:
                xml = await resp.text()
            assert f"<id3>{found[1]}</id3>\n<status3>DONE</status3>\n<error3></error3>\n" in xml
            async with http.get(base + "status.xml", auth=None) as resp:
                assert resp.status == 401
                assert resp.headers["WWW-Authenticate"] == 'Basic realm="GoIP"'
            async with http.get(
                base + "status.xml",
                headers={"Authorization": aiohttp.encode_basic_auth("admin", "admin")},
            ) as resp:
                status = await resp.text()
            assert status.count("_gsm_status>Y<") == 8
            async with http.get(base + "index.html", params={"u": "admin", "p": "admin"}) as resp:
                assert resp.status == 404
