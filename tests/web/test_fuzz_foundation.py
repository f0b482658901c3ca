"""Garbage at the status and command endpoints: never a 5xx, never a change of state
unless the device answered success, and a clear reason when it refuses."""

import asyncio
import json

from conftest import small, start_gateway
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

junk_text = st.text(max_size=40)
values = st.one_of(
    junk_text,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
param_names = st.sampled_from(
    [
        "op",
        "ports",
        "url",
        "period",
        "all_sims",
        "sms_url",
        "sr_cnt",
        "imei(0)",
        "imei(99)",
        "type",
        "ops",
        "auto_fail_sim_switch",
        "username",
        "password",
        "x",
    ]
)
FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def fingerprint(device):
    return (
        [(p.current, p.slot.state, p.seq) for p in device.ports],
        device.settings.copy(),
        device.unavailable_until,
    )


class Harness:
    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.gw = self.loop.run_until_complete(start_gateway(small()))
        self.loop.run_until_complete(self.gw.advance(10))

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def close(self):
        self.run(self.gw.client.close())
        self.run(self.gw.runtime.close())
        self.loop.close()


def check(harness, response_status, doc, before):
    assert response_status < 500, doc
    assert isinstance(doc, dict)
    assert "code" in doc or doc.get("type") == "dev-status"
    succeeded = doc.get("code") in (0, None) and response_status == 200
    if not succeeded:
        assert isinstance(doc["reason"], str) and doc["reason"]
        assert fingerprint(harness.gw.device) == before


def test_fuzz_query_parameters():
    harness = Harness()
    try:

        @FUZZ
        @given(
            path=st.sampled_from(["/goip_send_cmd.html", "/goip_get_status.html"]),
            params=st.dictionaries(param_names, junk_text, max_size=5),
            creds=st.booleans(),
        )
        def fuzz(path, params, creds):
            if creds:
                params = {**params, "username": "root", "password": "root"}
            if params.get("op", "").strip().lower() == "reboot":
                return  # a legitimate reboot is not garbage
            before = fingerprint(harness.gw.device)

            async def go():
                resp = await harness.gw.client.get(path, params=params)
                return resp.status, await resp.json(content_type=None)

            status, doc = harness.run(go())
            check(harness, status, doc, before)
            harness.run(harness.gw.post("/_emulator/reset", {}))
            harness.run(harness.gw.advance(10))

        fuzz()
    finally:
        harness.close()


def test_fuzz_command_bodies():
    harness = Harness()
    try:

        @FUZZ
        @given(
            body=st.one_of(
                st.dictionaries(param_names, values, max_size=6),
                st.binary(max_size=64),
                values,
            )
        )
        def fuzz(body):
            if isinstance(body, dict) and str(body.get("op", "")).strip().lower() == "reboot":
                return
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            before = fingerprint(harness.gw.device)

            async def go():
                resp = await harness.gw.client.post(
                    "/goip_send_cmd.html",
                    data=data,
                    params={"username": "root", "password": "root"},
                )
                return resp.status, await resp.json(content_type=None)

            status, doc = harness.run(go())
            check(harness, status, doc, before)
            harness.run(harness.gw.post("/_emulator/reset", {}))
            harness.run(harness.gw.advance(10))

        fuzz()
    finally:
        harness.close()
