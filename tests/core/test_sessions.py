"""The security-session table (spec 3.1, 3.2) and the client helper against it."""

import json
import random

import pytest

from emulator.client.crypto import (
    HandshakeRefused,
    SecureSession,
    handshake_params,
)
from emulator.core.crypto import (
    Crypt,
    DecryptError,
    KeyForm,
    cipher_key,
    decode_body,
    encode_body,
    request_auth,
)
from emulator.core.sessions import (
    DEFAULT_EXPIRES,
    MAX_EXPIRES,
    SessionCode,
    SessionError,
    SessionTable,
    counter_ids,
    random_ids,
    secret_ids,
)

USERS = {"root": "secret", "ops": "hunter2"}
T0 = 1_700_000_000.0
POST = "/goip_post_sms.html"


def credentials(username):
    return USERS.get(username)


def table(max_sessions=64):
    return SessionTable(session_id_source=counter_ids(), max_sessions=max_sessions)


def handshake(sessions, *, user="root", crypt="none", expires=180, now=T0, cnonce="n0"):
    params = handshake_params(user, USERS[user], cnonce, crypt=crypt, expires=expires)
    return sessions.open(
        params["username"],
        params["cnonce"],
        params["auth"],
        params["crypt"],
        params["expires"],
        now,
        credentials,
    )


def signed(session, seq, url_resource=POST, user="root"):
    return request_auth(user, USERS[user], session, url_resource, seq)


