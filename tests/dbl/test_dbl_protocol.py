"""DBL datagrams byte for byte, both directions (DBL-GOIP.md 2-6); garbage never raises."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.dbl import protocol as p

KEEPALIVE = (
    b"req:7;id:goip01;pass:goip;num:;signal:24;gsm_status:LOGIN;voip_status:LOGOUT;"
    b"voip_state:IDLE;remain_time:-1;imei:867495023958126;imsi:460011234567890;"
    b"iccid:89860112345678901234;pro:CHINA UNICOM;idle:3;disable_status:0;SMS_LOGIN:Y;"
    b"SMB_LOGIN:;CELLINFO:LAC:7E5,CELL ID:5E5B;CGATT:Y;"
)


def test_keepalive_has_the_fixed_field_order_and_no_line_end():
    message = p.Keepalive(
        req=7,
        id="goip01",
        password="goip",
        signal=24,
        gsm_status="LOGIN",
        imei="867495023958126",
        imsi="460011234567890",
        iccid="89860112345678901234",
        pro="CHINA UNICOM",
        idle=3,
        sms_login=True,
        cgatt=True,
    )
    assert message.encode() == KEEPALIVE
    assert p.parse_from_device(KEEPALIVE) == message


def test_keepalive_without_sim_has_empty_signal_and_logout():
    data = p.Keepalive(req=1, id="goip02", password="goip").encode()
    assert b";signal:;gsm_status:LOGOUT;" in data
    assert data.endswith(b"SMS_LOGIN:N;SMB_LOGIN:;CELLINFO:LAC:7E5,CELL ID:5E5B;CGATT:N;")


def test_keepalive_in_another_order_is_unparsed():
    swapped = KEEPALIVE.replace(b"id:goip01;pass:goip;", b"pass:goip;id:goip01;")
    result = p.parse_from_device(swapped)
    assert isinstance(result, p.Unparsed) and "order" in result.reason


@pytest.mark.parametrize(
    ("message", "wire"),
    [
        (
            p.Receive(1734804704, "goip01", "goip", "+15550001", "hi; a:b\nc"),
            b"RECEIVE:1734804704;id:goip01;password:goip;srcnum:+15550001;msg:hi; a:b\nc",
        ),
        (
            p.Receive(5, "goip01", "goip", "+1555", "x", smscnum="+8613800"),
            b"RECEIVE:5;id:goip01;password:goip;srcnum:+1555;smscnum:+8613800;msg:x",
        ),
        (
            p.Deliver(1571812793, "goip01", "goip", 161, 0, "+15550002"),
            b"DELIVER:1571812793;id:goip01;password:goip;sms_no:161;state:0;num:+15550002",
        ),
        (
            p.State(9, "goip03", "pw", "BUSY"),
            b"STATE:9;id:goip03;password:pw;gsm_remain_state:BUSY",
        ),
        (p.Record(9, "goip03", "pw", 2, "100"), b"RECORD:9;id:goip03;password:pw;dir:2;num:100"),
        (
            p.Hangup(9, "goip03", "pw", "100", "NORMAL CLEARING"),
            b"HANGUP:9;id:goip03;password:pw;num:100;cause:NORMAL CLEARING",
        ),
        (p.Remain(9, "goip03", "pw", -1), b"REMAIN:9;id:goip03;password:pw;gsm_remain_time:-1"),
        (p.PasswordPrompt(12), b"PASSWORD 12\n"),
        (p.SendPrompt(12), b"SEND 12\n"),
        (p.Wait(12, 3), b"WAIT 12 3\n"),
        (p.SendOk(12, 3, 160), b"OK 12 3 160\n"),
        (p.SendError(12, 3, "38"), b"ERROR 12 3 errorstatus:38\n"),
        (p.ErrorAnswer(12, "GSM_LOGOUT"), b"ERROR 12 GSM_LOGOUT\n"),
        (p.ErrorAnswer(12, "BUSY"), b"ERROR 12 BUSY\n"),
        (p.DoneAnswer(12), b"DONE 12\n"),
        (p.CommandReply("get_gsm_num", 4, ""), b"get_gsm_num 4 \n"),
        (p.CommandReply("set_gsm_num", 4, "+1555 ok"), b"set_gsm_num 4 +1555 ok\n"),
        (p.UssdReply(4, "Your balance is 1"), b"USSD 4 Your balance is 1\n"),
        (p.UssdError(4, "GSM_LOGOUT"), b"USSDERROR 4 GSM_LOGOUT\n"),
        (p.UssdExitReply(4), b"USSDEXIT 4\n"),
    ],
)
def test_device_messages_encode_byte_exact_and_parse_back(message, wire):
    assert message.encode() == wire
    assert p.parse_from_device(wire) == message


@pytest.mark.parametrize("end", [b"", b"\n", b"\r\n", b"\\n"])
@pytest.mark.parametrize(
    ("wire", "message"),
    [
        (b"reg:3;status:200;", p.KeepaliveAck(3, 200)),
        (b"reg:3;status:200;v:1;", p.KeepaliveAck(3, 200, (("v", "1"),))),
        (b"reg:3;status:0;", p.KeepaliveAck(3, 0)),
        (b"req:3;status:200;", p.KeepaliveEcho(3, (("status", "200"),))),
        (b"RECEIVE 1734804704 OK", p.PushAck("RECEIVE", 1734804704, True)),
        (b"DELIVER 5 OK thanks", p.PushAck("DELIVER", 5, True, " thanks")),
        (b"RECEIVE 5 ERROR no such goip", p.PushAck("RECEIVE", 5, False, "no such goip")),
        (b"PASSWORD 12 goip", p.Password(12, "goip")),
        (b"SEND 12 3 +15550001", p.Send(12, 3, "+15550001")),
        (b"DONE 12", p.Done(12)),
        (b"get_gsm_num 4 goip", p.Command("get_gsm_num", 4, (), "goip")),
        (b"set_gsm_num 4 +1555 goip", p.Command("set_gsm_num", 4, ("+1555",), "goip")),
        (b"module_ctl_i 4 2 goip", p.Command("module_ctl_i", 4, ("2",), "goip")),
        (b"USSD 4 goip *100#", p.Ussd(4, "goip", "*100#")),
        (b"USSDEXIT 4 goip", p.UssdExit(4, "goip")),
    ],
)
def test_server_messages_parse_with_every_line_end(wire, message, end):
    assert p.parse_from_server(wire + end) == message
    assert message.encode(end) == wire + end


@pytest.mark.parametrize(
    ("wire", "text"),
    [
        (b"MSG 1 5 hello", "hello"),
        (b"MSG 1 5 hello\n", "hello"),
        (b"MSG 1 5 hello\\n", "hello"),
        (b"MSG 1 5 hello world", "hello"),  # exactly len bytes
        (b"MSG 1 9 hello\r\n", "hello"),  # fewer follow: all but the line end
        ("MSG 1 6 h€llo".encode(), "h€ll"),  # € is 3 bytes
        ("MSG 1 3 h€llo".encode(), "h"),  # a cut inside € drops it
        (b"MSG 1 0 ", ""),
        (b"MSG 1 0", ""),
        (b"MSG 1 12 a;b:c\nd e f", "a;b:c\nd e f"),
    ],
)
def test_msg_takes_exactly_len_bytes(wire, text):
    message = p.parse_from_server(wire)
    assert isinstance(message, p.Msg) and message.text == text and message.sendid == 1


def test_msg_text_is_cut_at_3000_bytes_and_ignore_takes_the_rest():
    long = b"x" * 3500
    assert p.parse_from_server(b"MSG 2 3500 " + long).text == "x" * 3000
    assert p.parse_from_server(b"MSG 2 2 hello\n", msg_length="ignore").text == "hello"


@pytest.mark.parametrize(
    ("wire", "reason"),
    [
        (b"", "empty"),
        (b"\xff\xfe", "UTF-8"),
        (b"receive 5 ok", "upper case"),
        (b"RECEIVEOK:5;status:0;", "upper case"),
        (b"RECEIVE x OK", "decimal"),
        (b"RECEIVE 5 FINE", "OK or ERROR"),
        (b"SEND 1 2", "SEND needs"),
        (b"SEND a 2 +1", "decimal"),
        (b"MSG x 5 hello", "decimal"),
        (b"reg:x;status:200;", "decimal"),
        (b"reg:3;", "status"),
        (b"get_gsm_num 4", "fields"),
        (b"reboot_now 4 goip", "unknown command"),
    ],
)
def test_garbage_is_unparsed_with_a_reason(wire, reason):
    result = p.parse_from_server(wire)
    assert isinstance(result, p.Unparsed) and reason in result.reason


def test_long_texts_split_in_parts_of_153_and_67():
    assert p.split_parts("a" * 160) == ["a" * 160]
    assert [len(x) for x in p.split_parts("a" * 161)] == [153, 8]
    assert [len(x) for x in p.split_parts("ж" * 71)] == [67, 4]
    # An extension character takes two septets and stays whole.
    parts = p.split_parts("a" * 152 + "€" + "b" * 10)
    assert parts[0] == "a" * 152 and parts[1].startswith("€")


@given(st.binary(max_size=300))
def test_random_bytes_never_raise(data):
    for result in (p.parse_from_server(data), p.parse_from_device(data)):
        assert result is not None


_token = st.text(st.characters(blacklist_characters=" ;\r\n\\", codec="utf-8"), max_size=12)
_num = st.integers(0, 2**40)


@given(
    st.one_of(
        st.builds(p.Password, _num, _token),
        st.builds(p.Send, _num, _num, _token.filter(bool)),
        st.builds(p.Done, _num),
        st.builds(p.Ussd, _num, _token, _token.filter(bool)),
        st.builds(p.PushAck, st.sampled_from(p.PUSH_KEYWORDS), _num, st.just(True), st.just("")),
        st.builds(p.KeepaliveAck, _num, st.integers(-1, 999)),
    ),
    st.sampled_from((*p.LINE_ENDS, b"")),
)
def test_server_messages_round_trip(message, end):
    assert p.parse_from_server(message.encode(end)) == message


@given(_num, _token.filter(lambda t: ":" not in t), st.text(max_size=40))
def test_receive_round_trips_any_text(r, sender, text):
    message = p.Receive(r, "goip01", "goip", sender, text)
    assert p.parse_from_device(message.encode()) == message
