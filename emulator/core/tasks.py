"""SMS tasks: per-port queues, the sending of each message, and status reports (spec 6).

A task's messages (one per recipient, or one per port under note 2 of 6.3.1.3)
are queued on ports when the task is accepted: on the port `from` names; spread
round-robin over the ports `from` names; or, without `from`, over the ports whose
SIM is registered. Each port works the head of its queue, one message at a time,
from its current SIM. Reports are made per task (its own sr_cnt / sr_prd and a
last one when it finishes) and buffered device-wide until `sr_cnt` reports wait or
`sr_prd` seconds pass (6.3.1.3, 6.3.2). Decisions the spec leaves open are in
docs/decisions.md ("Sending SMS").
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING

from emulator.core.batch import Batch
from emulator.core.codes import SimState, TaskStatus
from emulator.core.events import StatusReport, TaskReport
from emulator.core.sms_text import parts
from emulator.core.timers import TimerHandle

if TYPE_CHECKING:
    from emulator.core.context import EngineContext
    from emulator.core.slots import Port

# A port sends only from a SIM registered and free: not in a call, not out of balance.
CAN_SEND = frozenset({SimState.OK})
# fdr reasons: [4] what the device saw, [5] what the network said (6.3.2.3).
NETWORK_REFUSED = ("21 Send Failed", "500 Network Refused")
TIMED_OUT = (str(TaskStatus.TIMEOUT), "")
UNREGISTERED = (str(TaskStatus.SIM_UNREGISTERED), "")


class MessageState(IntEnum):
    WAITING = 0
    SENDING = 1
    SENT = 2
    FAILED = 3


@dataclass(slots=True)
class Message:
    task: Task
    index: int  # position among the task's recipients (6.3.2.3 sdr/fdr [0])
    number: str
    port: int
    parts: int
    state: MessageState = MessageState.WAITING


@dataclass(slots=True)
class Task:
    """An accepted task and its running totals."""

    tid: int
    order: int
    recipients: list[str]
    text: str
    sms: str  # as submitted, for goip_get_tasks has_content
    from_text: str
    chs: str
    coding: int
    intvl: tuple[float, float]  # seconds
    tmo: float
    sdr: bool
    fdr: bool
    dr: bool
    sr_cnt: int
    sr_prd: int
    smstype: int = 0
    paused: bool = False
    messages: list[Message] = field(default_factory=list)
    sending: int = 0
    sent: int = 0
    failed: int = 0
    removed: bool = False
    since_report: int = 0
    # Made when first needed: most tasks never fill them, and every container a task
    # holds is one more object for the garbage collector to walk (bench P1).
    sdr_records: list[tuple[int, str, int, int, float]] | None = None
    fdr_records: list[tuple[int, str, int, int, float, str, str]] | None = None
    report_timer: TimerHandle | None = None
    next_send: dict[int, float] | None = None  # port -> earliest, for intvl

    @property
    def total(self) -> int:
        return len(self.messages)

    @property
    def unsent(self) -> int:
        return self.total - self.sent - self.failed - self.sending

    @property
    def finished(self) -> bool:
        return self.sent + self.failed == self.total


@dataclass(slots=True)
class PortQueue:
    """The messages waiting on one port, and the one being worked."""

    waiting: deque[Message] = field(default_factory=deque)
    head: Message | None = None
    timer: TimerHandle | None = None
    awaiting_sim: bool = False  # the head waits (up to tmo) for the SIM to register
    con_failed: dict[int, int] = field(default_factory=dict)  # slot -> consecutive failures


# Not frozen: one is built for every task of every goip_post_sms (bench P1), and a frozen
# dataclass pays an object.__setattr__ per field for it. Nothing changes one after it
# is handed in: `Sending.submit` copies what it keeps into its Task.
@dataclass(slots=True)
class TaskSpec:
    """A validated task as the web layer hands it in; `ports` already parsed."""

    tid: int
    recipients: list[str]
    text: str
    sms: str
    from_text: str
    ports: list[int] | None
    chs: str = "utf8"
    coding: int = 0
    smstype: int = 0
    intvl: tuple[float, float] = (0.0, 0.0)
    tmo: float = 30.0
    sdr: bool = False
    fdr: bool = True
    dr: bool = False
    sr_cnt: int = 10
    sr_prd: int = 60


def messages_of(spec: TaskSpec) -> int:
    """How many messages a task expands to (6.3.1.3, note 2: one recipient, many ports)."""
    if spec.ports and len(spec.recipients) == 1:
        return len(spec.ports)
    return len(spec.recipients)


class Sending:
    """The device's SMS engine."""

    def __init__(
        self, ctx: EngineContext, delivery_report: Callable[[int, int, str], None]
    ) -> None:
        self.ctx = ctx
        # The network's report of a delivered message arrives as an SMS (spec 7.1 dr).
        self._delivery_report = delivery_report
        self.tasks: dict[int, Task] = {}
        self.queues = [PortQueue() for _ in ctx.ports]
        self._order = 0
        self.reports: Batch[TaskReport] = Batch(
            ctx.later, lambda: (ctx.settings.sr_cnt, ctx.settings.sr_prd), self._emit
        )
        self._reporting: set[int] = set()  # finished tasks whose last report is buffered
        self.held = 0  # messages of the tasks held, waiting or on the air: sending.max_messages
        self._next_port = 0  # round-robin start for tasks without `from`
        self._sendable_at = -1
        self._sendable_list: list[int] = []
        # Told of each message when it is sent or failed (a personality that answers per
        # message, as DBL's bulk protocol does); None: nobody listens.
        self.listener: Callable[[Message, bool], None] | None = None

    # -- submission (6.3.1) -------------------------------------------------------

    def check(self, spec: TaskSpec, pending: set[int], pending_messages: int = 0) -> TaskStatus:
        """Why this task would be refused, or OK; changes nothing.

        `pending` and `pending_messages` are the tids and messages of the tasks accepted
        before this one in the same request, not yet submitted.
        """
        # A finished task whose last report still waits in the buffer is still held.
        if spec.tid in self.tasks or spec.tid in pending or spec.tid in self._reporting:
            return TaskStatus.DUPLICATED_TID
        limits = self.ctx.config.sending
        if len(self.tasks) + len(pending) >= limits.max_tasks:
            return TaskStatus.TOO_MANY_TASK
        # A device's memory holds so many messages, however few the tasks (16 too).
        if self.held + pending_messages + messages_of(spec) > limits.max_messages:
            return TaskStatus.TOO_MANY_TASK
        if not self._usable_ports(spec.ports):
            return TaskStatus.SIM_UNREGISTERED
        return TaskStatus.OK

    def submit(self, spec: TaskSpec) -> Task:
        """Queue an accepted task's messages on their ports and start sending."""
        self._order += 1
        task = Task(
            tid=spec.tid,
            order=self._order,
            recipients=spec.recipients,
            text=spec.text,
            sms=spec.sms,
            from_text=spec.from_text,
            chs=spec.chs,
            coding=spec.coding,
            intvl=spec.intvl,
            tmo=spec.tmo,
            sdr=spec.sdr,
            fdr=spec.fdr,
            dr=spec.dr,
            sr_cnt=spec.sr_cnt if spec.sr_cnt >= 1 else 10,
            sr_prd=spec.sr_prd,
            smstype=spec.smstype,
        )
        count = parts(spec.text, spec.coding)
        if spec.ports and len(spec.recipients) == 1:
            # Note 2 of 6.3.1.3: one recipient and ports given: sent from every port.
            plan = [(0, spec.recipients[0], port) for port in spec.ports]
        else:
            ports = self._usable_ports(spec.ports) or spec.ports or []
            start = self._next_port if spec.ports is None else 0
            plan = [
                (i, number, ports[(start + i) % len(ports)])
                for i, number in enumerate(spec.recipients)
            ]
            if spec.ports is None:
                self._next_port = (start + len(spec.recipients)) % len(ports)
        for index, number, port in plan:
            message = Message(task, index, number, port, count)
            task.messages.append(message)
            self.queues[port - 1].waiting.append(message)
        self.tasks[task.tid] = task
        self.held += len(task.messages)
        if task.sr_prd > 0:
            task.report_timer = self.ctx.later(task.sr_prd, _PeriodicReport(self, task))
        for port in dict.fromkeys([m.port for m in task.messages]):
            self._kick(port)
        return task

    def _usable_ports(self, ports: list[int] | None) -> list[int]:
        """The ports (of those named, or all) whose current SIM can send now."""
        if ports is None:
            return self._sendable()
        return [p for p in ports if self._can_send(self.ctx.ports[p - 1])]

    def _sendable(self) -> list[int]:
        # Asked on every submission; the answer only moves when a port's state does.
        version = self.ctx.version
        if self._sendable_at != version:
            self._sendable_list = [p.number for p in self.ctx.ports if self._can_send(p)]
            self._sendable_at = version
        return self._sendable_list

    def _can_send(self, port: Port) -> bool:
        return port.slot.state in CAN_SEND

    # -- pause, resume, remove (6.3.3-6.3.5) -----------------------------------------

    def pause(self, tid: int) -> bool:
        task = self.tasks.get(tid)
        if task is None:
            return False
        task.paused = True
        return True

    def resume(self, tid: int) -> bool:
        task = self.tasks.get(tid)
        if task is None:
            return False
        if task.paused:
            task.paused = False
            for port in dict.fromkeys(m.port for m in task.messages):
                self._kick(port)
        return True

    def remove(self, tid: int) -> bool:
        """Drop a task's waiting messages; one on the air finishes, then the task reports."""
        task = self.tasks.get(tid)
        if task is None:
            return False
        task.removed = True
        for port in {m.port for m in task.messages if m.state == MessageState.WAITING}:
            queue = self.queues[port - 1]
            queue.waiting = deque(m for m in queue.waiting if m.task is not task)
        kept = [m for m in task.messages if m.state != MessageState.WAITING]
        self.held -= len(task.messages) - len(kept)
        task.messages = kept
        if task.sending == 0:
            self._finish(task)
        for port in range(1, len(self.queues) + 1):
            self._kick(port)
        return True

    def clear(self) -> None:
        """A reboot: every queued task is lost, with no report (INTERPRETATION.md)."""
        for task in self.tasks.values():
            if task.report_timer is not None:
                task.report_timer.cancel()
        for queue in self.queues:
            if queue.timer is not None:
                queue.timer.cancel()
        self.tasks.clear()
        self.held = 0
        self.queues = [PortQueue() for _ in self.ctx.ports]
        self.reports.clear()
        self._reporting.clear()

    # -- queries ----------------------------------------------------------------

    def tasks_on_port(self, port: int) -> list[Task]:
        """Tasks with a message still to send on `port`, in submission order (6.3.6)."""
        found = {m.task.tid: m.task for m in self.queues[port - 1].waiting}
        head = self.queues[port - 1].head
        if head is not None and not head.task.removed:
            # A removed task is gone at once, though its message on the air finishes.
            found.setdefault(head.task.tid, head.task)
        return sorted(found.values(), key=lambda t: t.order)

    def gauges(self, port: int, slot: int) -> tuple[int, int, int]:
        """(unsent, sending, con_failed) of a port's slot, for goip_get_sms_stat (spec 9)."""
        queue = self.queues[port - 1]
        current = self.ctx.ports[port - 1].current == slot
        unsent = len(queue.waiting) if current else 0
        sending = 1 if current and queue.head is not None else 0
        return unsent, sending, queue.con_failed.get(slot, 0)

    # -- the port engine ------------------------------------------------------------

    def port_changed(self, port: Port) -> None:
        """The port's current SIM changed state: a head waiting for it goes on the air."""
        queue = self.queues[port.number - 1]
        if queue.head is not None and queue.awaiting_sim and self._can_send(port):
            queue.awaiting_sim = False
            if queue.timer is not None:
                queue.timer.cancel()
            self._transmit(queue, port, queue.head)
        else:
            self._kick(port.number)

    def _kick(self, number: int) -> None:
        queue = self.queues[number - 1]
        if queue.head is not None or not queue.waiting:
            return
        port = self.ctx.ports[number - 1]
        now = self.ctx.now()
        # The first message that is not paused and whose task's interval has passed.
        wait_until: float | None = None
        for message in queue.waiting:
            task = message.task
            if task.paused:
                continue
            ready = 0.0 if task.next_send is None else task.next_send.get(number, 0.0)
            if ready > now:
                wait_until = ready if wait_until is None else min(wait_until, ready)
                continue
            queue.waiting.remove(message)
            self._start(queue, port, message)
            return
        if wait_until is not None and queue.timer is None:
            queue.timer = self.ctx.later(wait_until - now, lambda: self._wake(number))

    def _wake(self, number: int) -> None:
        self.queues[number - 1].timer = None
        self._kick(number)

    def _start(self, queue: PortQueue, port: Port, message: Message) -> None:
        """Work the head message: send it if the SIM can, else wait up to tmo for it."""
        task = message.task
        queue.head = message
        message.state = MessageState.SENDING
        task.sending += 1
        if queue.timer is not None:
            queue.timer.cancel()
        if not self._can_send(port):
            queue.awaiting_sim = True
            queue.timer = self.ctx.later(task.tmo, lambda: self._give_up(port, message))
            return
        self._transmit(queue, port, message)

    def _transmit(self, queue: PortQueue, port: Port, message: Message) -> None:
        card = port.slot.card
        sending = self.ctx.config.sending
        span = (card.send_latency if card else None) or sending.latency
        latency = sum(self.ctx.draw(span) for _ in range(message.parts))
        rate = (
            card.send_failure_rate
            if card and card.send_failure_rate is not None
            else (sending.failure_rate)
        )
        refused = rate > 0 and self.ctx.rng.random() < rate
        slot = port.current
        tmo = message.task.tmo
        if latency > tmo:
            queue.timer = self.ctx.later(tmo, lambda: self._done(port, message, slot, TIMED_OUT))
        else:
            outcome = NETWORK_REFUSED if refused else None
            queue.timer = self.ctx.later(latency, lambda: self._done(port, message, slot, outcome))

    def _give_up(self, port: Port, message: Message) -> None:
        if port.slot.state is SimState.MODULE_TIMEOUT:
            # Skyline's mute module: its messages wait for it, not fail (EJOIN-EXTRAS).
            queue = self.queues[port.number - 1]
            queue.timer = self.ctx.later(message.task.tmo, lambda: self._give_up(port, message))
            return
        self._done(port, message, port.current, UNREGISTERED)

    def _done(
        self, port: Port, message: Message, slot: int, failure: tuple[str, str] | None
    ) -> None:
        queue = self.queues[port.number - 1]
        queue.head = None
        queue.timer = None
        queue.awaiting_sim = False
        task = message.task
        task.sending -= 1
        now = self.ctx.now()
        stats = self.ctx.stats
        stats.add(port.number, slot, "sent")
        if failure is None:
            message.state = MessageState.SENT
            task.sent += 1
            stats.add(port.number, slot, "sent_ok")
            queue.con_failed[slot] = 0
            if task.sdr:
                if task.sdr_records is None:
                    task.sdr_records = []
                task.sdr_records.append((message.index, message.number, port.number, slot, now))
            if task.dr:
                self._delivery_report(port.number, slot, message.number)
        else:
            message.state = MessageState.FAILED
            task.failed += 1
            stats.add(port.number, slot, "sent_failed")
            queue.con_failed[slot] = queue.con_failed.get(slot, 0) + 1
            if task.fdr:
                if task.fdr_records is None:
                    task.fdr_records = []
                task.fdr_records.append(
                    (message.index, message.number, port.number, slot, now, *failure)
                )
        low, high = task.intvl
        if high > 0:
            if task.next_send is None:
                task.next_send = {}
            task.next_send[port.number] = now + self.ctx.draw((low, high))
        task.since_report += 1
        if self.listener is not None:
            self.listener(message, failure is None)
        if task.finished or (task.removed and task.sending == 0):
            self._finish(task)
        elif task.since_report >= task.sr_cnt:
            self._report(task)
        self._kick(port.number)

    # -- reports (6.3.2) ----------------------------------------------------------

    def _periodic(self, task: Task) -> None:
        task.report_timer = None
        if task.tid not in self.tasks:
            return
        if task.since_report > 0:
            self._report(task)
        task.report_timer = self.ctx.later(task.sr_prd, _PeriodicReport(self, task))

    def _report(self, task: Task) -> None:
        rpt = TaskReport(
            tid=task.tid,
            sending=task.sending,
            sent=task.sent,
            failed=task.failed,
            unsent=task.unsent,
            sdr=tuple(task.sdr_records or ()) if task.sdr else None,
            fdr=tuple(task.fdr_records or ()) if task.fdr else None,
        )
        task.sdr_records = task.fdr_records = None
        task.since_report = 0
        self.reports.add(rpt)

    def _finish(self, task: Task) -> None:
        """The last report, whatever the counters; the tid is free again afterwards."""
        if task.report_timer is not None:
            task.report_timer.cancel()
            task.report_timer = None
        if self.tasks.pop(task.tid, None) is not None:
            self.held -= len(task.messages)
        self._reporting.add(task.tid)
        self._report(task)

    def flush(self) -> None:
        self.reports.flush()

    def _emit(self, rpts: tuple[TaskReport, ...]) -> None:
        self._reporting.clear()
        url = self.ctx.settings.sr_url
        if url:
            self.ctx.outbox.emit(StatusReport(url=url, rpts=rpts))


# The task operations of spec 6.3.3-6.3.5 by name, for the edges that name them.
TASK_OPERATIONS: dict[str, Callable[[Sending, int], bool]] = {
    "pause": Sending.pause,
    "resume": Sending.resume,
    "remove": Sending.remove,
}


class _PeriodicReport:
    """A task's report timer callback: one object where a closure takes four.

    Every queued task holds one, and the garbage collector walks them all (bench P1).
    """

    __slots__ = ("sending", "task")

    def __init__(self, sending: Sending, task: Task) -> None:
        self.sending = sending
        self.task = task

    def __call__(self) -> None:
        self.sending._periodic(self.task)
