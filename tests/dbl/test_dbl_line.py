"""One DBL line on the virtual clock: keepalives and login, pushes, bulk send, commands."""

from dbl_fakes import CLIENT, SERVER, START, make_rig

from emulator.dbl import protocol as p
from emulator.dbl.ports import LoginEvent, SmsSentEvent


def keepalives(rig):
    return [p.parse_from_device(d) for d in rig.take() if d.startswith(b"req:")]


# --- keepalive and login (section 3) --------------------------------------------------------


def test_first_keepalive_one_second_after_boot_then_every_period():
    rig = make_rig(start=True)
    rig.clock.advance(0.99)
    assert rig.take() == []
    rig.clock.advance(0.01)
    (first,) = keepalives(rig)
    assert first.req == 1 and first.id == "goip01" and first.password == "goip"
    assert first.gsm_status == "LOGIN" and first.signal == 24 and not first.sms_login
    assert rig.wire == [] and rig.udp(type="req", outcome="sent")[0].peer == SERVER
    rig.clock.advance(60)
    assert [k.req for k in keepalives(rig)] == [2, 3]


def test_reg_200_logs_in_and_other_statuses_log_out():
    rig = make_rig(start=True)
    rig.clock.advance(1)
    rig.take()
    assert rig.send(b"reg:1;status:200;\n", SERVER) == []
    assert rig.line.sms_login
    rig.clock.advance(30)
    assert keepalives(rig)[0].sms_login
    rig.send(b"reg:2;status:404;", SERVER)
    assert not rig.line.sms_login
    assert rig.udp(type="reg", outcome="refused")[0].reason.startswith("status:404")
    logins = [e for e in rig.journal if isinstance(e, LoginEvent)]
    assert [(e.sms_login, e.reason) for e in logins] == [
        (True, "reg:1;status:200;"),
        (False, "reg ack status:404"),
    ]


def test_req_echo_and_status_0_do_not_log_in():
    rig = make_rig(start=True)
    rig.clock.advance(1)
    rig.send(b"req:1;status:200;", SERVER)
    assert "does not log in" in rig.udp(type="req", dir="in")[0].reason
    rig.send(b"reg:1;status:0;", SERVER)
    assert not rig.line.sms_login
    rig.clock.advance(30)
    assert not keepalives(rig)[-1].sms_login


def test_ack_for_any_of_the_last_three_keepalives_logs_in_older_ones_do_not():
    rig = make_rig(start=True)
    rig.clock.advance(91)  # keepalives 1..4
    rig.send(b"reg:1;status:200;", SERVER)
    assert not rig.line.sms_login
    assert "last 3" in rig.udp(type="reg", outcome="not_an_ack")[0].reason
    rig.send(b"reg:2;status:200;", SERVER)
    assert rig.line.sms_login


def test_three_unanswered_keepalives_log_the_line_out():
    rig = make_rig(start=True)
    rig.clock.advance(1)
    rig.send(b"reg:1;status:200;", SERVER)
    rig.take()
    rig.clock.advance(90)  # keepalives 2, 3, 4 unanswered, still Y when sent
    assert [k.sms_login for k in keepalives(rig)] == [True, True, True]
    rig.clock.advance(30)
    assert [k.sms_login for k in keepalives(rig)] == [False]
    assert "last 3" in [e for e in rig.journal if isinstance(e, LoginEvent)][-1].reason


# --- pushes (section 4) ----------------------------------------------------------------------


def test_receive_is_pushed_at_once_and_retransmitted_until_gave_up():
    rig = make_rig()
    rig.line.receive_sms("+15550001", "hello; you:\nthere")
    expected = (
        f"RECEIVE:{int(START)};id:goip01;password:goip;srcnum:+15550001;msg:hello; you:\nthere"
    ).encode()
    assert rig.take() == [expected]
    for _ in range(3):
        rig.clock.advance(3)
        assert rig.take() == [expected]
    rig.clock.advance(3)
    assert rig.take() == []
    assert len(rig.udp(outcome="retransmit")) == 3
    assert rig.udp(outcome="gave_up")[0].reason == "no ack after 4 sends"
    assert rig.line.snapshot().pending == ()


def test_ok_stops_retransmission_error_refuses_wrong_r_does_not():
    rig = make_rig()
    r1 = rig.line.receive_sms("+1", "a") and rig.line.snapshot().pending[0].recvid
    rig.line.push_state("BUSY")
    r2 = rig.line.snapshot().pending[1].recvid
    assert r2 == r1 + 1  # same second: previous + 1
    rig.take()
    rig.send(f"RECEIVE {r1 + 7} OK".encode())
    assert rig.udp(outcome="not_an_ack")[0].reason == f"no pending RECEIVE with recvid {r1 + 7}"
    rig.send(f"RECEIVE {r1} OK\r\n".encode())
    rig.send(f"STATE {r2} ERROR unknown goip".encode())
    assert rig.udp(outcome="refused")[0].reason == "unknown goip"
    rig.clock.advance(20)
    assert rig.take() == []
    assert rig.line.snapshot().pending == ()


