"""Digests and ciphers of the security session (spec 3.3) against published vectors."""

import base64
import hashlib

import pytest
from Crypto.Cipher import AES
from hypothesis import given
from hypothesis import strategies as st

from emulator.core.crypto import (
    BodyForm,
    Crypt,
    DecryptError,
    KeyForm,
    Padding,
    Variant,
    cipher_key,
    decode_body,
    decrypt,
    encode_body,
    encrypt,
    initial_auth,
    md5_hex,
    request_auth,
)

KEYS = {form: cipher_key("root", "root", "a" * 32, "s1", 1, form) for form in KeyForm}


# --- MD5 and the spec's formulas -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "digest"),
    [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),  # RFC 1321 test suite
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        (
            "The quick brown fox jumps over the lazy dog",
            "9e107d9d372bb6826bd81d3542a419d6",
        ),
    ],
)
def test_md5_of_known_strings(text, digest):
    assert md5_hex(text) == digest


def test_md5_hex_concatenates_its_parts_as_utf8():
    assert md5_hex("ab", "c") == md5_hex("abc")
    assert md5_hex("短信") == hashlib.md5("短信".encode()).hexdigest()


def test_initial_auth_is_md5_of_user_password_cnonce_resource():
    expected = hashlib.md5(b"rootpw" + b"c0ffee" + b"/crypt_sess.json").hexdigest()
    assert initial_auth("root", "pw", "c0ffee", "/crypt_sess.json") == expected
    assert initial_auth("root", "pw", "c0ffee", "/encrypt_sess.json") != expected


def test_request_auth_appends_seq_as_decimal_text():
    expected = hashlib.md5(b"rootpw" + b"s1" + b"/goip_post_sms.html" + b"12").hexdigest()
    assert request_auth("root", "pw", "s1", "/goip_post_sms.html", 12) == expected
    assert request_auth("root", "pw", "s1", "/goip_post_sms.html", "12") == expected


def test_request_auth_with_seq_first_puts_seq_before_the_resource():
    expected = hashlib.md5(b"rootpw" + b"s1" + b"12" + b"/goip_post_sms.html").hexdigest()
    assert request_auth("root", "pw", "s1", "/goip_post_sms.html", 12, seq_first=True) == expected
    assert request_auth("root", "pw", "s1", "/goip_post_sms.html", 12) != expected


def test_cipher_key_forms():
    digest = hashlib.md5(b"rootpw" + b"AUTH" + b"s1" + b"7")
    raw = cipher_key("root", "pw", "AUTH", "s1", 7)
    hexed = cipher_key("root", "pw", "AUTH", "s1", 7, KeyForm.HEX)
    assert raw == digest.digest() and len(raw) == 16
    assert hexed == digest.hexdigest().encode() and len(hexed) == 32
    assert cipher_key("root", "pw", "AUTH", "s1", 7, "hex") == hexed


# --- RC4 ------------------------------------------------------------------------------------


def test_rc4_rfc6229_key_0102030405_keystream():
    # RFC 6229, 40-bit key: keystream at offsets 0 and 16; encrypting zeros exposes it.
    stream = encrypt(Crypt.RC4, bytes.fromhex("0102030405"), bytes(32))
    assert stream[:16] == bytes.fromhex("b2396305f03dc027ccc3524a0a1118a8")
    assert stream[16:] == bytes.fromhex("6982944f18fc82d589c403a47a0d0919")


@pytest.mark.parametrize(
    ("key", "plaintext", "ciphertext"),
    [
        (b"Key", b"Plaintext", "bbf316e8d940af0ad3"),
        (b"Wiki", b"pedia", "1021bf0420"),
        (b"Secret", b"Attack at dawn", "45a01f645fc35b383552544b9bf5"),
    ],
)
def test_rc4_classic_vectors(key, plaintext, ciphertext):
    assert encrypt(Crypt.RC4, key, plaintext).hex() == ciphertext
    assert decrypt(Crypt.RC4, key, bytes.fromhex(ciphertext)) == plaintext


# --- AES-ECB --------------------------------------------------------------------------------

SP800_38A_KEY = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")