def refused(code, call, *args, **kwargs):
    with pytest.raises(SessionError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value.desc
    return caught.value


# --- the handshake (3.2.1) ------------------------------------------------------------------


@pytest.mark.parametrize("crypt", list(Crypt))
def test_handshake_opens_a_session_per_crypt(crypt):
    sessions = table()
    session = handshake(sessions, crypt=crypt.value, expires=300)
    assert session.session == "s1"
    assert session.username == "root"
    assert session.crypt is crypt
    assert session.expires == 300
    assert session.expires_at == T0 + 300
    assert session.last_seq is None
    assert session.created_at == T0
    assert len(sessions) == 1


def test_handshake_defaults_to_crypt_none_and_180_seconds():
    sessions = table()
    params = handshake_params("root", "secret", "n0")
    session = sessions.open("root", "n0", params["auth"], None, None, T0, credentials)
    assert session.crypt is Crypt.NONE
    assert session.expires == DEFAULT_EXPIRES == 180


def test_handshake_auth_is_compared_case_insensitively():
    sessions = table()
    params = handshake_params("root", "secret", "n0")
    session = sessions.open("root", "n0", params["auth"].upper(), "rc4", 60, T0, credentials)
    assert session.crypt is Crypt.RC4


@pytest.mark.parametrize("called", ["/crypt_sess.json", "/encrypt_sess.json"])
@pytest.mark.parametrize("named", ["/crypt_sess.json", "/encrypt_sess.json"])
def test_handshake_auth_may_name_either_handshake_path(called, named):
    sessions = table()
    params = handshake_params("root", "secret", "n0", url_resource=named)
    opened = sessions.open(
        "root", "n0", params["auth"], "none", 60, T0, credentials, url_resource=called
    )
    assert opened.handshake_path == named


def test_handshake_auth_over_another_path_is_refused():
    sessions = table()
    params = handshake_params("root", "secret", "n0", url_resource=POST)
    refused(
        SessionCode.INVALID_USER,
        sessions.open,
        "root",
        "n0",
        params["auth"],
        None,
        60,
        T0,
        credentials,
    )


def test_a_replayed_handshake_is_refused_until_its_session_is_gone():
    sessions = table()
    first = handshake(sessions, expires=60)
    error = refused(SessionCode.INVALID_USER, handshake, sessions, now=T0 + 59)
    assert "replayed" in error.desc
    assert len(sessions) == 1 and sessions.get(first.session) == first
    assert handshake(sessions, now=T0 + 60).session != first.session  # expired: opens again
    assert handshake(sessions, now=T0 + 60, cnonce="n1")  # a fresh cnonce always may


def test_a_replayed_handshake_after_eviction_opens_one_session_again():
    sessions = table(max_sessions=1)
    handshake(sessions, cnonce="a")
    handshake(sessions, cnonce="b")  # evicts a
    assert handshake(sessions, cnonce="a")


def test_a_digest_that_is_not_ascii_is_refused_not_a_crash():
    sessions = table()
    refused(
        SessionCode.INVALID_USER, sessions.open, "root", "n0", "é" * 32, None, 60, T0, credentials
    )
    sid = handshake(sessions).session
    refused(SessionCode.INVALID_AUTH, sessions.check, sid, 1, "é" * 32, POST, T0, credentials)


def test_handshake_with_a_wrong_password_is_refused():
    sessions = table()
    params = handshake_params("root", "not-the-password", "n0")
    error = refused(
        SessionCode.INVALID_USER,
        sessions.open,
        "root",
        "n0",
        params["auth"],
        "none",
        180,
        T0,
        credentials,
    )
    assert "auth" in error.desc and "/crypt_sess.json" in error.desc
    assert len(sessions) == 0


def test_handshake_for_an_unknown_user_is_refused():
    sessions = table()
    params = handshake_params("mallory", "x", "n0")
    error = refused(
        SessionCode.INVALID_USER,
        sessions.open,
        "mallory",
        "n0",
        params["auth"],
        "none",
        180,
        T0,
        credentials,
    )
    assert "'mallory' is unknown" in error.desc


@pytest.mark.parametrize("crypt", ["des", "", "aes-cbc", "xor2"])
def test_handshake_with_an_unknown_crypt_is_refused(crypt):
    sessions = table()
    params = handshake_params("root", "secret", "n0")
    error = refused(
        SessionCode.UNKNOWN_CRYPT,
        sessions.open,
        "root",
        "n0",
        params["auth"],
        crypt,
        180,
        T0,
        credentials,
    )
    assert error.desc == f"crypt {crypt!r} is not one of none, xor, rc4, aes-ecb"
    assert len(sessions) == 0


@pytest.mark.parametrize("expires", [0, -5, "0", "abc", "1.5", "", True])
def test_handshake_with_a_bad_expires_is_refused(expires):
    sessions = table()
    params = handshake_params("root", "secret", "n0")
    error = refused(
        SessionCode.BAD_EXPIRES,
        sessions.open,
        "root",
        "n0",
        params["auth"],
        "none",
        expires,
        T0,
        credentials,
    )
    assert "expires" in error.desc
    assert len(sessions) == 0


def test_handshake_expires_is_capped_at_a_day():
    session = handshake(table(), expires=10**9)
    assert session.expires == MAX_EXPIRES
    assert session.expires_at == T0 + MAX_EXPIRES


def test_session_error_reads_as_code_and_desc():
    error = SessionError(SessionCode.SESSION_EXPIRED, "session 's1' expired")
    assert (error.code, error.desc, str(error)) == (
        4,
        "session 's1' expired",
        "4 session 's1' expired",
    )
    assert type(error.code) is int


def test_secret_ids_are_16_hex_digits_and_differ():
    ids = [secret_ids()() for _ in range(50)]
    assert len(set(ids)) == 50 and all(len(i) == 16 and int(i, 16) >= 0 for i in ids)


def test_session_ids_come_from_the_injected_source():
    seeded = [SessionTable(session_id_source=random_ids(random.Random(7))) for _ in range(2)]
    first = [handshake(t).session for t in seeded]
    assert first[0] == first[1] and len(first[0]) == 16


def test_an_id_source_that_repeats_itself_is_a_bug_not_a_refusal():
    sessions = SessionTable(session_id_source=lambda: "same")
    handshake(sessions)
    with pytest.raises(RuntimeError, match="id source"):
        handshake(sessions, cnonce="n1")


# --- requests inside a session (3.2.3) ------------------------------------------------------


def test_a_signed_request_is_accepted_and_recorded():
    sessions = table()
    sid = handshake(sessions).session
    session = sessions.check(sid, 1, signed(sid, 1), POST, T0 + 10, credentials)
    assert session.last_seq == 1
    assert session.expires_at == T0 + 10 + 180
    assert sessions.get(sid) == session


def test_the_first_request_may_use_any_seq_from_zero():
    sessions = table()
    sid = handshake(sessions).session
    assert sessions.check(sid, 0, signed(sid, 0), POST, T0, credentials).last_seq == 0
    other = handshake(sessions, cnonce="n1").session
    assert sessions.check(other, 500, signed(other, 500), POST, T0, credentials).last_seq == 500


def test_seq_as_query_text_is_accepted_and_authenticated_as_sent():
    sessions = table()
    sid = handshake(sessions).session
    assert sessions.check(sid, "011", signed(sid, "011"), POST, T0, credentials).last_seq == 11
    refused(
        SessionCode.INVALID_AUTH, sessions.check, sid, "012", signed(sid, 12), POST, T0, credentials
    )


@pytest.mark.parametrize("seq", [-1, "-1", "x", "", "1e3", True])
def test_a_seq_that_is_not_a_whole_number_is_refused(seq):
    sessions = table()
    sid = handshake(sessions).session
    refused(SessionCode.BAD_SEQ, sessions.check, sid, seq, signed(sid, seq), POST, T0, credentials)


def test_a_replayed_seq_is_refused():
    sessions = table()
    sid = handshake(sessions).session
    sessions.check(sid, 5, signed(sid, 5), POST, T0, credentials)
    error = refused(
        SessionCode.REPLAYED_SEQ, sessions.check, sid, 5, signed(sid, 5), POST, T0, credentials
    )
    assert "last seq 5" in error.desc


def test_a_smaller_seq_is_refused():
    sessions = table()
    sid = handshake(sessions).session
    sessions.check(sid, 10, signed(sid, 10), POST, T0, credentials)
    refused(SessionCode.REPLAYED_SEQ, sessions.check, sid, 9, signed(sid, 9), POST, T0, credentials)
    assert sessions.check(sid, 11, signed(sid, 11), POST, T0, credentials).last_seq == 11


def test_seq_may_skip_ahead():
    sessions = table()
    sid = handshake(sessions).session
    sessions.check(sid, 1, signed(sid, 1), POST, T0, credentials)
    assert sessions.check(sid, 40, signed(sid, 40), POST, T0, credentials).last_seq == 40


def test_a_wrong_request_auth_is_refused():
    sessions = table()
    sid = handshake(sessions).session
    for auth in [
        signed(sid, 1, url_resource="/goip_get_status.html"),  # signed for another path
        signed(sid, 2),  # signed for another seq
        request_auth("root", "wrong", sid, POST, 1),
        "",
    ]:
        error = refused(
            SessionCode.INVALID_AUTH, sessions.check, sid, 1, auth, POST, T0, credentials
        )
        assert POST in error.desc
    assert sessions.get(sid).last_seq is None


def test_request_auth_is_compared_case_insensitively():
    sessions = table()
    sid = handshake(sessions).session
    sessions.check(sid, 1, signed(sid, 1).upper(), POST, T0, credentials)


def test_an_unknown_session_is_refused():
    sessions = table()
    handshake(sessions)
    error = refused(
        SessionCode.UNKNOWN_SESSION,
        sessions.check,
        "s9",
        1,
        signed("s9", 1),
        POST,
        T0,
        credentials,
    )
    assert "'s9'" in error.desc


def test_a_session_whose_user_was_removed_is_refused():
    sessions = table()
    sid = handshake(sessions).session
    refused(
        SessionCode.INVALID_USER,
        sessions.check,
        sid,
        1,
        signed(sid, 1),
        POST,
        T0,
        lambda _user: None,
    )


def test_a_session_is_alive_until_expires_at():
    sessions = table()
    sid = handshake(sessions, expires=60).session
    session = sessions.check(sid, 1, signed(sid, 1), POST, T0 + 59.999, credentials)
    assert session.expires_at == T0 + 59.999 + 60


def test_a_session_expires_at_exactly_expires_at():
    sessions = table()
    sid = handshake(sessions, expires=60).session
    error = refused(
        SessionCode.SESSION_EXPIRED,
        sessions.check,
        sid,
        1,
        signed(sid, 1),
        POST,
        T0 + 60,
        credentials,
    )
    assert "open a new one" in error.desc
    assert sessions.get(sid) is None
    refused(
        SessionCode.UNKNOWN_SESSION,
        sessions.check,
        sid,
        2,
        signed(sid, 2),
        POST,
        T0 + 60,
        credentials,
    )


def test_each_accepted_request_renews_the_lifetime():
    sessions = table()
    sid = handshake(sessions, expires=60).session
    now = T0
    for seq in range(1, 6):
        now += 50  # more than the lifetime in all, never more than it between requests
        assert sessions.check(sid, seq, signed(sid, seq), POST, now, credentials).expires_at == (
            now + 60
        )
    assert now - T0 > 60


def test_expires_on_a_request_sets_a_new_lifetime():
    sessions = table()
    sid = handshake(sessions, expires=60).session
    session = sessions.check(sid, 1, signed(sid, 1), POST, T0 + 5, credentials, expires="600")
    assert (session.expires, session.expires_at) == (600, T0 + 605)
    session = sessions.check(sid, 2, signed(sid, 2), POST, T0 + 500, credentials)
    assert (session.expires, session.expires_at) == (600, T0 + 1100)


def test_a_refused_request_changes_nothing():
    sessions = table()
    sid = handshake(sessions, expires=60).session
    before = sessions.check(sid, 3, signed(sid, 3), POST, T0 + 1, credentials)
    attempts = [
        (3, signed(sid, 3), None),  # replay
        (2, signed(sid, 2), None),  # smaller
        (4, signed(sid, 5), None),  # wrong auth
        (4, signed(sid, 4), "0"),  # bad expires
        ("-4", signed(sid, "-4"), 600),  # bad seq
    ]
    for seq, auth, expires in attempts:
        with pytest.raises(SessionError):
            sessions.check(sid, seq, auth, POST, T0 + 30, credentials, expires=expires)
        assert sessions.get(sid) == before
    # The refusals did not burn seq 4.
    assert sessions.check(sid, 4, signed(sid, 4), POST, T0 + 31, credentials).last_seq == 4


# --- the table ------------------------------------------------------------------------------


def test_when_full_the_session_closest_to_expiry_is_evicted():
    sessions = table(max_sessions=3)
    long = handshake(sessions, expires=300, cnonce="a").session
    short = handshake(sessions, expires=100, cnonce="b").session
    middle = handshake(sessions, expires=200, cnonce="c").session
    fourth = handshake(sessions, expires=300, cnonce="d", now=T0 + 1).session
    assert len(sessions) == 3
    assert sessions.get(short) is None
    assert all(sessions.get(s) for s in (long, middle, fourth))
    fifth = handshake(sessions, expires=300, cnonce="e", now=T0 + 2).session
    assert sessions.get(middle) is None
    assert all(sessions.get(s) for s in (long, fourth, fifth))


def test_when_full_every_expired_session_goes_before_a_live_one():
    sessions = table(max_sessions=3)
    first = handshake(sessions, expires=10, cnonce="a").session
    second = handshake(sessions, expires=20, cnonce="b").session
    live = handshake(sessions, expires=300, cnonce="c").session
    newer = handshake(sessions, expires=5, cnonce="d", now=T0 + 25).session
    # Both expired sessions were purged, not just the one eviction needed.
    assert len(sessions) == 2
    assert sessions.get(first) is None and sessions.get(second) is None
    assert sessions.get(live) and sessions.get(newer)


def test_eviction_ties_go_to_the_oldest():
    sessions = table(max_sessions=2)
    older = handshake(sessions, expires=100, now=T0, cnonce="a").session
    younger = handshake(sessions, expires=99, now=T0 + 1, cnonce="b").session
    handshake(sessions, expires=100, now=T0 + 2, cnonce="c")
    assert sessions.get(older) is None and sessions.get(younger)


def test_purge_drops_only_expired_sessions():
    sessions = table()
    short = handshake(sessions, expires=10, cnonce="a").session
    long = handshake(sessions, expires=100, cnonce="b").session
    assert sessions.purge(T0 + 9) == 0
    assert sessions.purge(T0 + 10) == 1
    assert sessions.get(short) is None and sessions.get(long)


def test_clear_forgets_every_session_like_a_reboot():
    sessions = table()
    sid = handshake(sessions).session
    handshake(sessions, cnonce="n1")
    sessions.clear()
    assert len(sessions) == 0
    refused(
        SessionCode.UNKNOWN_SESSION, sessions.check, sid, 1, signed(sid, 1), POST, T0, credentials
    )


# --- opening a request's body in the client's variant ---------------------------------------


def sealed_for(sessions, sid, seq, doc, *, handshake_key=False, hex_key=False, seq_first=False):
    """A request as a client builds it (key of the request's or the handshake's auth)."""
    auth = request_auth("root", "secret", sid, POST, seq, seq_first=seq_first)
    in_key = sessions.get(sid).handshake_auth if handshake_key else auth
    form = KeyForm.HEX if hex_key else KeyForm.RAW
    key = cipher_key("root", "secret", in_key, sid, seq, form)
    return auth, encode_body(Crypt.AES_ECB, key, json.dumps(doc).encode())


@pytest.mark.parametrize("handshake_key", [False, True])
@pytest.mark.parametrize("hex_key", [False, True])
@pytest.mark.parametrize("seq_first", [False, True])
def test_open_request_finds_the_clients_variant(handshake_key, hex_key, seq_first):
    sessions = table()
    sid = handshake(sessions, crypt="aes-ecb").session
    auth, body = sealed_for(
        sessions,
        sid,
        1,
        {"a": 1},
        handshake_key=handshake_key,
        hex_key=hex_key,
        seq_first=seq_first,
    )
    opened = sessions.open_request(sid, "1", auth, POST, T0, credentials, body)
    assert json.loads(opened.body) == {"a": 1}
    assert (opened.variant.handshake_key, opened.variant.seq_first) == (handshake_key, seq_first)
    assert opened.variant.key_form is (KeyForm.HEX if hex_key else KeyForm.RAW)
    assert sessions.get(sid).last_seq == 1


def test_the_preferred_key_form_is_tried_first_and_reported():
    sessions = table()
    sid = handshake(sessions, crypt="aes-ecb").session
    auth, body = sealed_for(sessions, sid, 1, {}, hex_key=True)
    opened = sessions.open_request(sid, 1, auth, POST, T0, credentials, body, key_form="hex")
    assert opened.label == "seq-last,request-key,hex-key,pkcs7-pad,base64-body"


@pytest.mark.parametrize("doc", [[1, 2], "text", 7])
def test_a_body_that_is_json_but_not_an_object_opens_under_no_variant(doc):
    sessions = table()
    sid = handshake(sessions, crypt="aes-ecb").session
    auth, body = sealed_for(sessions, sid, 1, doc)
    with pytest.raises(DecryptError, match="not an object"):
        sessions.open_request(sid, 1, auth, POST, T0, credentials, body)
    assert sessions.get(sid).last_seq is None  # the seq is not used up


def test_a_get_or_a_crypt_none_body_names_only_the_seq_order():
    sessions = table()
    sid = handshake(sessions).session
    opened = sessions.open_request(sid, 1, signed(sid, 1), POST, T0, credentials, b'{"x": 1}')
    assert (opened.body, opened.label) == (b'{"x": 1}', "seq-last")


def test_max_sessions_must_be_positive():
    with pytest.raises(ValueError, match="max_sessions"):
        SessionTable(session_id_source=counter_ids(), max_sessions=0)


# --- the client helper end to end -----------------------------------------------------------


def open_from_params(sessions, params, now=T0):
    return sessions.open(
        params["username"],
        params["cnonce"],
        params["auth"],
        params["crypt"],
        params["expires"],
        now,
        credentials,
    )


@pytest.mark.parametrize("key_form", list(KeyForm))
@pytest.mark.parametrize("crypt", list(Crypt))
def test_client_helper_talks_to_the_table(crypt, key_form):
    sessions = table()
    params = handshake_params("ops", "hunter2", "f00d", crypt=crypt, expires=120)
    assert set(params) == {"username", "cnonce", "auth", "crypt", "expires"}
    opened = open_from_params(sessions, params)
    answer = {"code": 0, "session": opened.session, "expires": opened.expires}
    client = SecureSession.from_handshake("ops", "hunter2", answer, crypt, key_form)

    task = json.dumps({"type": "send-sms", "task_num": 1, "tasks": [{"tid": 1}]}).encode()
    for now in (T0 + 1, T0 + 2):
        query, body = client.seal(POST, task)
        assert set(query) == {"session", "seq", "auth"}
        session = sessions.check(
            query["session"], query["seq"], query["auth"], POST, now, credentials
        )
        key = cipher_key("ops", "hunter2", query["auth"], session.session, query["seq"], key_form)
        assert decode_body(session.crypt, key, body) == task
        if crypt is not Crypt.NONE:
            assert body != task

    query = client.sign("/goip_get_status.html", expires=900)
    session = sessions.check(
        query["session"],
        query["seq"],
        query["auth"],
        "/goip_get_status.html",
        T0 + 3,
        credentials,
        expires=query["expires"],
    )
    assert (session.last_seq, session.expires) == (3, 900)
    assert client.seq == 4


def test_client_seq_grows_and_a_replayed_seal_is_refused():
    sessions = table()
    opened = open_from_params(sessions, handshake_params("root", "secret", "n", crypt="rc4"))
    client = SecureSession.from_handshake(
        "root", "secret", {"code": 0, "session": opened.session}, "rc4"
    )
    query, _ = client.seal(POST, b"{}")
    sessions.check(query["session"], query["seq"], query["auth"], POST, T0, credentials)
    refused(
        SessionCode.REPLAYED_SEQ,
        sessions.check,
        query["session"],
        query["seq"],
        query["auth"],
        POST,
        T0,
        credentials,
    )


def test_each_request_has_its_own_key():
    client = SecureSession("root", "secret", "s1", Crypt.AES_ECB)
    _, first = client.seal(POST, b"same body")
    _, second = client.seal(POST, b"same body")
    assert first != second


def test_client_refuses_a_failed_handshake_answer():
    with pytest.raises(HandshakeRefused) as caught:
        SecureSession.from_handshake("root", "x", {"code": 1, "desc": "user 'root' ..."})
    assert caught.value.code == 1
    with pytest.raises(HandshakeRefused, match="no session"):
        SecureSession.from_handshake("root", "x", {"code": 0})


def test_hex_key_form_client_against_raw_device_fails_to_decrypt():
    client = SecureSession("root", "secret", "s1", Crypt.AES_ECB, KeyForm.HEX)
    query, body = client.seal(POST, b"x" * 64)
    raw = cipher_key("root", "secret", query["auth"], "s1", query["seq"], KeyForm.RAW)
    with pytest.raises(DecryptError):
        decode_body(Crypt.AES_ECB, raw, body)
