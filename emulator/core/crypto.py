"""The digests and ciphers of the security session (spec 3.3).

All MD5 results are lowercase hex strings when they are concatenated or
compared (INTERPRETATION.md, "Security session"). The cipher key is the MD5
of `username + password + auth + session + seq`, either as the raw 16-byte
digest (the default) or as its 32 ASCII hex characters (profile quirk
`crypt_key: hex`). An encrypted POST body travels as base64 text of the
ciphertext; with `crypt=none` the body is the plain text itself.

Clients in the field build some of these differently (INTERPRETATION.md,
"Security session"): `Variant` names one way, and the device tries them
(emulator/core/sessions.py); the functions here take the variant's parts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from Crypto.Cipher import AES, ARC4

if TYPE_CHECKING:
    from Crypto.Cipher._mode_ecb import EcbMode

HANDSHAKE_RESOURCE = "/crypt_sess.json"
HANDSHAKE_ALIAS = "/encrypt_sess.json"
AES_BLOCK = 16


class KeyForm(StrEnum):
    """How the MD5 of the key string becomes cipher key bytes (profile `quirks.crypt_key`)."""

    RAW = "raw"  # the 16-byte digest
    HEX = "hex"  # the 32 lowercase hex characters, as ASCII bytes


class Padding(StrEnum):
    """How an aes-ecb plaintext is filled up to whole blocks."""

    PKCS7 = "pkcs7"  # the default: n bytes of value n
    ZERO = "zero"  # NUL bytes, none when the text fills its blocks (PHP's openssl/mcrypt scripts)


class BodyForm(StrEnum):
    """How the ciphertext travels in the POST body."""

    BASE64 = "base64"  # the default: base64 text
    RAW = "raw"  # the ciphertext bytes themselves


class Crypt(StrEnum):
    """The `crypt` methods a session may negotiate (spec 3.2.1)."""

    NONE = "none"
    XOR = "xor"
    RC4 = "rc4"
    AES_ECB = "aes-ecb"


@dataclass(frozen=True, slots=True)
class Variant:
    """How one client builds a request in a session; the defaults are the spec's (3.3).

    `seq_first`: the request auth is MD5(username + password + session + seq + url-resource).
    `handshake_key`: the key string holds the handshake's auth, not the request's.
    `key_form`: the raw digest (AES-128) or its hex text (AES-256) as cipher key.
    """

    seq_first: bool = False
    handshake_key: bool = False
    key_form: KeyForm = KeyForm.RAW
    padding: Padding = Padding.PKCS7
    body_form: BodyForm = BodyForm.BASE64

    def label(self, crypt: Crypt, sealed: bool) -> str:
        """What the journal shows, e.g. `seq-first,handshake-key,hex-key,zero-pad,raw-body`.

        Only the parts a request used are named: a GET or a crypt=none body has no key.
        """
        parts = ["seq-first" if self.seq_first else "seq-last"]
        if sealed and crypt is not Crypt.NONE:
            parts.append("handshake-key" if self.handshake_key else "request-key")
            parts.append(f"{self.key_form.value}-key")
            if crypt is Crypt.AES_ECB:  # the stream ciphers have no padding
                parts.append("zero-pad" if self.padding is Padding.ZERO else "pkcs7-pad")
            parts.append(f"{self.body_form.value}-body")
        return ",".join(parts)


class DecryptError(ValueError):
    """A body that cannot be decoded or decrypted: bad base64, length or padding."""


def md5_hex(*parts: str) -> str:
    """Lowercase hex MD5 of the concatenated UTF-8 strings (spec 3.3: '+' joins strings)."""
    return hashlib.md5("".join(parts).encode("utf-8")).hexdigest()


def initial_auth(username: str, password: str, cnonce: str, url_resource: str) -> str:
    """The handshake's `auth` = MD5(username + password + cnonce + url-resource) (spec 3.3.1)."""
    return md5_hex(username, password, cnonce, url_resource)


def request_auth(
    username: str,
    password: str,
    session: str,
    url_resource: str,
    seq: int | str,
    *,
    seq_first: bool = False,
) -> str:
    """A later request's `auth` = MD5(username + password + session + url-resource + seq) (3.3.2).

    `seq` is concatenated as the client sent it, so pass the query text when you have it.
    `seq_first` puts it before the url-resource, as some clients in the field do.
    """
    if seq_first:
        return md5_hex(username, password, session, str(seq), url_resource)
    return md5_hex(username, password, session, url_resource, str(seq))


def cipher_key(
    username: str,
    password: str,
    auth: str,
    session: str,
    seq: int | str,
    key_form: KeyForm | str = KeyForm.RAW,
) -> bytes:
    """The cipher key = MD5(username + password + auth + session + seq) (spec 3.3.3).

    `auth` is the request's own auth (3.3.2), so every request has a fresh key;
    some clients put the handshake's auth (3.3.1) here instead.
    """
    digest = hashlib.md5(f"{username}{password}{auth}{session}{seq}".encode())
    if KeyForm(key_form) is KeyForm.HEX:
        return digest.hexdigest().encode("ascii")
    return digest.digest()


