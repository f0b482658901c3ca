"""Random queries and forms on a DBL GoIP's pages: never a 5xx, and a refusal (401, an
`ERROR,` answer) changes nothing a client can see (DBL-GOIP.md 7)."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from conftest import make_profile, start_gateway
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.config.dbl import WEB_PAGES, WEB_PREFIX

AUTH = {"u": "admin", "p": "admin"}
BASIC = {"Authorization": "Basic " + base64.b64encode(b"admin:admin").decode()}

junk = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "0", "-1", "99999999999", "%", "&", "=", "é", "\x00", "\r\n", "x"]),
)


def field(*good: str) -> st.SearchStrategy[str]:
    """Mostly values the page understands, sometimes junk."""
    return st.one_of(st.sampled_from(good), st.sampled_from(good), junk)


# Each field is present about half the time, with a value that often makes sense: so a
# request reaches every refusal (and every success) of every page.
FIELDS = {
    "l": field("1", "2", "3"), "n": field("+1555", "123"), "m": field("hi", "é"),
    "msg": field("hello"), "type": field("sms", "ussd", "sms_inbox", "sms_outbox", "list",
    "base", "gsm", "callforward"), "action": field("del", "SMS", "sms", "USSD", "ussd"),
    "line": field("1", "2", "-1", "1,2"), "pos": field("0", "1", "-1"),
    "smskey": field("k1", "6955b900", ""), "telnum": field("+1", "*101#"),
    "smscontent": field("text"), "line1": field("1", "on"), "line2": field("1"),
    "line99": field("1"), "LINE1": field("1"), "u": field("admin", "root"),
    "p": field("admin", "root"), "x": junk,
}  # fmt: skip
params = st.fixed_dictionaries({}, optional=FIELDS)  # type: ignore[arg-type]
headers = st.one_of(
    st.none(),
    st.just(BASIC),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30).map(
        lambda t: {"Authorization": t}
    ),
    st.binary(max_size=20).map(
        lambda b: {"Authorization": "Basic " + base64.b64encode(b).decode()}
    ),
)
requests = st.tuples(
    st.sampled_from(WEB_PAGES),
    st.sampled_from(["GET", "POST"]),
    params,
    params,
    headers,
    st.sampled_from([True, True, True, False]),  # mostly let the request in
)


class Harness:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        profile = make_profile(
            device={"personality": "dbl", "ports": 2, "slots": 1, "username": "admin",
                    "password": "admin"},
            dbl={"local_port": 0, "inbox_slots": 3},
            sending={"latency": 1, "failure_rate": 0.3},
        )  # fmt: skip
        self.gw = self.run(start_gateway(profile, seed=3))
        for n in range(4):
            status, _ = self.run(
                self.gw.post("/_emulator/sms", {"port": "1", "sender": f"+{n}", "text": f"t{n}"})
            )
            assert status == 200

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    async def text(self, name: str, **params: str) -> str:
        resp = await self.gw.client.get(WEB_PREFIX + name, params=params, headers=BASIC)
        assert resp.status == 200
        return await resp.text()

    async def seen(self) -> tuple[Any, ...]:
        """What a client can see of the device's state."""
        return (
            await self.text("send_sms_status.xml"),
            await self.text("tools.html", type="sms_inbox"),
            await self.text("tools.html", type="sms_outbox"),
            len(self.gw.journal("device")),
            len(self.gw.device.sending.tasks),
            self.gw.device.inbound.next_id,
        )

    def close(self) -> None:
        self.run(self.gw.client.close())
        self.run(self.gw.runtime.close())
        self.loop.close()


def refused(status: int, body: str) -> bool:
    return status == 401 or body.startswith("ERROR,") or "<p>ERROR," in body


def test_random_requests_never_5xx_and_refusals_change_nothing():
    harness = Harness()

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(requests)
    def one(request: tuple[Any, ...]) -> None:
        name, method, query, form, header, with_auth = request
        if with_auth:
            query, header = {**query, **AUTH}, None
        client = harness.gw.client

        async def go() -> None:
            before = await harness.seen()
            if method == "GET":
                resp = await client.get(WEB_PREFIX + name, params=query, headers=header)
            else:
                resp = await client.post(WEB_PREFIX + name, params=query, data=form, headers=header)
            body = await resp.text()
            assert resp.status < 500, body
            if refused(resp.status, body):
                assert await harness.seen() == before, (resp.status, body)
            await harness.gw.advance(1.5)  # what was accepted finishes cleanly

        harness.run(go())

    try:
        one()
    finally:
        harness.close()
