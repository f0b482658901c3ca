"""Security sessions opened as clients in the field open them (spec 3, INTERPRETATION.md).

The client here is written from the text of spec 3.3 alone, with hashlib and
PyCryptodome's ciphers, not with emulator/crypto_client.py: it checks the device
against the spec, not against the emulator's own helper. `Way` says which of the
variants seen in the field the client uses; `Way()` is the spec's.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass

import pytest
from conftest import small
from Crypto.Cipher import AES, ARC4

from emulator.core.codes import SimState

USER, PASSWORD = "root", "root"
CMD = "/goip_send_cmd.html"


def md5(*parts: str) -> str:
    return hashlib.md5("".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Way:
    seq_first: bool = False  # auth = MD5(user + pw + session + seq + url-resource)
    handshake_key: bool = False  # key string holds the handshake's auth
    hex_key: bool = False  # cipher key = the 32 hex characters (AES-256)
    zero_pad: bool = False  # aes-ecb filled with NULs instead of PKCS#7
    raw_body: bool = False  # ciphertext bytes instead of base64 text
    handshake_path: str = "/crypt_sess.json"  # the path the handshake auth names

    def label(self, crypt: str) -> str:
        """The journal's `session_variant` the device should report for this way."""
        parts = ["seq-first" if self.seq_first else "seq-last"]
        parts.append("handshake-key" if self.handshake_key else "request-key")
        parts.append("hex-key" if self.hex_key else "raw-key")
        if crypt == "aes-ecb":
            parts.append("zero-pad" if self.zero_pad else "pkcs7-pad")
        parts.append("raw-body" if self.raw_body else "base64-body")
        return ",".join(parts)


# The vendor's own scripts: seq first, handshake auth in the key, hex key, zero padding, raw body.
VENDOR = Way(seq_first=True, handshake_key=True, hex_key=True, zero_pad=True, raw_body=True)
WAYS = {
    "spec": Way(),
    "seq-first": Way(seq_first=True),
    "handshake-key": Way(handshake_key=True),
    "hex-key": Way(hex_key=True),
    "zero-pad": Way(zero_pad=True),
    "raw-body": Way(raw_body=True),
    "vendor": VENDOR,
}


@dataclass
class Client:
    session: str
    handshake_auth: str
    crypt: str
    way: Way
    password: str = PASSWORD
    seq: int = 0

    def sign(self, path: str) -> dict[str, str]:
        self.seq += 1
        seq = str(self.seq)
        if self.way.seq_first:
            auth = md5(USER, self.password, self.session, seq, path)
        else:
            auth = md5(USER, self.password, self.session, path, seq)
        return {"session": self.session, "seq": seq, "auth": auth}

    def seal(self, path: str, doc: dict) -> tuple[dict[str, str], bytes]:
        query = self.sign(path)
        in_key = self.handshake_auth if self.way.handshake_key else query["auth"]
        digest = hashlib.md5((USER + self.password + in_key + self.session + query["seq"]).encode())
        key = digest.hexdigest().encode() if self.way.hex_key else digest.digest()
        plain = json.dumps(doc).encode()
        if self.crypt == "aes-ecb":
            if self.way.zero_pad:
                plain += b"\0" * (-len(plain) % 16)
            else:
                n = 16 - len(plain) % 16
                plain += bytes([n]) * n
            ciphertext = AES.new(key, AES.MODE_ECB).encrypt(plain)
        elif self.crypt == "rc4":
            ciphertext = ARC4.new(key).encrypt(plain)
        else:  # xor: the key repeated over the text
            ciphertext = bytes(b ^ key[i % len(key)] for i, b in enumerate(plain))
        return query, ciphertext if self.way.raw_body else base64.b64encode(ciphertext)


async def handshake(gw, crypt: str, way: Way = Way(), url: str = "/crypt_sess.json") -> Client:
    cnonce = secrets.token_hex(8)
    auth = md5(USER, PASSWORD, cnonce, way.handshake_path)
    status, doc = await gw.get(url, username=USER, cnonce=cnonce, auth=auth, crypt=crypt)
    assert status == 200 and doc["code"] == 0, doc
    return Client(doc["session"], auth, crypt, way)


async def post(gw, query: dict[str, str], body: bytes) -> tuple[int, dict]:
    resp = await gw.client.post(CMD, params=query, data=body)
    return resp.status, await resp.json(content_type=None)