def test_lower_case_ack_is_not_an_ack_and_the_push_goes_again():
    rig = make_rig()
    rig.line.receive_sms("+1", "a")
    r = rig.line.snapshot().pending[0].recvid
    rig.take()
    rig.send(f"receive {r} ok".encode())
    assert rig.udp(dir="in")[0].outcome == "not_an_ack"
    rig.clock.advance(3)
    assert len(rig.take()) == 1


def test_long_sms_arrives_as_parts_each_its_own_receive():
    rig = make_rig()
    parts = rig.line.receive_sms("+1", "a" * 200)
    sent = [p.parse_from_device(d) for d in rig.take()]
    assert [m.msg for m in sent] == parts == ["a" * 153, "a" * 47]
    assert sent[1].recvid == sent[0].recvid + 1


def test_smsc_quirk_and_part_gap():
    rig = make_rig(send_smsc=True, part_gap=2.0)
    rig.line.receive_sms("+1", "b" * 161, smsc="+8613800")
    (first,) = rig.take()
    assert b";srcnum:+1;smscnum:+8613800;msg:" in first
    rig.clock.advance(2)
    assert p.parse_from_device(rig.take()[0]).msg == "bbbbbbbb"


def test_other_pushes_byte_exact():
    rig = make_rig()
    rig.line.push_record(1, "+1555")
    rig.line.push_hangup("+1555", "NORMAL")
    rig.line.push_remain(-1)
    r = int(START)
    assert rig.take() == [
        f"RECORD:{r};id:goip01;password:goip;dir:1;num:+1555".encode(),
        f"HANGUP:{r + 1};id:goip01;password:goip;num:+1555;cause:NORMAL".encode(),
        f"REMAIN:{r + 2};id:goip01;password:goip;gsm_remain_time:-1".encode(),
    ]


# --- bulk send (section 5) -------------------------------------------------------------------


def open_session(rig, s=12, text=b"hello"):
    assert rig.send(b"MSG %d %d %s\n" % (s, len(text), text)) == [b"PASSWORD %d\n" % s]
    assert rig.send(b"PASSWORD %d goip\n" % s) == [b"SEND %d\n" % s]


def test_bulk_send_wait_then_one_unasked_ok_then_deliver():
    rig = make_rig()
    open_session(rig)
    assert rig.send(b"SEND 12 1 +15550001\n") == [b"WAIT 12 1\n"]
    rig.clock.advance(1)
    assert rig.send(b"SEND 12 1 +15550001\n") == [b"WAIT 12 1\n"]  # still on the air
    rig.clock.advance(1)
    assert rig.wire == [(b"OK 12 1 1\n", CLIENT)]
    rig.take()
    assert rig.send(b"SEND 12 1 +15550001\n") == [b"OK 12 1 1\n"]  # from memory
    assert rig.radio.sent == [(1, "+15550001", "hello")]
    rig.clock.advance(5)
    assert rig.take() == [
        f"DELIVER:{int(START) + 7};id:goip01;password:goip;sms_no:1;state:0;num:+15550001".encode()
    ]
    assert rig.send(b"DONE 12") == [b"DONE 12\n"]
    assert rig.send(b"DONE 12") == [b"DONE 12\n"]
    assert rig.send(b"SEND 12 2 +1") == [b"ERROR 12 SENDID\n"]
    sent = [e for e in rig.journal if isinstance(e, SmsSentEvent)]
    assert [(e.to, e.sms_no, e.ok, e.sendid, e.telid) for e in sent] == [
        ("+15550001", 1, True, 12, 1)
    ]


def test_numbers_go_out_one_after_another_and_failures_answer_errorstatus():
    rig = make_rig()
    rig.radio.fail.append("")
    open_session(rig)
    rig.send(b"SEND 12 1 +1")
    rig.send(b"SEND 12 2 +2")
    rig.clock.advance(2)
    assert rig.take() == [b"ERROR 12 1 errorstatus:38\n"]
    rig.clock.advance(2)
    assert rig.take() == [b"OK 12 2 1\n"]


