"""What a client does to talk to the device inside a security session (spec 3).

Pure: it computes query parameters and bodies, you send them with any HTTP
client. A session with aes-ecb, sending one task encrypted::

    import json, secrets
    import requests
    from emulator.client.crypto import SecureSession, handshake_params

    base = "http://127.0.0.1:8080"
    params = handshake_params("root", "root", secrets.token_hex(8), crypt="aes-ecb")
    answer = requests.get(f"{base}/crypt_sess.json", params=params).json()
    session = SecureSession.from_handshake("root", "root", answer, crypt="aes-ecb")

    task = {"type": "send-sms", "task_num": 1, "tasks": [...]}
    query, body = session.seal("/goip_post_sms.html", json.dumps(task).encode())
    requests.post(f"{base}/goip_post_sms.html", params=query, data=body)

    # A GET inside the session only needs the signed parameters:
    requests.get(f"{base}/goip_get_status.html", params=session.sign("/goip_get_status.html"))

The device answers in plain text (3.1 step 4). Each `sign`/`seal` uses the next
`seq`, so send requests in the order they were signed. Draw a fresh `cnonce` for
every handshake: the device refuses one it has seen while that session lives.
The device also accepts the variants clients in the field use (README, "Security
sessions"); this helper speaks the spec's way. A device profile with
`quirks.crypt_key: hex` needs `key_form="hex"`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from emulator.core.crypto import (
    HANDSHAKE_RESOURCE,
    Crypt,
    KeyForm,
    cipher_key,
    encode_body,
    initial_auth,
    request_auth,
)


class HandshakeRefused(Exception):
    """The device answered the handshake with a non-zero code (spec 3.2.2)."""

    def __init__(self, code: int, desc: str) -> None:
        super().__init__(f"handshake refused: {code} {desc}")
        self.code = code
        self.desc = desc


def handshake_params(
    username: str,
    password: str,
    cnonce: str,
    crypt: Crypt | str = Crypt.NONE,
    expires: int = 180,
    url_resource: str = HANDSHAKE_RESOURCE,
) -> dict[str, str]:
    """Query parameters of GET /crypt_sess.json (spec 3.2.1); the password never leaves.

    Pass `url_resource="/encrypt_sess.json"` when calling the alias.
    """
    return {
        "username": username,
        "cnonce": cnonce,
        "auth": initial_auth(username, password, cnonce, url_resource),
        "crypt": Crypt(crypt).value,
        "expires": str(expires),
    }


@dataclass
class SecureSession:
    """A client's side of one security session; `seq` is the next one to send (3.2.3)."""

    username: str
    password: str
    session: str
    crypt: Crypt = Crypt.NONE
    key_form: KeyForm = KeyForm.RAW
    seq: int = 1
    expires: int = 180

    @classmethod
    def from_handshake(
        cls,
        username: str,
        password: str,
        answer: Mapping[str, Any],
        crypt: Crypt | str = Crypt.NONE,
        key_form: KeyForm | str = KeyForm.RAW,
    ) -> SecureSession:
        """The session from the device's JSON answer to the handshake (spec 3.2.2)."""
        code = int(answer.get("code", -1))
        if code != 0:
            raise HandshakeRefused(code, str(answer.get("desc", "no desc given")))
        if not answer.get("session"):
            raise HandshakeRefused(code, f"the answer has no session: {dict(answer)!r}")
        return cls(
            username=username,
            password=password,
            session=str(answer["session"]),
            crypt=Crypt(crypt),
            key_form=KeyForm(key_form),
            expires=int(answer.get("expires", 180)),
        )

    def sign(self, url_resource: str, expires: int | None = None) -> dict[str, str]:
        """Query parameters session, seq, auth (and expires to renew) for one request (3.2.3)."""
        seq = self.seq
        self.seq += 1
        params = {
            "session": self.session,
            "seq": str(seq),
            "auth": request_auth(self.username, self.password, self.session, url_resource, seq),
        }
        if expires is not None:
            params["expires"] = str(expires)
            self.expires = expires
        return params

    def seal(
        self, url_resource: str, body: bytes, expires: int | None = None
    ) -> tuple[dict[str, str], bytes]:
        """Signed parameters and the body encrypted with this request's key (spec 3.3.3)."""
        params = self.sign(url_resource, expires)
        key = cipher_key(
            self.username,
            self.password,
            params["auth"],
            self.session,
            params["seq"],
            self.key_form,
        )
        return params, encode_body(self.crypt, key, body)