async def last_entry(gw, type_: str) -> dict:
    status, doc = await gw.get("/_emulator/journal", kind="request", type=type_)
    return doc["entries"][-1]


def lock(port: int) -> dict:
    return {"type": "command", "op": "lock", "ports": str(port)}


@pytest.mark.parametrize("name", WAYS)
async def test_aes_ecb_request_in_each_variant_is_run_and_journalled(gateway, name):
    client = await handshake(gateway, "aes-ecb", WAYS[name])
    status, doc = await post(gateway, *client.seal(CMD, lock(2)))
    assert (status, doc) == (200, {"code": 0, "reason": "OK"})
    assert (await gateway.port_st(2)) == SimState.USER_LOCKED
    entry = await last_entry(gateway, "goip_send_cmd")
    assert entry["session_variant"] == WAYS[name].label("aes-ecb")
    assert entry["body"] == lock(2)  # the journal shows the clear text


@pytest.mark.parametrize("crypt", ["rc4", "xor"])
@pytest.mark.parametrize("name", ["spec", "seq-first", "handshake-key", "hex-key", "raw-body"])
async def test_stream_cipher_request_in_each_variant_is_run(gateway, crypt, name):
    client = await handshake(gateway, crypt, WAYS[name])
    status, doc = await post(gateway, *client.seal(CMD, lock(3)))
    assert (status, doc) == (200, {"code": 0, "reason": "OK"})
    assert (await gateway.port_st(3)) == SimState.USER_LOCKED
    entry = await last_entry(gateway, "goip_send_cmd")
    assert entry["session_variant"] == WAYS[name].label(crypt)


async def test_vendor_scripts_run_several_requests_in_one_session(gateway):
    client = await handshake(gateway, "aes-ecb", VENDOR)
    for port in (1, 2, 3):
        status, doc = await post(gateway, *client.seal(CMD, lock(port)))
        assert doc == {"code": 0, "reason": "OK"}
    states = (await gateway.port_states())[:3]
    assert states == [SimState.USER_LOCKED] * 3


async def test_a_get_in_seq_first_order_is_signed_and_journalled(gateway):
    client = await handshake(gateway, "none", Way(seq_first=True))
    resp = await gateway.client.get(
        "/goip_get_status.html", params=client.sign("/goip_get_status.html")
    )
    assert (await resp.json())["type"] == "dev-status"
    entry = await last_entry(gateway, "goip_get_status")
    assert entry["session_variant"] == "seq-first"  # no body: no key to name


@pytest.mark.parametrize("url", ["/crypt_sess.json", "/encrypt_sess.json"])
@pytest.mark.parametrize("named", ["/crypt_sess.json", "/encrypt_sess.json"])
async def test_handshake_auth_may_name_either_path_at_either_url(gateway, url, named):
    client = await handshake(gateway, "rc4", Way(handshake_path=named), url=url)
    entry = await last_entry(gateway, url.strip("/").removesuffix(".json"))
    assert entry["session_variant"] == f"auth-path={named}"
    status, doc = await post(gateway, *client.seal(CMD, lock(1)))
    assert doc == {"code": 0, "reason": "OK"}


@pytest.mark.parametrize(
    ("password", "path"),
    [
        ("not-root", "/crypt_sess.json"),
        ("not-root", "/encrypt_sess.json"),
        (PASSWORD, "/goip_send_cmd.html"),  # only the two handshake paths are variants
    ],
)
async def test_a_wrong_handshake_auth_fails_whichever_path_it_names(gateway, password, path):
    cnonce = secrets.token_hex(8)
    auth = md5(USER, password, cnonce, path)
    status, doc = await gateway.get(
        "/crypt_sess.json", username=USER, cnonce=cnonce, auth=auth, crypt="aes-ecb"
    )
    assert doc["code"] == 1 and "does not match" in doc["desc"] and "session" not in doc


@pytest.mark.parametrize("name", WAYS)
async def test_a_wrong_password_is_refused_in_every_variant(gateway, name):
    client = await handshake(gateway, "aes-ecb", WAYS[name])
    client.password = "not-root"
    status, doc = await post(gateway, *client.seal(CMD, lock(4)))
    assert doc["code"] == 14 and "does not match" in doc["reason"]
    assert (await gateway.port_st(4)) == SimState.OK