def test_aes128_ecb_nist_sp800_38a_vector():
    plaintext = bytes.fromhex("6bc1bee22e409f96e93d7e117393172a")
    ciphertext = encrypt(Crypt.AES_ECB, SP800_38A_KEY, plaintext)
    # Our encrypt adds a whole block of PKCS#7 padding after a full block.
    assert len(ciphertext) == 32
    assert ciphertext[:16] == bytes.fromhex("3ad77bb40d7a3660a89ecaf32466ef97")
    assert ciphertext[16:] == AES.new(SP800_38A_KEY, AES.MODE_ECB).encrypt(bytes([16]) * 16)
    assert decrypt(Crypt.AES_ECB, SP800_38A_KEY, ciphertext) == plaintext


def test_aes256_ecb_fips197_vector_is_what_the_hex_key_selects():
    # FIPS-197 C.3: a 32-byte key means AES-256, as with quirk crypt_key: hex.
    key = bytes(range(32))
    ciphertext = encrypt(Crypt.AES_ECB, key, bytes.fromhex("00112233445566778899aabbccddeeff"))
    assert ciphertext[:16] == bytes.fromhex("8ea2b7ca516745bfeafc49904b496089")


def test_aes_pads_with_pkcs7():
    ciphertext = encrypt(Crypt.AES_ECB, SP800_38A_KEY, b"abc")
    padded = AES.new(SP800_38A_KEY, AES.MODE_ECB).decrypt(ciphertext)
    assert padded == b"abc" + bytes([13]) * 13


@pytest.mark.parametrize("length", [0, 1, 15, 17, 31])
def test_aes_ciphertext_of_wrong_length_is_refused(length):
    with pytest.raises(DecryptError, match=f"{length} bytes"):
        decrypt(Crypt.AES_ECB, SP800_38A_KEY, bytes(length))


@pytest.mark.parametrize("tail", [b"\x00", b"\x11", b"\x02\x03", b"\x03\x03\x04\x03"])
def test_aes_bad_padding_is_refused(tail):
    block = (b"x" * 16 + tail)[-16:]
    ciphertext = AES.new(SP800_38A_KEY, AES.MODE_ECB).encrypt(block)
    with pytest.raises(DecryptError, match="PKCS#7"):
        decrypt(Crypt.AES_ECB, SP800_38A_KEY, ciphertext)


def test_aes_under_the_wrong_key_is_refused():
    ciphertext = encrypt(Crypt.AES_ECB, KEYS[KeyForm.RAW], b'{"type":"send-sms"}')
    wrong = cipher_key("root", "root", "a" * 32, "s1", 2)
    with pytest.raises(DecryptError):
        decrypt(Crypt.AES_ECB, wrong, ciphertext)


# --- XOR and none ---------------------------------------------------------------------------


def test_xor_repeats_the_key():
    assert encrypt(Crypt.XOR, b"\x01\x02", b"\x00\x00\x00\xff") == b"\x01\x02\x01\xfd"
    assert decrypt(Crypt.XOR, b"\x01\x02", b"\x01\x02\x01\xfd") == b"\x00\x00\x00\xff"


def test_none_is_identity_and_its_body_is_not_base64():
    assert encrypt(Crypt.NONE, b"k", b"plain") == b"plain"
    assert encode_body(Crypt.NONE, b"k", b"plain") == b"plain"
    assert decode_body(Crypt.NONE, b"k", b"plain") == b"plain"


# --- bodies ---------------------------------------------------------------------------------


@given(
    crypt=st.sampled_from(Crypt),
    key_form=st.sampled_from(KeyForm),
    body=st.binary(max_size=300),
)
def test_every_body_round_trips(crypt, key_form, body):
    key = KEYS[key_form]
    encoded = encode_body(crypt, key, body)
    assert decode_body(crypt, key, encoded) == body
    if crypt is not Crypt.NONE:
        assert base64.b64decode(encoded, validate=True) == encrypt(crypt, key, body)


@pytest.mark.parametrize("crypt", [c for c in Crypt if c is not Crypt.NONE])
def test_base64_wrapped_over_lines_is_accepted(crypt):
    key = KEYS[KeyForm.RAW]
    text = b"x" * 200
    encoded = encode_body(crypt, key, text)
    wrapped = b"\r\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76)) + b"\n"
    assert decode_body(crypt, key, b"  " + wrapped) == text


