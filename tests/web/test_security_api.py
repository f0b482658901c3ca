"""Security sessions over HTTP (spec 3): handshake, signed and encrypted requests."""

import json
import secrets

import pytest
from conftest import small

from emulator.client.crypto import SecureSession, handshake_params
from emulator.core.codes import SimState
from emulator.core.crypto import Crypt

CRYPTS = [c.value for c in Crypt]
CMD = "/goip_send_cmd.html"


async def open_session(gw, crypt="none", key_form="raw", expires=180, path="/crypt_sess.json"):
    # A fresh cnonce per handshake, as 3.2.1 asks: a repeated one is a replay.
    params = handshake_params(
        "root", "root", secrets.token_hex(8), crypt=crypt, expires=expires, url_resource=path
    )
    status, answer = await gw.get(path, **params)
    assert status == 200 and answer["code"] == 0, answer
    assert answer["expires"] == expires
    return SecureSession.from_handshake("root", "root", answer, crypt=crypt, key_form=key_form)


async def post_sealed(gw, session, path, doc):
    query, body = session.seal(path, json.dumps(doc).encode())
    resp = await gw.client.post(path, params=query, data=body)
    return resp.status, await resp.json(content_type=None)


@pytest.mark.parametrize("crypt", CRYPTS)
async def test_encrypted_command_is_decrypted_and_run(gateway, crypt):
    session = await open_session(gateway, crypt)
    status, doc = await post_sealed(
        gateway, session, CMD, {"type": "command", "op": "lock", "ports": "2A"}
    )
    assert (status, doc) == (200, {"code": 0, "reason": "OK"})
    assert (await gateway.port_st(2)) == SimState.USER_LOCKED


async def test_alias_path_and_signed_get(gateway):
    session = await open_session(gateway, "rc4", path="/encrypt_sess.json")
    resp = await gateway.client.get(
        "/goip_get_status.html", params=session.sign("/goip_get_status.html")
    )
    doc = await resp.json()
    assert doc["type"] == "dev-status"


async def test_hex_key_quirk_prefers_hex_and_still_opens_raw(gateway_factory):
    gw = await gateway_factory(small(quirks={"crypt_key": "hex"}))
    await gw.advance(10)
    session = await open_session(gw, "aes-ecb", key_form="hex")
    status, doc = await post_sealed(
        gw, session, CMD, {"type": "command", "op": "lock", "ports": "1"}
    )
    assert doc == {"code": 0, "reason": "OK"}
    assert (await gw.port_st(1)) == SimState.USER_LOCKED
    raw = await open_session(gw, "aes-ecb", key_form="raw")
    status, doc = await post_sealed(gw, raw, CMD, {"type": "command", "op": "unlock", "ports": "1"})
    assert (status, doc) == (200, {"code": 0, "reason": "OK"})
    assert (await gw.port_st(1)) != SimState.USER_LOCKED  # unlocked: registering again
    entries = (await gw.get("/_emulator/journal", type="goip_send_cmd"))[1]["entries"]
    assert [e["session_variant"].split(",")[2] for e in entries] == ["hex-key", "raw-key"]


async def test_replayed_seq_is_refused_and_changes_nothing(gateway):
    session = await open_session(gateway, "xor")
    query, body = session.seal(CMD, json.dumps({"op": "lock", "ports": "3A"}).encode())
    resp = await gateway.client.post(CMD, params=query, data=body)
    assert (await resp.json())["code"] == 0
    resp = await gateway.client.post(CMD, params=query, data=body)  # the same again
    doc = await resp.json()
    assert doc["code"] == 14 and "seq" in doc["reason"] and "not greater" in doc["reason"]


async def test_expired_session_is_refused_in_virtual_time(gateway):
    session = await open_session(gateway, "none", expires=60)
    await gateway.advance(59)
    resp = await gateway.client.get(CMD, params={**session.sign(CMD), "op": "save"})
    assert (await resp.json())["code"] == 0  # renews the lifetime: 60 s from now
    await gateway.advance(60)
    resp = await gateway.client.get(CMD, params={**session.sign(CMD), "op": "save"})
    doc = await resp.json()
    assert doc["code"] == 14 and "expired" in doc["reason"]