@pytest.mark.parametrize("name", WAYS)
async def test_a_key_from_a_wrong_password_opens_no_variant_and_keeps_the_seq(gateway, name):
    client = await handshake(gateway, "aes-ecb", WAYS[name])
    client.password = "not-root"
    _, bad_body = client.seal(CMD, lock(4))
    client.password, client.seq = PASSWORD, 0
    query, body = client.seal(CMD, lock(4))  # right auth, seq 1 again
    status, doc = await post(gateway, query, bad_body)
    assert status == 400 and "does not decrypt" in doc["reason"]
    assert (await gateway.port_st(4)) == SimState.OK
    status, doc = await post(gateway, query, body)  # the same seq still opens
    assert doc == {"code": 0, "reason": "OK"}


async def test_seq_must_grow_across_variants(gateway):
    client = await handshake(gateway, "aes-ecb", VENDOR)
    client.seq = 4
    status, doc = await post(gateway, *client.seal(CMD, lock(1)))  # seq 5
    assert doc["code"] == 0
    client.way, client.seq = Way(), 4
    status, doc = await post(gateway, *client.seal(CMD, lock(2)))  # seq 5, the spec's way
    assert doc["code"] == 14 and "not greater" in doc["reason"]
    assert (await gateway.port_st(2)) == SimState.OK


async def test_a_replayed_handshake_is_refused_while_its_session_lives(gateway):
    cnonce = secrets.token_hex(8)
    query = {
        "username": USER,
        "cnonce": cnonce,
        "auth": md5(USER, PASSWORD, cnonce, "/crypt_sess.json"),
        "crypt": "rc4",
        "expires": "60",
    }
    status, first = await gateway.get("/crypt_sess.json", **query)
    assert first["code"] == 0
    for _ in range(70):  # more than the 64 sessions the table holds
        status, doc = await gateway.get("/crypt_sess.json", **query)
        assert doc["code"] == 1 and "replayed" in doc["desc"] and "session" not in doc
    upper = {**query, "auth": query["auth"].upper()}
    status, doc = await gateway.get("/crypt_sess.json", **upper)
    assert doc["code"] == 1 and "replayed" in doc["desc"]
    client = Client(first["session"], query["auth"], "rc4", Way())
    status, doc = await post(gateway, *client.seal(CMD, lock(1)))
    assert doc == {"code": 0, "reason": "OK"}  # the legitimate session was not evicted
    await gateway.advance(61)
    status, doc = await gateway.get("/crypt_sess.json", **query)
    assert doc["code"] == 0  # its session is gone: the handshake opens one again, no more


async def test_seventy_replays_of_one_handshake_do_not_evict_other_sessions(gateway_factory):
    gw = await gateway_factory(small(device={"max_sessions": 4}))
    await gw.advance(10)
    legit = [await handshake(gw, "none") for _ in range(3)]
    cnonce = secrets.token_hex(8)
    captured = {
        "username": USER,
        "cnonce": cnonce,
        "auth": md5(USER, PASSWORD, cnonce, "/crypt_sess.json"),
    }
    codes = [(await gw.get("/crypt_sess.json", **captured))[1]["code"] for _ in range(70)]
    assert codes == [0] + [1] * 69  # the table is full now, with the one session it opened
    for client in legit:
        resp = await gw.client.get(CMD, params={**client.sign(CMD), "op": "save"})
        assert (await resp.json())["code"] == 0


async def session_ids(gw, n: int = 3) -> list[str]:
    return [(await handshake(gw, "none")).session for _ in range(n)]


async def test_session_ids_repeat_with_a_fixed_seed(gateway_factory):
    by_argument = [await session_ids(await gateway_factory(small(), seed=3)) for _ in range(2)]
    assert by_argument[0] == by_argument[1]
    by_profile = [await session_ids(await gateway_factory(small(seed=3))) for _ in range(2)]
    assert by_profile[0] == by_profile[1]


async def test_session_ids_are_unpredictable_without_a_seed(gateway_factory):
    runs = [await session_ids(await gateway_factory(small())) for _ in range(2)]
    assert runs[0] != runs[1]
    assert all(len(sid) == 16 and int(sid, 16) >= 0 for sid in runs[0] + runs[1])
