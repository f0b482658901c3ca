"""Random datagrams never raise, and one that is refused changes nothing (DBL-GOIP.md 2)."""

from dbl_fakes import CLIENT, make_rig
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REFUSED = {"unparsed", "not_an_ack", "ignored"}

_words = st.sampled_from(
    [
        "MSG", "PASSWORD", "SEND", "DONE", "RECEIVE", "DELIVER", "STATE", "receive", "USSD",
        "USSDEXIT", "get_gsm_num", "set_gsm_num", "set_imei", "module_ctl_i", "svr_reboot_dev",
        "reg:", "req:", "reg:1;status:", "RECEIVEOK:", "ERROR", "OK", "goip", "1", "0", "-1",
        "99999999999999999999", "5", "x", "€", ";", ":", "", "\\n", "\n", "\r\n",
    ]
)  # fmt: skip
_datagram = st.one_of(
    st.binary(max_size=200),
    st.lists(_words, max_size=6).map(lambda ws: " ".join(ws).encode()),
    st.lists(_words, max_size=6).map(lambda ws: "".join(ws).encode()),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_datagram, min_size=1, max_size=8))
def test_random_datagrams_never_raise_and_refused_ones_change_nothing(datagrams):
    rig = make_rig(start=True)
    rig.clock.advance(1)
    rig.line.receive_sms("+1", "pending push")
    rig.line.datagram_received(b"MSG 7 2 hi", CLIENT)
    rig.line.datagram_received(b"PASSWORD 7 goip", CLIENT)
    rig.take()
    for data in datagrams:
        before = rig.line.snapshot()
        seen = len(rig.journal)
        rig.line.datagram_received(data, CLIENT)
        incoming = [e for e in rig.journal[seen:] if getattr(e, "dir", "") == "in"]
        assert len(incoming) == 1, data
        if incoming[0].outcome in REFUSED:
            assert rig.line.snapshot() == before, data
            assert rig.take() == [], data
        rig.take()
    rig.clock.advance(120)  # timers armed by whatever was accepted still run cleanly
