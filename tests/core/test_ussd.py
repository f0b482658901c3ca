"""USSD dialogues on virtual time (EJOIN-EXTRAS, "Dialogues" and "Menu trees")."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
from conftest import make_device, sim_event, small

from emulator.clock import VirtualClock
from emulator.core.codes import SimState, TaskStatus
from emulator.core.ports import PortRef
from emulator.core.ussd import (
    MODULE_TIMEOUT,
    USSD_STATES,
    PortSim,
    UssdConfig,
    UssdNetwork,
    UssdNode,
    UssdTree,
    is_service_code,
    operator_id,
    port_ranges,
)

T0 = 1_767_225_600.0
MENU = "Top-up menu\n1. Add 10.00\n2. Add 20.00\n0. Exit"


@dataclass
class Sim:
    """A port's current SIM; a top-up behaves as the device's `topup` SIM event."""

    state: int = SimState.OK
    balance: float = 100.0
    number: str = "13800000001"
    imsi: str = "460010000000001"
    iccid: str = "89860110000000000001"
    imei: str = "860000000000001"
    operator: str = "46001 CHINA UNICOM GSM"
    port_name: str = "1.01"

    def topup(self, amount: float) -> None:
        self.balance = round(self.balance + amount, 2)
        if self.state == SimState.NO_BALANCE:
            self.state = SimState.OK


class Losses(random.Random):
    """Lost answers in a given order (True: lost), so a test names the attempts it loses."""

    def __init__(self, *lost: bool) -> None:
        super().__init__(0)
        self.lost = list(lost)

    def random(self) -> float:
        return 0.0 if self.lost.pop(0) else 0.99


def network(rng: random.Random | None = None, **config: object) -> tuple[UssdNetwork, VirtualClock]:
    clock = VirtualClock(T0)
    return UssdNetwork(UssdConfig(**config), clock, rng or random.Random(1)), clock  # type: ignore[arg-type]


def answer(net: UssdNetwork, sim: Sim, ussd: str, port: int = 1, **kw: float) -> tuple[int, str]:
    request = net.send(port, sim, ussd, **kw)  # type: ignore[arg-type]
    assert request.answer is not None, "expected an answer at once"
    return int(request.answer.status), request.answer.resp


def test_balance_and_number_answer_at_once_with_the_clock_unmoved():
    net, clock = network()
    sim = Sim(balance=12.5)
    assert answer(net, sim, "*100#") == (0, "Your balance is 12.50.")
    assert answer(net, sim, " *101# ") == (0, "Your number is 13800000001.")
    assert clock.now() == T0
    assert net.dialogue(1) is None  # a node without options closes the dialogue


def test_menu_stays_open_then_a_top_up_changes_the_balance_and_closes():
    net, clock = network()
    sim = Sim()
    assert answer(net, sim, "*123#") == (0, MENU)
    assert net.dialogue(1) == {"code": "*123#", "state": "open", "expires": T0 + 30}
    assert answer(net, sim, "2") == (0, "Top-up of 20.00 done. New balance 120.00.")
    assert sim.balance == 120.0
    assert net.dialogue(1) is None
    assert answer(net, sim, "*100#") == (0, "Your balance is 120.00.")


def test_a_top_up_registers_a_sim_out_of_balance_again():
    net, _ = network()
    sim = Sim(state=SimState.NO_BALANCE, balance=0.0)
    answer(net, sim, "*123#")
    assert answer(net, sim, "1") == (0, "Top-up of 10.00 done. New balance 10.00.")
    assert sim.state == SimState.OK


def test_exit_invalid_and_unknown_texts_close_with_code_0():
    net, _ = network()
    sim = Sim()
    answer(net, sim, "*123#")
    assert answer(net, sim, "0") == (0, "Goodbye.")
    answer(net, sim, "*123#")
    assert answer(net, sim, "7") == (0, "Invalid choice.")
    assert net.dialogue(1) is None
    assert answer(net, sim, "1") == (0, "Unknown application")  # a reply to no dialogue
    assert answer(net, sim, "*999#") == (0, "Unknown application")
    assert sim.balance == 100.0
    assert net.dialogues() == {}


def test_a_service_code_while_a_menu_is_open_is_pending_and_changes_nothing():
    net, clock = network()
    sim, other = Sim(), Sim(port_name="2.01")
    answer(net, sim, "*123#")
    clock.advance(10)
    before = net.dialogue(1)
    assert answer(net, sim, "*100#") == (4, "")
    assert net.dialogue(1) == before  # the session's expiry did not move either
    assert answer(net, other, "*100#", port=2) == (0, "Your balance is 100.00.")
    assert answer(net, sim, "1")[0] == 0  # the menu still takes its reply


def test_an_open_dialogue_closes_silently_after_the_session_timeout():
    net, clock = network(session_timeout=20.0)
    sim = Sim()
    answer(net, sim, "*123#")
    clock.advance(19.9)
    assert net.dialogue(1) is not None
    clock.advance(0.1)
    assert net.dialogue(1) is None
    assert answer(net, sim, "1") == (0, "Unknown application")
    assert sim.balance == 100.0


def test_each_answer_restarts_the_session_timeout():
    tree = UssdTree(
        codes={"*1#": UssdNode("a", options={"1": UssdNode("b", options={"1": UssdNode("c")})})}
    )
    net, clock = network(networks={"default": tree})
    sim = Sim()
    answer(net, sim, "*1#")
    clock.advance(25)
    assert answer(net, sim, "1") == (0, "b")
    clock.advance(25)  # 50 s after the first answer, 25 after the last
    assert net.dialogue(1) == {"code": "*1#", "state": "open", "expires": T0 + 25 + 30}
    assert answer(net, sim, "1") == (0, "c")


def test_with_a_latency_the_answer_waits_for_the_clock_and_the_port_is_busy():
    net, clock = network(latency=(5.0, 5.0))
    sim = Sim()
    request = net.send(1, sim, "*123#", timeout=60)  # type: ignore[arg-type]
    got = []
    request.add_done_callback(got.append)
    assert request.answer is None
    assert net.dialogue(1) == {"code": "*123#", "state": "waiting", "expires": T0 + 60}
    assert answer(net, sim, "*100#") == (4, "")
    assert answer(net, sim, "1") == (4, "")  # a reply before the network answered
    clock.advance(4.9)
    assert got == []
    clock.advance(0.1)
    assert [(int(a.status), a.resp) for a in got] == [(0, MENU)]
    assert net.dialogue(1) == {"code": "*123#", "state": "open", "expires": T0 + 5 + 30}
    reply = net.send(1, sim, "1")  # type: ignore[arg-type]
    assert net.dialogue(1)["state"] == "waiting"  # type: ignore[index]
    clock.advance(5)
    assert reply.answer is not None and reply.answer.resp.startswith("Top-up of 10.00 done")
    assert sim.balance == 110.0


def test_a_timeout_before_the_answer_is_6_and_drops_the_dialogue():
    net, clock = network(latency=(30.0, 30.0))
    sim = Sim()
    request = net.send(1, sim, "*123#", timeout=10)  # type: ignore[arg-type]
    clock.advance(10)
    assert request.answer is not None and int(request.answer.status) == 6
    assert request.answer.resp == ""
    assert net.dialogue(1) is None
    clock.advance(60)  # the network's answer never comes
    assert net.dialogue(1) is None and clock.pending == 0


def test_a_top_up_cut_off_by_the_timeout_is_not_carried_out():
    net, clock = network(latency=(8.0, 8.0))
    sim = Sim()
    net.send(1, sim, "*123#")  # type: ignore[arg-type]
    clock.advance(8)
    request = net.send(1, sim, "1", timeout=5)  # type: ignore[arg-type]
    clock.advance(100)
    assert request.answer is not None and int(request.answer.status) == 6
    assert sim.balance == 100.0


def test_an_answer_due_at_the_deadline_arrives_in_time():
    net, clock = network(latency=(10.0, 10.0))
    request = net.send(1, Sim(), "*100#", timeout=10)  # type: ignore[arg-type]
    clock.advance(10)
    assert request.answer is not None and int(request.answer.status) == 0


def test_latency_is_drawn_from_the_span_with_the_seed():
    def answered_after(seed: int) -> float:
        net, clock = network(rng=random.Random(seed), latency=(2.0, 6.0))
        request = net.send(1, Sim(), "*100#")  # type: ignore[arg-type]
        while request.answer is None:
            clock.step(T0 + 1000)
        return clock.now() - T0

    first = answered_after(7)
    assert 2.0 <= first <= 6.0
    assert answered_after(7) == first
    assert {answered_after(s) for s in range(5)} != {first}


@pytest.mark.parametrize("state", [s for s in SimState if s != MODULE_TIMEOUT])
def test_a_sim_that_cannot_dial_is_refused_with_5(state: SimState):
    net, _ = network()
    sim = Sim(state=state)
    status, resp = answer(net, sim, "*100#")
    if state in USSD_STATES:
        assert (status, resp) == (0, "Your balance is 100.00.")
    else:
        assert (status, resp) == (5, "")
        assert net.dialogue(1) is None


def test_an_empty_string_is_3():
    net, _ = network()
    assert answer(net, Sim(), "  ") == (3, "")


def test_all_answers_lost_is_6_after_every_retry_and_the_network_still_acted():
    net, clock = network(rng=Losses(True, True, True), failure_rate=0.5, latency=(2.0, 2.0))
    sim = Sim()
    tree_answer = net.send(1, sim, "*123#", retries=0)  # type: ignore[arg-type]
    net.rng = Losses(False)
    clock.advance(2)
    assert tree_answer.answer is not None and tree_answer.answer.resp == MENU
    net.rng = Losses(True, True, True)
    request = net.send(1, sim, "1", retries=2)  # type: ignore[arg-type]
    clock.advance(5.9)
    assert request.answer is None  # three attempts of 2 s each
    clock.advance(0.1)
    assert request.answer is not None and int(request.answer.status) == 6
    assert sim.balance == 110.0  # applied by the first attempt; the retries found no menu
    assert net.dialogue(1) is None


def test_a_lost_top_up_retried_by_the_client_is_applied_once():
    net, _ = network(rng=Losses(False, True, False), failure_rate=0.5)
    sim = Sim()
    answer(net, sim, "*123#")
    assert answer(net, sim, "1", retries=0) == (6, "")
    assert sim.balance == 110.0
    assert answer(net, sim, "1") == (0, "Unknown application")  # the menu is gone
    assert sim.balance == 110.0


def test_a_retry_after_a_lost_answer_gets_the_next_answer():
    net, clock = network(rng=Losses(True, False), failure_rate=0.5, latency=(3.0, 3.0))
    request = net.send(1, Sim(), "*100#", retries=1)  # type: ignore[arg-type]
    clock.advance(3)
    assert request.answer is None
    clock.advance(3)
    assert request.answer is not None
    assert (int(request.answer.status), request.answer.resp) == (0, "Your balance is 100.00.")


def test_without_failures_the_random_source_is_not_drawn():
    rng = random.Random(3)
    state = rng.getstate()
    net, _ = network(rng=rng)
    answer(net, Sim(), "*100#")
    assert rng.getstate() == state


def test_a_sim_leaving_service_drops_its_dialogue_and_answers_a_waiting_request():
    net, clock = network(latency=(5.0, 5.0))
    sim = Sim()
    waiting = net.send(2, sim, "*100#")  # type: ignore[arg-type]
    net.send(1, sim, "*123#")  # type: ignore[arg-type]
    clock.advance(5)
    net.port_changed(1, SimState.IN_CALL)  # still a USSD state
    assert net.dialogue(1) is not None
    net.port_changed(1, SimState.REGISTERING)
    assert net.dialogue(1) is None
    assert waiting.answer is not None and int(waiting.answer.status) == 0
    again = net.send(2, sim, "*123#")  # type: ignore[arg-type]
    net.reset()
    assert again.answer is not None and int(again.answer.status) == 6
    assert net.dialogues() == {} and clock.pending == 0


def test_each_operator_has_its_tree_and_others_the_default():
    mine = UssdTree(codes={"*100#": UssdNode("Saldo: {balance}")}, unknown="Nope")
    net, _ = network(networks={"46001": mine})
    assert answer(net, Sim(), "*100#") == (0, "Saldo: 100.00")
    assert answer(net, Sim(), "*101#") == (0, "Nope")
    other = Sim(operator="46002 CHINA MOBILE")
    assert answer(net, other, "*100#") == (0, "Your balance is 100.00.")


def test_text_fields_render_the_sim_and_other_braces_stay():
    tree = UssdTree(codes={"*9#": UssdNode("{imsi} {iccid} {imei} {operator} {port} {x}")})
    net, _ = network(networks={"default": tree})
    _, resp = answer(net, Sim(), "*9#")
    assert (
        resp
        == "460010000000001 89860110000000000001 860000000000001 46001 CHINA UNICOM GSM 1.01 {x}"
    )


def test_a_mute_module_waits_the_timeout_and_answers_6():
    net, clock = network()
    request = net.send(1, Sim(state=16), "*100#", timeout=15)  # type: ignore[arg-type]
    clock.advance(14)
    assert request.answer is None
    clock.advance(1)
    assert request.answer is not None and int(request.answer.status) == 6


def test_codes_replies_and_helpers():
    assert is_service_code("*100#") and is_service_code("#31#") and is_service_code(" *1*2# ")
    assert not is_service_code("1") and not is_service_code("#") and not is_service_code("*100")
    assert operator_id("46001 CHINA UNICOM GSM") == "46001" and operator_id("Vodafone") == ""
    assert port_ranges([8, 1, 3, 4, 5, 6, 10]) == "1,3-6,8,10"
    assert port_ranges([]) == "" and port_ranges([2]) == "2"
    assert TaskStatus.PENDING_USSD.wire == "4 Pending USSD"


def test_a_device_port_tops_up_through_the_sim_event():
    device, clock = make_device(small(quirks={"port_format": "letter"}))
    clock.advance(10)
    port = device.ports[0]
    sim_event(device, PortRef(1, 1), "no_balance", {})
    assert port.slot.state == SimState.NO_BALANCE
    net = UssdNetwork(UssdConfig(), clock, random.Random(1))
    sim = PortSim(device, 1, name_of=lambda p, s: f"{p}{'ABCD'[s - 1]}")
    assert answer(net, sim, "*123#")[0] == 0  # type: ignore[arg-type]
    status, resp = answer(net, sim, "2")  # type: ignore[arg-type]
    assert (status, resp) == (0, "Top-up of 20.00 done. New balance 20.00.")
    assert port.slot.card is not None and port.slot.card.balance == 20.0
    assert port.slot.state == SimState.OK
    tree = UssdTree(codes={"*7#": UssdNode("{port} {imei} {number}")})
    net = UssdNetwork(UssdConfig(networks={"default": tree}), clock, random.Random(1))
    _, resp = answer(net, sim, "*7#")  # type: ignore[arg-type]
    assert resp == f"1A {device.imei(1)} {port.slot.card.number}"
