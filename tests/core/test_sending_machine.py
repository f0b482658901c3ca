"""Random submissions, pauses, resumes, removals, SIM events and time against the SMS
engine's invariants: every message of an accepted task is reported exactly once, as
sent or failed (unless removed before it went out), and a paused task sends nothing."""

import contextlib

from conftest import make_device, sim_event, small
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from emulator.config.ports import PortRef
from emulator.core.codes import TaskStatus
from emulator.core.events import StatusReport
from emulator.core.tasks import TaskSpec

PORTS = 4
tids = st.integers(1, 8)


class SendingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        profile = small(
            device={"ports": PORTS, "slots": 2},
            sending={"latency": [1, 6], "failure_rate": 0.2},
            push={"sr_cnt": 3, "sr_prd": 20},
        )
        self.device, self.clock = make_device(profile, seed=3)
        self.clock.advance(10)
        self.device.settings.sr_url = "http://127.0.0.1:9/sr"
        self.sending = self.device.sending
        self.records: dict[int, list[tuple[int, int]]] = {}  # tid -> (index, port) reported
        self.expected: dict[int, set[tuple[int, int]]] = {}
        self.finals: dict[int, tuple[int, int, int, int]] = {}
        self.removed: set[int] = set()
        self.paused: dict[int, int] = {}  # tid -> messages started when paused

    @rule(
        tid=tids,
        count=st.integers(1, 6),
        ports=st.none() | st.lists(st.integers(1, PORTS), min_size=1, max_size=3, unique=True),
        intvl=st.sampled_from([0.0, 2.0]),
        tmo=st.sampled_from([5, 30]),
    )
    def submit(self, tid, count, ports, intvl, tmo):
        spec = TaskSpec(
            tid=tid,
            recipients=[f"55{n}" for n in range(count)],
            text="hi",
            sms="hi",
            from_text="",
            ports=ports,
            intvl=(intvl, intvl),
            tmo=float(tmo),
            sdr=True,
            fdr=True,
            sr_cnt=2,
            sr_prd=15,
        )
        if self.sending.check(spec, set()) != TaskStatus.OK:
            return
        assert tid not in self.records or tid in self.finals
        task = self.sending.submit(spec)
        self.records[tid] = []
        self.finals.pop(tid, None)
        self.removed.discard(tid)
        self.paused.pop(tid, None)  # a new task under a tid whose paused one has finished
        self.expected[tid] = {(m.index, m.port) for m in task.messages}

    @rule(tid=tids)
    def pause(self, tid):
        task = self.sending.tasks.get(tid)
        if self.sending.pause(tid) and tid not in self.paused:
            self.paused[tid] = task.sent + task.failed + task.sending

    @rule(tid=tids)
    def resume(self, tid):
        self.sending.resume(tid)
        self.paused.pop(tid, None)

    @rule(tid=tids)
    def remove(self, tid):
        if self.sending.remove(tid):
            self.removed.add(tid)
            self.paused.pop(tid, None)

    @rule(
        port=st.integers(1, PORTS),
        event=st.sampled_from(["block", "unblock", "remove", "insert", "lock", "unlock"]),
    )
    def sim_event(self, port, event):
        with contextlib.suppress(ValueError):
            sim_event(self.device, PortRef(port, 1), event, {})

    @rule(seconds=st.sampled_from([0.5, 2, 7, 30]))
    def advance(self, seconds):
        self.clock.advance(seconds)

    @invariant()
    def reported_once(self):
        for event in self.device.outbox.drain():
            if not isinstance(event, StatusReport):
                continue
            for rpt in event.rpts:
                records = self.records[rpt.tid]
                records.extend((r[0], r[2]) for r in rpt.sdr)
                records.extend((r[0], r[2]) for r in rpt.fdr)
                assert len(records) == len(set(records)), f"tid {rpt.tid} reported twice"
                assert rpt.sent + rpt.failed == len(records)
                if rpt.tid not in self.sending.tasks:  # the last one seen is the final one
                    self.finals[rpt.tid] = (rpt.sending, rpt.sent, rpt.failed, rpt.unsent)

    @invariant()
    def paused_tasks_send_nothing(self):
        for tid, started in self.paused.items():
            task = self.sending.tasks.get(tid)
            if task is not None:
                assert task.sent + task.failed + task.sending <= started

    def teardown(self):
        # Run everything out: every task that was not removed ends reported in full.
        for tid in list(self.paused):
            self.sending.resume(tid)
        self.paused.clear()
        for port in range(1, PORTS + 1):
            with contextlib.suppress(ValueError):
                sim_event(self.device, PortRef(port, 1), "unblock", {})
        self.clock.advance(3600)
        self.sending.flush()
        self.reported_once()
        assert self.sending.tasks == {}
        for tid, expected in self.expected.items():
            sending, sent, failed, unsent = self.finals[tid]
            assert sending == 0 and unsent == 0, tid
            if tid not in self.removed:
                assert set(self.records[tid]) == expected, tid


SendingMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
TestSendingMachine = SendingMachine.TestCase