def test_password_and_session_errors():
    rig = make_rig()
    assert rig.send(b"PASSWORD 3 goip") == [b"ERROR 3 SENDID\n"]
    rig.send(b"MSG 3 2 hi")
    assert rig.send(b"SEND 3 1 +1") == [b"ERROR 3 PASSWORD\n"]
    assert rig.send(b"PASSWORD 3 nope") == [b"ERROR 3 PASSWORD\n"]
    rig.radio.registered = False
    assert rig.send(b"PASSWORD 3 goip") == [b"ERROR 3 GSM_LOGOUT\n"]
    rig.radio.registered = True
    assert rig.send(b"PASSWORD 3 goip") == [b"SEND 3\n"]
    rig.radio.registered = False
    assert rig.send(b"SEND 3 1 +1") == [b"ERROR 3 GSM_LOGOUT\n"]
    assert rig.radio.sent == []


def test_sixth_session_is_busy():
    rig = make_rig()
    for s in range(5):
        rig.send(b"MSG %d 1 x" % s)
    rig.take()
    assert rig.send(b"MSG 9 1 x") == [b"ERROR 9 BUSY\n"]
    assert rig.send(b"MSG 4 1 x") == [b"PASSWORD 4\n"]  # a repeat of an open one


def test_idle_session_is_released_after_90_s_from_its_last_request():
    rig = make_rig()
    open_session(rig)
    rig.clock.advance(60)
    rig.send(b"SEND 12 1 +1")
    rig.clock.advance(89)
    rig.take()
    assert rig.send(b"DONE 12") == [b"DONE 12\n"]
    open_session(rig, s=13)
    rig.clock.advance(90)
    assert rig.send(b"SEND 13 1 +1") == [b"ERROR 13 SENDID\n"]


def test_numbers_accepted_before_done_are_still_sent_and_answered_once():
    rig = make_rig()
    open_session(rig)
    rig.send(b"SEND 12 1 +1")
    rig.send(b"SEND 12 2 +2")
    assert rig.send(b"DONE 12") == [b"DONE 12\n"]
    rig.clock.advance(10)
    assert [d for d in rig.take() if not d.startswith(b"DELIVER")] == [
        b"OK 12 1 1\n",
        b"OK 12 2 2\n",
    ]


def test_sms_no_wraps_at_255():
    rig = make_rig(delivery_reports=False)
    for _ in range(254):
        rig.line.note_sent("+1")
    open_session(rig)
    for t in (1, 2, 3):
        rig.send(b"SEND 12 %d +1" % t)
    rig.clock.advance(6)
    assert rig.take() == [b"OK 12 1 255\n", b"OK 12 2 0\n", b"OK 12 3 1\n"]


def test_only_the_last_ten_finished_numbers_are_remembered():
    rig = make_rig(delivery_reports=False)
    open_session(rig)
    for t in range(1, 12):
        rig.send(b"SEND 12 %d +%d" % (t, t))
        rig.clock.advance(2)
    rig.take()
    assert rig.send(b"SEND 12 2 +2") == [b"OK 12 2 2\n"]
    assert rig.send(b"SEND 12 1 +1") == [b"WAIT 12 1\n"]  # forgotten: a fresh send
    assert len(rig.radio.sent) == 12


def test_resend_duplicates_quirk_sends_again_per_send():
    rig = make_rig(resend_duplicates=True, delivery_reports=False)
    open_session(rig)
    rig.send(b"SEND 12 1 +1")
    assert rig.send(b"SEND 12 1 +1") == [b"WAIT 12 1\n"]
    rig.clock.advance(4)
    assert rig.take() == [b"OK 12 1 1\n", b"OK 12 1 2\n"]
    assert len(rig.radio.sent) == 2


def test_repeated_msg_before_numbers_replaces_the_text_after_changes_nothing():
    rig = make_rig()
    rig.send(b"MSG 5 3 abc")
    rig.send(b"MSG 5 3 xyz")
    rig.send(b"PASSWORD 5 goip")
    rig.send(b"SEND 5 1 +1")
    rig.send(b"MSG 5 3 QQQ")
    rig.send(b"SEND 5 2 +2")
    rig.clock.advance(5)
    assert [t for _, _, t in rig.radio.sent] == ["xyz", "xyz"]


# --- commands and USSD (section 6) -----------------------------------------------------------


def test_gsm_num_commands_and_keepalive():
    rig = make_rig(start=True)
    assert rig.send(b"get_gsm_num 4 goip\n") == [b"get_gsm_num 4 \n"]
    assert rig.send(b"set_gsm_num 5 +15550009 goip\\n") == [b"set_gsm_num 5 +15550009 ok\n"]
    assert rig.send(b"get_gsm_num 6 goip") == [b"get_gsm_num 6 +15550009\n"]
    assert rig.send(b"get_gsm_num 7 wrong") == [b"ERROR 7 PASSWORD\n"]
    rig.clock.advance(1)
    assert keepalives(rig)[0].num == "+15550009"