async def test_expires_on_a_request_renews_for_that_long(gateway):
    session = await open_session(gateway, "none", expires=60)
    resp = await gateway.client.get(CMD, params={**session.sign(CMD, expires=600), "op": "save"})
    assert (await resp.json())["code"] == 0
    await gateway.advance(300)
    resp = await gateway.client.get(CMD, params={**session.sign(CMD), "op": "save"})
    assert (await resp.json())["code"] == 0


async def test_wrong_auth_unknown_session_and_reboot(gateway):
    session = await open_session(gateway, "none")
    params = {**session.sign(CMD), "op": "lock", "ports": "1"}
    params["auth"] = "0" * 32
    doc = await (await gateway.client.get(CMD, params=params)).json()
    assert doc["code"] == 14 and "does not match" in doc["reason"]
    params = {**session.sign(CMD), "op": "lock", "ports": "1", "session": "nope"}
    doc = await (await gateway.client.get(CMD, params=params)).json()
    assert doc["code"] == 14 and "unknown" in doc["reason"]
    assert (await gateway.port_st(1)) == SimState.OK
    await gateway.get(CMD, op="reboot", username="root", password="root")
    await gateway.advance(40)
    doc = await (await gateway.client.get(CMD, params={**session.sign(CMD), "op": "save"})).json()
    assert doc["code"] == 14 and "forgotten by a reboot" in doc["reason"]


async def test_a_body_that_does_not_decrypt_does_not_use_up_its_seq(gateway):
    session = await open_session(gateway, "aes-ecb")
    query, body = session.seal(CMD, json.dumps({"op": "lock", "ports": "4A"}).encode())
    resp = await gateway.client.post(CMD, params=query, data=b"bm90IGNpcGhlcnRleHQ=")
    assert resp.status == 400
    resp = await gateway.client.post(CMD, params=query, data=body)
    assert (await resp.json())["code"] == 0
    assert (await gateway.port_st(4)) == SimState.USER_LOCKED


@pytest.mark.parametrize(
    ("params", "code", "words"),
    [
        ({"username": "admin"}, 1, "unknown"),
        ({"auth": "f" * 32}, 1, "does not match"),
        ({"crypt": "des"}, 2, "'des' is not one of"),
        ({"expires": "soon"}, 7, ""),
    ],
)
async def test_handshake_refusals_say_which(gateway, params, code, words):
    query = {**handshake_params("root", "root", "abc", crypt="rc4"), **params}
    status, doc = await gateway.get("/crypt_sess.json", **query)
    assert status == 200 and doc["code"] == code
    assert words in doc["desc"]
    assert "session" not in doc


async def test_an_encrypted_task_is_accepted_and_sent(gateway, receiver):
    session = await open_session(gateway, "aes-ecb")
    task = {
        "type": "send-sms",
        "sr_url": receiver.url,
        "sr_cnt": 1,
        "tasks": [{"tid": 31, "to": "13686876620", "sms": "secret hello"}],
    }
    status, doc = await post_sealed(gateway, session, "/goip_post_sms.html", task)
    assert doc["status"] == [{"tid": 31, "status": "0 OK"}]
    await gateway.advance(30)
    assert receiver.of_type("status-report")[0]["rpts"][0]["sent"] == 1


async def test_a_refused_session_refuses_every_task_with_14(gateway):
    session = await open_session(gateway, "rc4")
    query, body = session.seal("/goip_post_sms.html", b'{"tasks": [{"tid": 5}, {"tid": 6}]}')
    query["auth"] = "0" * 32
    resp = await gateway.client.post("/goip_post_sms.html", params=query, data=body)
    doc = await resp.json()
    assert [s["tid"] for s in doc["status"]] == [None]  # the body could not be read
    assert doc["status"][0]["status"].startswith("14 Unauthorized: auth")
    assert (await gateway.task_ids()) == []