def encrypt(
    crypt: Crypt | str, key: bytes, plaintext: bytes, padding: Padding | str = Padding.PKCS7
) -> bytes:
    """Encrypt with the session's method (spec 3.2.1).

    aes-ecb pads with PKCS#7 (or zeros); its key length picks the variant, so the raw
    16-byte key gives AES-128 and the 32-byte hex key (quirk `crypt_key: hex`) gives AES-256.
    """
    method = Crypt(crypt)
    if method is Crypt.NONE:
        return plaintext
    if method is Crypt.XOR:
        return _xor(key, plaintext)
    if method is Crypt.RC4:
        return ARC4.new(key).encrypt(plaintext)
    if Padding(padding) is Padding.ZERO:
        return _aes(key).encrypt(plaintext + bytes(-len(plaintext) % AES_BLOCK))
    pad = AES_BLOCK - len(plaintext) % AES_BLOCK
    return _aes(key).encrypt(plaintext + bytes([pad]) * pad)


def decrypt(
    crypt: Crypt | str, key: bytes, ciphertext: bytes, padding: Padding | str = Padding.PKCS7
) -> bytes:
    """Decrypt with the session's method; a wrong length or padding raises DecryptError (3.1).

    Zero padding cannot be checked: the trailing NULs are dropped, whatever came before.
    """
    method = Crypt(crypt)
    if method is Crypt.NONE:
        return ciphertext
    if method is Crypt.XOR:
        return _xor(key, ciphertext)
    if method is Crypt.RC4:
        return ARC4.new(key).decrypt(ciphertext)
    if not ciphertext or len(ciphertext) % AES_BLOCK:
        raise DecryptError(
            f"aes-ecb ciphertext is {len(ciphertext)} bytes, "
            f"not a non-zero multiple of {AES_BLOCK}; the body was cut or is not aes-ecb"
        )
    padded = _aes(key).decrypt(ciphertext)
    if Padding(padding) is Padding.ZERO:
        return padded.rstrip(b"\0")
    pad = padded[-1]
    # Every byte of the padding is checked, not just the last one, so that most
    # decryptions under a wrong key are reported instead of yielding garbage.
    if not 1 <= pad <= AES_BLOCK or padded[-pad:] != bytes([pad]) * pad:
        raise DecryptError(
            "aes-ecb plaintext does not end in valid PKCS#7 padding "
            f"(last byte 0x{pad:02x}); wrong key, wrong seq/auth, or a tampered body"
        )
    return padded[:-pad]


def encode_body(
    crypt: Crypt | str,
    key: bytes,
    plaintext: bytes,
    padding: Padding | str = Padding.PKCS7,
    form: BodyForm | str = BodyForm.BASE64,
) -> bytes:
    """A POST body as the client sends it: base64 of the ciphertext, plain for none (3.1)."""
    if Crypt(crypt) is Crypt.NONE:
        return plaintext
    ciphertext = encrypt(crypt, key, plaintext, padding)
    return ciphertext if BodyForm(form) is BodyForm.RAW else base64.b64encode(ciphertext)


def decode_body(
    crypt: Crypt | str,
    key: bytes,
    body: bytes,
    padding: Padding | str = Padding.PKCS7,
    form: BodyForm | str = BodyForm.BASE64,
) -> bytes:
    """The plain text of a POST body sent inside a session (spec 3.1 step 4).

    Whitespace in the base64 is ignored because clients wrap long lines.
    """
    method = Crypt(crypt)
    if method is Crypt.NONE:
        return body
    if BodyForm(form) is BodyForm.RAW:
        return decrypt(method, key, body, padding)
    return decrypt(method, key, ciphertext_of(method, body), padding)


def ciphertext_of(crypt: Crypt, body: bytes) -> bytes:
    """The ciphertext in a base64 body; DecryptError when it is not base64."""
    compact = b"".join(body.split())
    try:
        return base64.b64decode(compact, validate=True)
    except binascii.Error as exc:
        raise DecryptError(
            f"the {crypt} body is not valid base64 ({exc}); "
            "an encrypted body must be base64 text of the ciphertext"
        ) from None


def _xor(key: bytes, data: bytes) -> bytes:
    if not key:
        raise ValueError("xor needs a key of at least one byte")
    repeats = len(data) // len(key) + 1
    return bytes(a ^ b for a, b in zip(data, key * repeats, strict=False))


def _aes(key: bytes) -> EcbMode:
    if len(key) not in (16, 24, 32):
        raise ValueError(f"an AES key is 16, 24 or 32 bytes, not {len(key)}")
    return AES.new(key, AES.MODE_ECB)