def test_repeated_command_gets_the_same_answer_and_no_second_effect():
    rig = make_rig()
    assert rig.send(b"set_imei 8 356938035643809 goip") == [b"set_imei 8 356938035643809 ok\n"]
    assert rig.send(b"set_imei 8 356938035643809 goip") == [b"set_imei 8 356938035643809 ok\n"]
    assert rig.radio.effects == [("set_imei", 1)]
    assert rig.send(b"set_imei 9 123 goip") == [b"ERROR 9 IMEI\n"]
    assert rig.send(b"get_imei 10 goip") == [b"get_imei 10 356938035643809\n"]


def test_gsm_state_exp_time_and_module_control():
    rig = make_rig(start=True)
    assert rig.send(b"get_gsm_state 1 goip") == [b"get_gsm_state 1 IDLE\n"]
    rig.radio.in_call = True
    assert rig.send(b"get_gsm_state 2 goip") == [b"get_gsm_state 2 ACTIVE\n"]
    assert rig.send(b"set_exp_time 3 120 goip") == [b"set_exp_time 3 ok\n"]
    assert rig.send(b"get_exp_time 4 goip") == [b"get_exp_time 4 120\n"]
    assert rig.send(b"get_remain_time 5 goip") == [b"get_remain_time 5 -1\n"]
    assert rig.send(b"reset_remain_time 6 goip") == [b"reset_remain_time 6 ok\n"]
    assert rig.send(b"get_remain_time 7 goip") == [b"get_remain_time 7 120\n"]
    assert rig.send(b"get_out_call_interval 8 goip") == [b"get_out_call_interval 8 0\n"]
    assert rig.send(b"module_ctl_i 9 2 goip") == [b"module_ctl_i 9 ok\n"]
    assert rig.send(b"get_gsm_state 10 goip") == [b"ERROR 10 GSM_LOGOUT\n"]
    rig.clock.advance(1)
    (k,) = keepalives(rig)
    assert k.disable_status and k.gsm_status == "LOGOUT"
    assert rig.send(b"MSG 1 1 x") == [b"PASSWORD 1\n"]
    assert rig.send(b"PASSWORD 1 goip") == [b"ERROR 1 GSM_LOGOUT\n"]


def test_reboot_and_drop_call_answer_before_their_effect():
    rig = make_rig()
    assert rig.send(b"svr_reboot_dev 1 goip") == [b"svr_reboot_dev 1 ok\n"]
    assert rig.send(b"svr_drop_call 2 goip") == [b"svr_drop_call 2 ok\n"]
    assert rig.radio.effects == []
    rig.clock.advance(0)
    assert rig.radio.effects == [("reboot_device", 0), ("drop_call", 1)]


def test_ussd_answers_after_latency_repeat_while_pending_is_ignored():
    rig = make_rig(ussd_replies=(("*101#", "You have 5 SMS left"),))
    assert rig.send(b"USSD 4 goip *100#") == []
    rig.clock.advance(2)
    assert rig.send(b"USSD 4 goip *100#") == []
    assert rig.udp(type="USSD", outcome="ignored")
    rig.clock.advance(1)
    assert rig.take() == [b"USSD 4 Your balance is 12.50\n"]
    assert rig.send(b"USSD 4 goip *100#") == [b"USSD 4 Your balance is 12.50\n"]
    rig.send(b"USSD 5 goip *101#")
    rig.clock.advance(3)
    assert rig.take() == [b"USSD 5 You have 5 SMS left\n"]
    assert rig.send(b"USSDEXIT 5 goip") == [b"USSDEXIT 5\n"]
    rig.radio.registered = False
    assert rig.send(b"USSD 6 goip *100#") == [b"USSDERROR 6 GSM_LOGOUT\n"]


def test_unknown_command_gets_no_answer_and_is_journaled():
    rig = make_rig()
    assert rig.send(b"get_weather 4 goip") == []
    (event,) = rig.udp(dir="in")
    assert event.outcome == "unparsed" and event.type == "get_weather"


def test_reset_closes_sessions_empties_pushes_and_restarts_keepalives():
    rig = make_rig(start=True)
    rig.clock.advance(31)
    rig.take()
    open_session(rig)
    rig.send(b"SEND 12 1 +1")
    rig.line.receive_sms("+1", "x")
    rig.line.reset()
    snap = rig.line.snapshot()
    assert (snap.sessions, snap.pending, snap.keepalive_count, snap.queued) == ((), (), 0, 0)
    rig.take()
    rig.clock.advance(1)
    assert [k.req for k in keepalives(rig)] == [1]
    rig.clock.advance(5)
    assert rig.take() == []  # the SMS on the air at reset is not answered
