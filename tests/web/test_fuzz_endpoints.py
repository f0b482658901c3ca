"""Every device endpoint fed garbage: never a 5xx, always a JSON answer with a reason,
and no change of state unless the device said it accepted something.

Endpoints are discovered from the router, so a new endpoint is fuzzed from the day
it is registered. The device's state is read through /_emulator/state (minus the
clock), so whatever a module exposes there is covered too."""

import asyncio
import json
import os
from urllib.parse import quote

from conftest import small, start_gateway
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.transport.request import MAX_BODY

CREDS = "username=root&password=root"
TASK_OPS = {"/goip_pause_sms.html", "/goip_resume_sms.html", "/goip_remove_sms.html"}
NAMES = [
    "op",
    "ports",
    "port",
    "url",
    "period",
    "all_sims",
    "tid",
    "tids",
    "to",
    "sms",
    "from",
    "sms_id",
    "sms_num",
    "sms_del",
    "slots",
    "type",
    "pos",
    "num",
    "has_content",
    "version",
    "sr_cnt",
    "sms_cnt",
    "session",
    "seq",
    "auth",
    "cnonce",
    "crypt",
    "expires",
    "username",
    "password",
    "Username",
    "x",
]
scalars = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(min_size=5000, max_size=6000).filter(lambda s: len(s) >= 5000),
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(NAMES), children, max_size=5)
    ),
    max_leaves=12,
)
TASK_FIELDS = [
    "tid",
    "to",
    "sms",
    "from",
    "chs",
    "coding",
    "smstype",
    "smstitle",
    "attachments",
    "intvl",
    "tmo",
    "sdr",
    "fdr",
    "dr",
    "sr_prd",
    "sr_cnt",
    "smc",
]
tasks = st.dictionaries(st.sampled_from(TASK_FIELDS), scalars, max_size=8)
send_sms = st.fixed_dictionaries(
    {"type": st.just("send-sms"), "tasks": st.lists(tasks, min_size=1, max_size=3)},
    optional={"sr_url": scalars, "sr_cnt": scalars, "sms_url": scalars, "task_num": scalars},
)
bodies = st.one_of(
    send_sms.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"tids": json_values}).map(lambda v: json.dumps(v).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
    st.just(b'{"type": "send-sms", "tasks": [{"tid": '),
    st.just(b"\xff\xfe\xfa{}"),
    # What no parser should hold: each must be a 4xx that changes nothing.
    st.sampled_from(
        [
            b'{"tid": 1' + b"0" * 4300 + b"}",
            b'{"username": "\\ud800", "password": "root"}',
            b'{"tids": [NaN]}',
            b'{"tids": [Infinity]}',
            b'{"tids": ' + b"[" * 1000 + b"]" * 1000 + b"}",
            b"[1001]",
            b"null",
            b'{"tid": [1001]}',
            b'{"tids": null}',
        ]
    ),
)
queries = st.lists(st.tuples(st.sampled_from(NAMES), st.text(max_size=20)), max_size=6)
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "400")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def success(status: int, doc) -> bool:
    if status != 200 or not isinstance(doc, dict):
        return False
    if doc.get("type") == "dev-status":
        return True
    tasks = doc.get("status")
    if isinstance(tasks, list):  # task-status: accepted only where a task says "0 OK"
        return any(isinstance(t, dict) and str(t.get("status", "")).startswith("0 ") for t in tasks)
    results = doc.get("results")
    if isinstance(results, list):
        return any(
            isinstance(r, dict) and str(r.get("status", "")).startswith("0 ") for r in results
        )
    return doc.get("code") in (0, 200)


class Harness:
    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.gw = self.loop.run_until_complete(start_gateway(small()))
        self.loop.run_until_complete(self.gw.advance(10))
        self.run(self.hold_tasks())
        self.paths = sorted(
            {
                r.resource.canonical
                for r in self.gw.client.app.router.routes()
                if r.resource is not None and not r.resource.canonical.startswith("/_emulator")
            }
        )

    async def hold_tasks(self):
        """Waiting messages in the state, so an op that acts on "every task" shows."""
        body = {"type": "send-sms", "tasks": [{"tid": 1001, "to": "1,2,3", "sms": "x"}]}
        await self.gw.post("/goip_post_sms.html", body, username="root", password="root")

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    async def state(self):
        resp = await self.gw.client.get("/_emulator/state")
        doc = await resp.json()
        doc.pop("clock", None)
        return doc

    async def request(self, method, path, query, body):
        resp = await self.gw.client.request(method, f"{path}?{query}", data=body)
        raw = await resp.read()
        try:
            doc = json.loads(raw)
        except ValueError:
            doc = None
        return resp.status, doc, resp.headers.get("Content-Type", "")

    def close(self):
        self.run(self.gw.client.close())
        self.run(self.gw.runtime.close())
        self.loop.close()