@pytest.mark.parametrize("crypt", [c for c in Crypt if c is not Crypt.NONE])
@pytest.mark.parametrize("body", [b"not base64!", b"QUJ", b"QQ", b"Q", "é".encode(), b"{}"])
def test_body_that_is_not_base64_is_refused(crypt, body):
    with pytest.raises(DecryptError, match="not valid base64"):
        decode_body(crypt, KEYS[KeyForm.RAW], body)


def test_truncated_aes_body_is_refused():
    encoded = encode_body(Crypt.AES_ECB, KEYS[KeyForm.RAW], b"y" * 40)
    cut = base64.b64encode(base64.b64decode(encoded)[:-4])
    with pytest.raises(DecryptError, match="multiple of 16"):
        decode_body(Crypt.AES_ECB, KEYS[KeyForm.RAW], cut)


@given(crypt=st.sampled_from(Crypt), key_form=st.sampled_from(KeyForm), body=st.binary())
def test_garbage_body_raises_only_decrypt_error(crypt, key_form, body):
    try:
        result = decode_body(crypt, KEYS[key_form], body)
    except DecryptError as exc:
        assert str(exc)
    else:
        assert isinstance(result, bytes)


@given(
    crypt=st.sampled_from(Crypt),
    key_form=st.sampled_from(KeyForm),
    ciphertext=st.binary(max_size=80),
)
def test_garbage_base64_ciphertext_raises_only_decrypt_error(crypt, key_form, ciphertext):
    try:
        decode_body(crypt, KEYS[key_form], base64.b64encode(ciphertext))
    except DecryptError:
        pass


@given(body=st.binary(min_size=1, max_size=100), flip=st.integers(min_value=0))
def test_tampered_aes_body_never_escapes_as_another_error(body, flip):
    key = KEYS[KeyForm.RAW]
    ciphertext = bytearray(encrypt(Crypt.AES_ECB, key, body))
    ciphertext[flip % len(ciphertext)] ^= 0x01
    try:
        assert decode_body(Crypt.AES_ECB, key, base64.b64encode(ciphertext)) != body
    except DecryptError:
        pass


# --- the variants of clients in the field ---------------------------------------------------


@given(
    body=st.binary(max_size=100).map(lambda b: b.rstrip(b"\0")), key_form=st.sampled_from(KeyForm)
)
def test_zero_padding_round_trips_and_is_plain_aes(body, key_form):
    key = KEYS[key_form]
    ciphertext = encrypt(Crypt.AES_ECB, key, body, Padding.ZERO)
    filled = body + bytes(-len(body) % 16)
    assert ciphertext == (AES.new(key, AES.MODE_ECB).encrypt(filled) if filled else b"")
    if body:
        assert decrypt(Crypt.AES_ECB, key, ciphertext, Padding.ZERO) == body


def test_a_zero_padded_body_is_not_pkcs7():
    ciphertext = encrypt(Crypt.AES_ECB, KEYS[KeyForm.RAW], b"{}", Padding.ZERO)
    with pytest.raises(DecryptError, match="PKCS#7"):
        decrypt(Crypt.AES_ECB, KEYS[KeyForm.RAW], ciphertext)


@given(crypt=st.sampled_from(Crypt), body=st.binary(min_size=1, max_size=100))
def test_a_raw_body_is_the_ciphertext_itself(crypt, body):
    key = KEYS[KeyForm.RAW]
    sent = encode_body(crypt, key, body, form=BodyForm.RAW)
    assert sent == encrypt(crypt, key, body)
    assert decode_body(crypt, key, sent, form=BodyForm.RAW) == body


def test_variant_labels_name_only_what_a_request_used():
    vendor = Variant(True, True, KeyForm.HEX, Padding.ZERO, BodyForm.RAW)
    assert vendor.label(Crypt.AES_ECB, True) == "seq-first,handshake-key,hex-key,zero-pad,raw-body"
    assert vendor.label(Crypt.RC4, True) == "seq-first,handshake-key,hex-key,raw-body"
    assert vendor.label(Crypt.AES_ECB, False) == "seq-first"
    assert Variant().label(Crypt.NONE, True) == "seq-last"
    assert (
        Variant().label(Crypt.AES_ECB, True) == "seq-last,request-key,raw-key,pkcs7-pad,base64-body"
    )


def test_unknown_crypt_name_is_a_value_error():
    with pytest.raises(ValueError, match="des"):
        encrypt("des", b"k", b"x")
