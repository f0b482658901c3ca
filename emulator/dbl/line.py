"""One DBL GoIP line talking to its SMS server (DBL-GOIP.md 3-6), pure and synchronous.

A `DblLine` is fed datagrams (`datagram_received`) and device events (`receive_sms`,
`push_state`...), and answers through the injected `emit`. It keeps the line's login to
the SMS server from the keepalive acks, retransmits pushes until acked, runs the bulk-send
sessions and answers commands. It never sends an SMS itself: `Radio.send_sms` does, one at
a time (the line has one module), and the line answers OK/ERROR once it is told.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from emulator.dbl import protocol as p
from emulator.dbl.ports import (
    Addr,
    Emit,
    Journal,
    LoginEvent,
    Outcome,
    Radio,
    SendResult,
    SmsReceivedEvent,
    SmsSentEvent,
    TimerHandle,
    Timers,
    UdpEvent,
    UssdEvent,
)

FINISHED_REMEMBERED = 10  # section 5 / [S1]: a session remembers its last 10 finished numbers
LOGIN_WINDOW = 3  # section 3: an ack for any of the last 3 keepalives counts
COMMAND_MEMORY = 64  # repeated commands answered from memory; older ones forgotten
SMS_NO_MODULO = 256  # sms_no is 0-255 and wraps

_Callback = Callable[[], None]
_PushBuilder = Callable[[int], p.Push]


@dataclass(frozen=True)
class LineConfig:
    """The `dbl:` profile section as it applies to one line (defaults of section 1)."""

    line: int
    server: Addr = ("127.0.0.1", 44444)
    client_id: str = ""  # empty: goip<line:02d>
    client_password: str = "goip"
    num: str = ""
    keepalive_period: float = 30.0
    first_keepalive: float = 1.0
    retransmit_interval: float = 3.0
    retransmit_max: int = 3
    session_idle: float = 90.0
    max_sessions: int = 5
    delivery_reports: bool = True
    delivery_delay: float = 5.0
    send_error_code: str = "38"
    ussd_latency: float = 3.0
    ussd_replies: tuple[tuple[str, str], ...] = ()
    part_gap: float = 0.0
    lac: str = "7E5"
    cell_id: str = "5E5B"
    # quirks
    send_smsc: bool = False
    msg_length: Literal["bytes", "ignore"] = "bytes"
    resend_duplicates: bool = False

    @property
    def ident(self) -> str:
        return self.client_id or f"goip{self.line:02d}"


@dataclass(frozen=True)
class PendingView:
    """A push awaiting its ack (`state.dbl.pending`)."""

    keyword: str
    recvid: int
    sends: int


@dataclass(frozen=True)
class NumberView:
    telid: int
    number: str
    state: Literal["waiting", "sent", "failed"]


@dataclass(frozen=True)
class SessionView:
    """A bulk session (`state.dbl.sessions`)."""

    sendid: int
    authenticated: bool
    numbers: tuple[NumberView, ...]


@dataclass(frozen=True)
class LineSnapshot:
    """Everything observable of a line's protocol state; equal snapshots = nothing changed."""

    line: int
    client_id: str
    server: Addr
    sms_login: bool
    keepalive_count: int
    num: str
    disabled: bool
    sms_no: int
    remain_time: int
    exp_time: int
    out_call_interval: int
    queued: int
    pending: tuple[PendingView, ...]
    sessions: tuple[SessionView, ...]


@dataclass
class _Pending:
    message: p.Push
    data: bytes
    sends: int
    timer: TimerHandle | None = None


@dataclass
class _Number:
    telid: int
    number: str
    addr: Addr
    waiting: int = 1  # sends queued or on the air for this telid
    answer: p.SendOk | p.SendError | None = None


@dataclass
class _Session:
    sendid: int
    text: str
    addr: Addr
    authenticated: bool = False
    numbers: dict[int, _Number] = field(default_factory=dict)
    finished: deque[int] = field(default_factory=deque)
    idle_timer: TimerHandle | None = None
    open: bool = True


@dataclass
class _Job:
    session: _Session
    entry: _Number