def check_one(h, method, path, query, body):
    before = h.run(h.state())
    status, doc, content_type = h.run(h.request(method, path, query, body))
    assert status < 500, (path, query, body[:100], doc)
    assert isinstance(doc, dict), (path, status)
    assert content_type == "application/json;charset=utf-8"
    if not success(status, doc):
        reason = doc.get("reason") or doc.get("desc")
        statuses = [t.get("status") for t in doc.get("status", []) if isinstance(t, dict)]
        assert reason or statuses, doc
        assert h.run(h.state()) == before, (path, query, doc)
    else:
        if path in TASK_OPS and "results" not in doc:  # acted on every task: only when asked
            assert "tids" not in query.lower() and b"tids" not in (body or b"").lower(), doc
        h.run(h.gw.post("/_emulator/reset", {}))
        h.run(h.gw.advance(10))
        h.run(h.hold_tasks())


def test_every_endpoint_is_discovered():
    h = Harness()
    try:
        assert "/goip_get_status.html" in h.paths and "/goip_send_cmd.html" in h.paths
        assert "/crypt_sess.json" in h.paths
    finally:
        h.close()


def test_fuzz_every_endpoint_with_garbage():
    h = Harness()
    try:

        @FUZZ
        @given(
            path=st.sampled_from(h.paths),
            method=st.sampled_from(["GET", "POST"]),
            pairs=queries,
            creds=st.booleans(),
            body=bodies,
        )
        def fuzz(path, method, pairs, creds, body):
            pairs = [(k, v) for k, v in pairs if not (k == "op" and "reboot" in v.lower())]
            query = "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs)
            if creds:
                query = f"{CREDS}&{query}"
            if b"reboot" in body:
                return
            check_one(h, method, path, query, body if method == "POST" else None)

        fuzz()
    finally:
        h.close()


def test_repeated_conflicting_parameters_are_refused():
    h = Harness()
    try:
        for path in h.paths:
            before = h.run(h.state())
            status, doc, _ = h.run(h.request("GET", path, f"{CREDS}&port=1&port=2", None))
            assert status == 400 and "more than once" in doc["reason"], path
            assert h.run(h.state()) == before
    finally:
        h.close()


def test_bodies_over_the_limit_are_refused_whole():
    h = Harness()
    try:
        for path in h.paths:
            status, doc, _ = h.run(h.request("POST", path, CREDS, b"x" * (MAX_BODY + 10)))
            assert status == 413, path
            assert "over" in doc["reason"]
    finally:
        h.close()


CONTROL_POSTS = [
    "/_emulator/sms",
    "/_emulator/calls",
    "/_emulator/faults",
    "/_emulator/clock/advance",
    "/_emulator/sims/1A",
    "/_emulator/sims/2.02",
    "/_emulator/tasks/1001/remove",
]


def test_fuzz_control_posts_with_garbage():
    """The control API refuses what it cannot take whole: no 5xx, nothing changed."""
    h = Harness()
    try:

        @FUZZ
        @given(path=st.sampled_from(CONTROL_POSTS), body=bodies)
        def fuzz(path, body):
            before = h.run(h.state())
            status, doc, _ = h.run(h.request("POST", path, "", body))
            assert status < 500, (path, body[:80], doc)
            assert isinstance(doc, dict) and doc
            if status >= 400:
                assert doc.get("reason"), doc
                assert h.run(h.state()) == before, (path, body[:80], doc)
            else:
                h.run(h.gw.post("/_emulator/reset", {}))
                h.run(h.gw.advance(10))
                h.run(h.hold_tasks())

        fuzz()
    finally:
        h.close()