class DblLine:
    """The SMS-server side of one line: keepalives, pushes, bulk sessions, commands."""

    def __init__(
        self, config: LineConfig, timers: Timers, radio: Radio, emit: Emit, journal: Journal
    ) -> None:
        self.config = config
        self._timers = timers
        self._radio = radio
        self._emit = emit
        self._journal = journal
        self.num = config.num
        self.disabled = False
        self.exp_time = -1
        self.remain_time = -1
        self.out_call_interval = 0
        self._keepalive_timer: TimerHandle | None = None
        self._timers_out: set[TimerHandle] = set()  # DELIVER, USSD, part gaps
        self._clear()

    def _clear(self) -> None:
        self.keepalive_count = 0
        self.sms_login = False
        self._last_login_n = 0
        self._last_recvid = 0
        self._sms_no = 0
        self._pending: dict[tuple[str, int], _Pending] = {}
        self._sessions: dict[int, _Session] = {}
        self._queue: deque[_Job] = deque()
        self._on_air: _Job | None = None
        self._commands: OrderedDict[tuple[str, int], p.Answer] = OrderedDict()
        self._ussd_pending: dict[int, TimerHandle] = {}

    # --- life ------------------------------------------------------------------------------

    @property
    def line(self) -> int:
        return self.config.line

    def start(self) -> None:
        """Boot: the first keepalive is due `first_keepalive` s later, then every period."""
        self._schedule_keepalive(self.config.first_keepalive)

    def stop(self) -> None:
        """Cancel every timer (reboot, shutdown); state stays for `snapshot`."""
        if self._keepalive_timer is not None:
            self._keepalive_timer.cancel()
            self._keepalive_timer = None
        for pending in self._pending.values():
            if pending.timer is not None:
                pending.timer.cancel()
        for session in self._sessions.values():
            if session.idle_timer is not None:
                session.idle_timer.cancel()
        for handle in (*self._timers_out, *self._ussd_pending.values()):
            handle.cancel()
        self._timers_out.clear()

    def reset(self) -> None:
        """Control API `reset`: sessions closed, pushes dropped, keepalive count from 1.

        An SMS on the air is forgotten: its answer never goes out.
        """
        self.stop()
        self._clear()
        self.start()

    def snapshot(self) -> LineSnapshot:
        sessions = tuple(
            SessionView(
                s.sendid,
                s.authenticated,
                tuple(NumberView(n.telid, n.number, _number_state(n)) for n in s.numbers.values()),
            )
            for s in self._sessions.values()
        )
        return LineSnapshot(
            line=self.line,
            client_id=self.config.ident,
            server=self.config.server,
            sms_login=self.sms_login,
            keepalive_count=self.keepalive_count,
            num=self.num,
            disabled=self.disabled,
            sms_no=self._sms_no,
            remain_time=self.remain_time,
            exp_time=self.exp_time,
            out_call_interval=self.out_call_interval,
            queued=len(self._queue) + (self._on_air is not None),
            pending=tuple(PendingView(k, r, pend.sends) for (k, r), pend in self._pending.items()),
            sessions=sessions,
        )

    # --- journal and emit ------------------------------------------------------------------

    def _out(
        self, message: p.DeviceMessage, addr: Addr, outcome: Outcome, reason: str = ""
    ) -> None:
        data = message.encode()
        # Journaled first: what the socket edge does to it (a UDP fault) follows it.
        self._log("out", addr, message.type, data, outcome, reason)
        self._emit(data, addr)

    def _log(
        self, direction: Literal["in", "out"], addr: Addr, kind: str, data: bytes,
        outcome: Outcome, reason: str = "",
    ) -> None:  # fmt: skip
        text = data.decode("utf-8", "replace")
        self._journal(UdpEvent(direction, self.line, addr, kind, text, outcome, reason))

    def _later(self, delay: float, callback: _Callback) -> None:
        """A one-shot timer the line cancels on stop."""
        handle: TimerHandle | None = None

        def fire() -> None:
            self._timers_out.discard(handle)  # type: ignore[arg-type]
            callback()

        handle = self._timers.call_later(delay, fire)
        self._timers_out.add(handle)

    # --- keepalive (section 3) ---------------------------------------------------------------

    def _schedule_keepalive(self, delay: float) -> None:
        self._keepalive_timer = self._timers.call_later(delay, self._keepalive_due)

    def _keepalive_due(self) -> None:
        self._schedule_keepalive(self.config.keepalive_period)
        self.send_keepalive()

    def send_keepalive(self) -> None:
        """Send the next keepalive now (the schedule calls this every period)."""
        self.keepalive_count += 1
        unacked = self.keepalive_count - 1 - self._last_login_n
        if self.sms_login and unacked >= LOGIN_WINDOW:
            self._set_login(False, f"no reg:<n>;status:200; for the last {LOGIN_WINDOW} keepalives")
        self._out(self.build_keepalive(), self.config.server, "sent")

    def build_keepalive(self) -> p.Keepalive:
        status = self._radio.status(self.line)
        registered = status.registered and not self.disabled
        return p.Keepalive(
            req=self.keepalive_count,
            id=self.config.ident,
            password=self.config.client_password,
            num=self.num,
            signal=status.signal,
            gsm_status="LOGIN" if registered else "LOGOUT",
            voip_state="ACTIVE" if status.in_call else "IDLE",
            remain_time=self.remain_time,
            imei=status.imei,
            imsi=status.imsi,
            iccid=status.iccid,
            pro=status.operator,
            idle=status.idle_minutes,
            disable_status=self.disabled,
            sms_login=self.sms_login,
            lac=self.config.lac,
            cell_id=self.config.cell_id,
            cgatt=registered,
        )

    def _set_login(self, flag: bool, reason: str) -> None:
        if flag != self.sms_login:
            self.sms_login = flag
            self._journal(LoginEvent(self.line, flag, reason))

    def _on_keepalive_ack(self, ack: p.KeepaliveAck, data: bytes, addr: Addr) -> None:
        low = self.keepalive_count - LOGIN_WINDOW + 1
        if not (max(1, low) <= ack.reg <= self.keepalive_count):
            reason = f"reg:{ack.reg} is not one of the last {LOGIN_WINDOW} keepalives"
            self._log("in", addr, "reg", data, "not_an_ack", reason)
            return
        if ack.logs_in:
            self._last_login_n = max(self._last_login_n, ack.reg)
            self._set_login(True, f"reg:{ack.reg};status:200;")
            self._log("in", addr, "reg", data, "acked", "SMS_LOGIN Y")
            return
        self._set_login(False, f"reg ack status:{ack.status}")
        self._log("in", addr, "reg", data, "refused", f"status:{ack.status}: SMS_LOGIN N")

    # --- pushes (section 4) --------------------------------------------------------------------

    def _next_recvid(self) -> int:
        r = int(self._timers.now())
        self._last_recvid = r if r > self._last_recvid else self._last_recvid + 1
        return self._last_recvid

    def _push(self, build: _PushBuilder) -> int:
        r = self._next_recvid()
        message = build(r)
        pending = _Pending(message, message.encode(), 1)
        self._pending[(message.type, r)] = pending
        self._out(message, self.config.server, "sent")
        self._arm_retransmit(pending)
        return r

    def _arm_retransmit(self, pending: _Pending) -> None:
        pending.timer = self._timers.call_later(
            self.config.retransmit_interval, lambda: self._retransmit_due(pending)
        )

    def _retransmit_due(self, pending: _Pending) -> None:
        key = (pending.message.type, pending.message.recvid)
        if self._pending.get(key) is not pending:
            return
        if pending.sends > self.config.retransmit_max:
            del self._pending[key]
            reason = f"no ack after {pending.sends} sends"
            self._log("out", self.config.server, key[0], pending.data, "gave_up", reason)
            return
        pending.sends += 1
        self._log("out", self.config.server, key[0], pending.data, "retransmit")
        self._emit(pending.data, self.config.server)
        self._arm_retransmit(pending)

    def _on_push_ack(self, ack: p.PushAck, data: bytes, addr: Addr) -> None:
        pending = self._pending.pop((ack.keyword, ack.recvid), None)
        if pending is None:
            reason = f"no pending {ack.keyword} with recvid {ack.recvid}"
            self._log("in", addr, ack.keyword, data, "not_an_ack", reason)
            return
        if pending.timer is not None:
            pending.timer.cancel()
        if ack.ok:
            self._log("in", addr, ack.keyword, data, "acked")
        else:
            self._log("in", addr, ack.keyword, data, "refused", ack.text)

    def receive_sms(self, sender: str, text: str, smsc: str = "") -> list[str]:
        """An SMS arrived: one RECEIVE per part, in order; returns the parts (inbox entries)."""
        parts = p.split_parts(text)
        for i, part in enumerate(parts):
            delay = i * self.config.part_gap
            if delay <= 0:
                self._push_receive(sender, part, smsc)
            else:
                self._later(delay, lambda part=part: self._push_receive(sender, part, smsc))
        return parts

    def _push_receive(self, sender: str, text: str, smsc: str) -> None:
        cfg = self.config
        smscnum = smsc if cfg.send_smsc else None
        r = self._push(
            lambda r: p.Receive(r, cfg.ident, cfg.client_password, sender, text, smscnum)
        )
        self._journal(SmsReceivedEvent(self.line, sender, text, r))

    def push_deliver(self, sms_no: int, state: int, num: str) -> int:
        cfg = self.config
        return self._push(
            lambda r: p.Deliver(r, cfg.ident, cfg.client_password, sms_no, state, num)
        )

    def push_state(self, state: p.RemainState) -> int:
        cfg = self.config
        return self._push(lambda r: p.State(r, cfg.ident, cfg.client_password, state))

    def push_record(self, direction: Literal[1, 2], num: str) -> int:
        cfg = self.config
        return self._push(lambda r: p.Record(r, cfg.ident, cfg.client_password, direction, num))

    def push_hangup(self, num: str, cause: str) -> int:
        cfg = self.config
        return self._push(lambda r: p.Hangup(r, cfg.ident, cfg.client_password, num, cause))

    def push_remain(self, minutes: int) -> int:
        cfg = self.config
        return self._push(lambda r: p.Remain(r, cfg.ident, cfg.client_password, minutes))

    def note_sent(self, number: str) -> int:
        """An SMS of this line went out by another interface (HTTP, web): its sms_no.

        The DELIVER follows `delivery_delay` s later when delivery reports are on.
        """
        sms_no = self._take_sms_no()
        self._schedule_deliver(sms_no, number)
        return sms_no

    def _take_sms_no(self) -> int:
        self._sms_no = (self._sms_no + 1) % SMS_NO_MODULO
        return self._sms_no

    def _schedule_deliver(self, sms_no: int, number: str) -> None:
        if self.config.delivery_reports:
            self._later(self.config.delivery_delay, lambda: self.push_deliver(sms_no, 0, number))

    # --- datagrams in ------------------------------------------------------------------------

    def datagram_received(self, data: bytes, addr: Addr) -> None:
        """One datagram from the SMS server (or anyone: acks are taken from any address)."""
        message = p.parse_from_server(data, msg_length=self.config.msg_length)
        if isinstance(message, p.Unparsed):
            outcome: Outcome = "not_an_ack" if p.looks_like_push_ack(data) else "unparsed"
            self._log("in", addr, message.type, data, outcome, message.reason)
        elif isinstance(message, p.KeepaliveAck):
            self._on_keepalive_ack(message, data, addr)
        elif isinstance(message, p.KeepaliveEcho):
            reason = "an ack starting req: does not log in; only reg:<n>;status:200; does"
            self._log("in", addr, "req", data, "not_an_ack", reason)
        elif isinstance(message, p.PushAck):
            self._on_push_ack(message, data, addr)
        elif isinstance(message, p.Msg | p.Password | p.Send | p.Done):
            self._on_bulk(message, data, addr)
        else:
            self._on_command(message, data, addr)

    # --- bulk send (section 5) ---------------------------------------------------------------

    def _on_bulk(
        self, message: p.Msg | p.Password | p.Send | p.Done, data: bytes, addr: Addr
    ) -> None:
        s = message.sendid
        session = self._sessions.get(s)
        self._log("in", addr, message.type, data, "answered")
        if session is not None:
            self._touch(session)
        if isinstance(message, p.Msg):
            self._on_msg(message, session, addr)
        elif isinstance(message, p.Done):
            if session is not None:
                self._close(session)
            self._out(p.DoneAnswer(s), addr, "sent")
        elif session is None:
            self._out(p.ErrorAnswer(s, "SENDID"), addr, "sent")
        elif isinstance(message, p.Password):
            self._on_password(message, session, addr)
        else:
            self._on_send(message, session, addr)

    def _on_msg(self, message: p.Msg, session: _Session | None, addr: Addr) -> None:
        s = message.sendid
        if session is None:
            if len(self._sessions) >= self.config.max_sessions:
                self._out(p.ErrorAnswer(s, "BUSY"), addr, "sent")
                return
            session = _Session(s, message.text, addr)
            self._sessions[s] = session
            self._touch(session)
        elif not session.numbers:
            session.text = message.text  # nothing submitted yet: the repeat may correct it
        self._out(p.PasswordPrompt(s), addr, "sent")

    def _on_password(self, message: p.Password, session: _Session, addr: Addr) -> None:
        s = message.sendid
        if message.password != self.config.client_password:
            self._out(p.ErrorAnswer(s, "PASSWORD"), addr, "sent")
        elif not self._can_send():
            self._out(p.ErrorAnswer(s, "GSM_LOGOUT"), addr, "sent")
        else:
            session.authenticated = True
            self._out(p.SendPrompt(s), addr, "sent")

    def _on_send(self, message: p.Send, session: _Session, addr: Addr) -> None:
        s, t = message.sendid, message.telid
        if not session.authenticated:
            self._out(p.ErrorAnswer(s, "PASSWORD"), addr, "sent")
            return
        entry = session.numbers.get(t)
        if entry is not None and entry.waiting and self.config.resend_duplicates:
            entry.waiting += 1  # the GoIP8 of [S10]: a fresh send per SEND
            self._enqueue(session, entry)
            self._out(p.Wait(s, t), addr, "sent", "quirks.resend_duplicates: sent again")
            return
        if entry is not None and entry.waiting:
            self._out(p.Wait(s, t), addr, "sent", "still waiting")
            return
        if entry is not None and entry.answer is not None:
            self._out(entry.answer, addr, "sent", "from memory, not sent again")
            return
        if not self._can_send():
            self._out(p.ErrorAnswer(s, "GSM_LOGOUT"), addr, "sent")
            return
        entry = _Number(t, message.number, addr)
        session.numbers[t] = entry
        self._enqueue(session, entry)
        self._out(p.Wait(s, t), addr, "sent")

    def _can_send(self) -> bool:
        return not self.disabled and self._radio.can_send(self.line)

    def _touch(self, session: _Session) -> None:
        if session.idle_timer is not None:
            session.idle_timer.cancel()
        session.idle_timer = self._timers.call_later(
            self.config.session_idle, lambda: self._close(session)
        )

    def _close(self, session: _Session) -> None:
        """DONE or idle: no more requests; numbers accepted are still sent and answered."""
        if session.idle_timer is not None:
            session.idle_timer.cancel()
            session.idle_timer = None
        session.open = False
        if self._sessions.get(session.sendid) is session:
            del self._sessions[session.sendid]

    def _enqueue(self, session: _Session, entry: _Number) -> None:
        self._queue.append(_Job(session, entry))
        self._pump()

    def _pump(self) -> None:
        while self._on_air is None and self._queue:
            job = self._queue.popleft()
            self._on_air = job
            generation = self._queue  # a reset replaces the queue: late results are dropped

            def done(
                result: SendResult, job: _Job = job, generation: deque[_Job] = generation
            ) -> None:
                if generation is self._queue and self._on_air is job:
                    self._on_air = None
                    self._finish(job, result)
                    self._pump()

            self._radio.send_sms(self.line, job.entry.number, job.session.text, done)

    def _finish(self, job: _Job, result: SendResult) -> None:
        session, entry = job.session, job.entry
        answer: p.SendOk | p.SendError
        if result.ok:
            sms_no = self._take_sms_no()
            answer = p.SendOk(session.sendid, entry.telid, sms_no)
            self._schedule_deliver(sms_no, entry.number)
            error = ""
        else:
            sms_no = None
            error = result.error or self.config.send_error_code
            answer = p.SendError(session.sendid, entry.telid, error)
        entry.answer = answer
        entry.waiting -= 1
        self._out(answer, entry.addr, "sent")
        self._journal(
            SmsSentEvent(
                self.line, entry.number, session.text, result.parts, sms_no,
                session.sendid, entry.telid, result.ok, error,
            )
        )  # fmt: skip
        if entry.waiting == 0:
            session.finished.append(entry.telid)
            while len(session.finished) > FINISHED_REMEMBERED:
                session.numbers.pop(session.finished.popleft(), None)

    # --- commands and USSD (section 6) ------------------------------------------------------

    def _on_command(
        self, message: p.Command | p.Ussd | p.UssdExit, data: bytes, addr: Addr
    ) -> None:
        key = (message.type, message.sendid)
        remembered = self._commands.get(key)
        if remembered is not None:
            self._log("in", addr, message.type, data, "answered", "repeat: no second effect")
            self._out(remembered, addr, "sent", "from memory")
            return
        if isinstance(message, p.Ussd) and message.sendid in self._ussd_pending:
            self._log("in", addr, message.type, data, "ignored", "USSD already pending")
            return
        if message.password != self.config.client_password:
            self._log("in", addr, message.type, data, "answered", "wrong password")
            self._answer(key, p.ErrorAnswer(message.sendid, "PASSWORD"), addr)
            return
        if isinstance(message, p.Ussd):
            self._on_ussd(message, data, addr)
            return
        if isinstance(message, p.UssdExit):
            pending = self._ussd_pending.pop(message.sendid, None)
            if pending is not None:
                pending.cancel()
            self._log("in", addr, message.type, data, "answered")
            self._answer(key, p.UssdExitReply(message.sendid), addr)
            return
        answer = self._run_command(message)
        if answer is None:
            self._log("in", addr, message.type, data, "ignored", f"bad argument {message.args}")
            return
        self._log("in", addr, message.type, data, "answered")
        self._answer(key, answer, addr)

    def _answer(self, key: tuple[str, int], answer: p.Answer, addr: Addr) -> None:
        self._commands[key] = answer
        while len(self._commands) > COMMAND_MEMORY:
            self._commands.popitem(last=False)
        self._out(answer, addr, "sent")

    def _run_command(self, c: p.Command) -> p.Answer | None:
        """The command's effect and answer; None for an argument out of range (ignored)."""
        s, word, arg = c.sendid, c.command, (c.args[0] if c.args else "")
        status = self._radio.status(self.line)

        def reply(value: object) -> p.CommandReply:
            return p.CommandReply(word, s, str(value))

        if word == "get_gsm_num":
            return reply(self.num)
        if word == "set_gsm_num":
            self.num = arg
            return reply(f"{arg} ok")
        if word == "get_gsm_state":
            if not (status.registered and not self.disabled):
                return p.ErrorAnswer(s, "GSM_LOGOUT")
            return reply("ACTIVE" if status.in_call else "IDLE")
        if word == "get_imei":
            return reply(status.imei)
        if word == "set_imei":
            if not (len(arg) == 15 and arg.isascii() and arg.isdigit()):
                return p.ErrorAnswer(s, "IMEI")
            self._radio.set_imei(self.line, arg)
            return reply(f"{arg} ok")
        if word in ("set_exp_time", "set_out_call_interval"):
            value = _int_arg(arg)
            if value is None:
                return None
            if word == "set_exp_time":
                self.exp_time = value
            else:
                self.out_call_interval = value
            return reply("ok")
        if word == "get_exp_time":
            return reply(self.exp_time)
        if word == "get_remain_time":
            return reply(self.remain_time)
        if word == "reset_remain_time":
            self.remain_time = self.exp_time
            return reply("ok")
        if word == "get_out_call_interval":
            return reply(self.out_call_interval)
        if word == "module_ctl_i":
            if arg not in ("1", "2"):
                return None
            self.disabled = arg == "2"
            self._radio.set_enabled(self.line, not self.disabled)
            return reply("ok")
        effects = {
            "svr_drop_call": lambda: self._radio.drop_call(self.line),
            "svr_reboot_module": lambda: self._radio.reboot_module(self.line),
            "svr_reboot_dev": self._radio.reboot_device,
        }
        # The answer goes out before the effect: a reboot silences the device.
        self._later(0, effects[word])
        return reply("ok")

    def _on_ussd(self, message: p.Ussd, data: bytes, addr: Addr) -> None:
        s, code = message.sendid, message.code
        key = (message.type, s)
        if not self._can_send():
            self._log("in", addr, message.type, data, "answered", "GSM_LOGOUT")
            self._answer(key, p.UssdError(s, "GSM_LOGOUT"), addr)
            self._journal(UssdEvent(self.line, s, code, "GSM_LOGOUT", False))
            return
        self._log(
            "in", addr, message.type, data, "answered", f"reply in {self.config.ussd_latency} s"
        )

        def reply() -> None:
            self._ussd_pending.pop(s, None)
            text = self.ussd_text(code)
            self._answer(key, p.UssdReply(s, text), addr)
            self._journal(UssdEvent(self.line, s, code, text, True))

        self._ussd_pending[s] = self._timers.call_later(self.config.ussd_latency, reply)

    def ussd_text(self, code: str) -> str:
        """The network's reply to `code`: `dbl.ussd_replies`, else the radio's default."""
        text = dict(self.config.ussd_replies).get(code)
        return self._radio.ussd_reply(self.line, code) if text is None else text


def _int_arg(text: str) -> int | None:
    try:
        return int(text) if text.lstrip("-").isdigit() and text.isascii() else None
    except ValueError:
        return None


def _number_state(entry: _Number) -> Literal["waiting", "sent", "failed"]:
    if entry.waiting or entry.answer is None:
        return "waiting"
    return "sent" if isinstance(entry.answer, p.SendOk) else "failed"
