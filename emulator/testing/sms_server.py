"""An SMS server for tests of DBL GoIP clients: a real UDP socket on 127.0.0.1.

    async with SmsServer() as server, Emulator("dbl-goip8", sms_server=server.address) as gw:
        await gw.advance(1)                       # the lines' first keepalives
        await gw.inject_sms("2", "+15550001", "hi")
        assert server.sms()[0].msg == "hi"        # RECEIVE, acked as a server does
        bulk = await server.send_sms("goip01", ["+15550002"], "hello")   # MSG/PASSWORD/SEND
        await gw.advance(10)
        assert (await bulk.wait())[1].ok          # OK <s> <t> <sms_no>, unasked
        await bulk.done()                         # DONE

It plays what a real SMS server does (DBL-GOIP.md 3-5): it answers each keepalive
with `reg:<n>;status:200;` (the line logs in), acks every push (`RECEIVE <r> OK`, ...),
learns each line's address from its keepalives (where bulk sends and commands go), and
records every datagram, parsed, in arrival order. `ack` and `login` turn the answers off,
to play a server that is down or refuses. The parsing is its own, as a server's would
be, not the emulator's. `SyncSmsServer` is the same on a thread and loop of its own, for
blocking tests.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

Addr = tuple[str, int]
T = TypeVar("T")

PUSHES = ("RECEIVE", "DELIVER", "STATE", "RECORD", "HANGUP", "REMAIN")
# What a line sends unasked: keepalives and pushes.
UNASKED = (b"req:", *(f"{k}:".encode() for k in PUSHES))


class BulkError(Exception):
    """The line refused a step of a bulk send: `answer` is what it said."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        super().__init__(answer)


@dataclass(frozen=True)
class Datagram:
    """One datagram the server got: its bytes, whence, and what a server reads of it."""

    data: bytes
    addr: Addr

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")

    @property
    def keyword(self) -> str:
        """`req`, `RECEIVE`, ... for what a line sends unasked; the first word otherwise."""
        text = self.text
        for end, char in enumerate(text):
            if char in ": ;\r\n":
                return text[:end]
        return text

    @property
    def unasked(self) -> bool:
        return self.data.startswith(UNASKED)

    @property
    def fields(self) -> dict[str, str]:
        """`key:value` fields of a keepalive or push; `msg` takes the rest of a RECEIVE
        (a text may hold `;`). The keyword's own value is under the keyword (`req`)."""
        if not self.unasked:
            return {}
        text, found = self.text, {}
        while text:
            key, _, rest = text.partition(":")
            if key == "msg":
                found[key] = rest
                break
            # the value runs to the next `;`: CELLINFO:LAC:7E5,CELL ID:5E5B; keeps its colons
            value, _, text = rest.partition(";")
            found[key] = value
        return found

    @property
    def recvid(self) -> int | None:
        """The `r` of a push (the `n` of a keepalive); None for anything else."""
        value = self.fields.get(self.keyword, "")
        return int(value) if value.isdigit() else None

    @property
    def words(self) -> list[str]:
        """The space-separated words of a bulk or command answer, line end dropped."""
        return self.text.rstrip("\r\n").split(" ")


@dataclass(frozen=True)
class InboundSms:
    """One RECEIVE as a server stores it (retransmissions are one SMS)."""

    id: str  # the line's client id
    recvid: int
    srcnum: str
    msg: str
    smscnum: str | None = None


@dataclass(frozen=True)
class SendResult:
    """How one number of a bulk send ended: `OK <s> <t> <sms_no>` or `ERROR ... <code>`."""

    telid: int
    number: str
    ok: bool
    sms_no: int | None = None
    error: str = ""
    answer: str = ""


@dataclass
class BulkSend:
    """A bulk session the server opened on a line (MSG, PASSWORD, SEND each number)."""

    server: SmsServer
    addr: Addr
    sendid: int
    numbers: dict[int, str]  # telid -> number
    results: dict[int, SendResult] = field(default_factory=dict)

    async def wait(self, timeout: float = 5.0) -> dict[int, SendResult]:
        """Until every number has its OK or ERROR (real time: advance a virtual clock
        first); by telid."""
        await self.server.wait_for(lambda _: len(self.results) == len(self.numbers), timeout)
        return dict(self.results)

    async def done(self, timeout: float = 5.0) -> None:
        """DONE <s>, and its echo: the session is closed."""
        await self.server.request(self.addr, f"DONE {self.sendid}\n", (f"DONE {self.sendid}",),
                                  timeout)  # fmt: skip


class SmsServer(asyncio.DatagramProtocol):
    """The SMS server: records every datagram, answers keepalives, acks pushes."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, ack: bool = True, login: bool = True
    ) -> None:
        self.host = host
        self.bind_port = port
        self.ack = ack  # ack pushes (`RECEIVE <r> OK`); False: the line retransmits
        self.login = login  # answer keepalives `reg:<n>;status:200;`; False: no answer
        self.received: list[Datagram] = []
        self.lines: dict[str, Addr] = {}  # client id -> address of its last keepalive
        self.inbox: asyncio.Queue[tuple[bytes, Addr]] = asyncio.Queue()
        self.skipped: list[bytes] = []  # what `keepalives` and `ask` passed over
        self.transport: asyncio.DatagramTransport | None = None
        self._arrived = asyncio.Event()
        self._sessions: dict[int, BulkSend] = {}
        self._sendids = itertools.count(1)

    # --- the socket -----------------------------------------------------------------

    async def __aenter__(self) -> SmsServer:
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: self, local_addr=(self.host, self.bind_port))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        gram = Datagram(data, (str(addr[0]), int(addr[1])))
        self.received.append(gram)
        self.inbox.put_nowait((gram.data, gram.addr))
        self._answer(gram)
        self._arrived.set()

    def _answer(self, gram: Datagram) -> None:
        keyword = gram.keyword
        if keyword == "req":
            ident = gram.fields.get("id", "")
            self.lines[ident] = gram.addr
            if self.login and gram.recvid is not None:
                self.send(f"reg:{gram.recvid};status:200;".encode(), gram.addr)
        elif keyword in PUSHES:
            if self.ack and gram.recvid is not None:
                self.send(f"{keyword} {gram.recvid} OK".encode(), gram.addr)
        elif keyword in ("OK", "ERROR"):
            words = gram.words
            if len(words) >= 3 and words[1].isdigit() and words[2].isdigit():
                self._result(gram, int(words[1]), int(words[2]), words)

    def _result(self, gram: Datagram, sendid: int, telid: int, words: list[str]) -> None:
        bulk = self._sessions.get(sendid)
        if bulk is None or telid not in bulk.numbers or telid in bulk.results:
            return
        ok = words[0] == "OK"
        sms_no = int(words[3]) if ok and len(words) > 3 and words[3].isdigit() else None
        error = "" if ok else " ".join(words[3:]).removeprefix("errorstatus:")
        bulk.results[telid] = SendResult(
            telid, bulk.numbers[telid], ok, sms_no, error, gram.text.rstrip("\n")
        )

    @property
    def port(self) -> int:
        assert self.transport is not None, "use the SmsServer inside `async with`"
        return int(self.transport.get_extra_info("sockname")[1])

    @property
    def address(self) -> str:
        """HOST:PORT, what --sms-server (or `Emulator(sms_server=...)`) takes."""
        return f"{self.host}:{self.port}"

    def send(self, data: bytes, addr: Addr) -> None:
        assert self.transport is not None, "use the SmsServer inside `async with`"
        self.transport.sendto(data, addr)

    # --- what was recorded -------------------------------------------------------------

    def of_type(self, keyword: str) -> list[Datagram]:
        """Every datagram of one keyword (`req`, `RECEIVE`, `WAIT`...), retransmissions too."""
        return [g for g in self.received if g.keyword == keyword]

    def sms(self) -> list[InboundSms]:
        """Every SMS pushed as RECEIVE, once each however often it was sent."""
        seen: dict[tuple[str, int], InboundSms] = {}
        for gram in self.of_type("RECEIVE"):
            f, r = gram.fields, gram.recvid
            if r is not None and (f.get("id", ""), r) not in seen:
                seen[(f.get("id", ""), r)] = InboundSms(
                    f.get("id", ""), r, f.get("srcnum", ""), f.get("msg", ""), f.get("smscnum")
                )
        return list(seen.values())

    def line(self, ident: str) -> Addr:
        """The address a line's keepalives come from (KeyError before its first)."""
        return self.lines[ident]

    async def wait_for(self, predicate: Callable[[SmsServer], bool], timeout: float = 5.0) -> None:
        """Wait (real time) until `predicate(server)` holds."""

        async def loop() -> None:
            while not predicate(self):
                self._arrived.clear()
                await self._arrived.wait()

        await asyncio.wait_for(loop(), timeout)

    # --- the queue, datagram by datagram ---------------------------------------------------

    async def recv(self, timeout: float = 5.0) -> tuple[bytes, Addr]:
        """The next datagram not taken from the queue yet."""
        return await asyncio.wait_for(self.inbox.get(), timeout)

    async def recv_all(self, count: int, timeout: float = 5.0) -> list[tuple[bytes, Addr]]:
        return [await self.recv(timeout) for _ in range(count)]

    async def keepalives(self, count: int, timeout: float = 5.0) -> list[tuple[bytes, Addr]]:
        """The next `count` keepalives of the queue; pushes between them go to `skipped`."""
        found: list[tuple[bytes, Addr]] = []
        while len(found) < count:
            data, addr = await self.recv(timeout)
            if data.startswith(b"req:"):
                found.append((data, addr))
            else:
                self.skipped.append(data)
        return found

    async def quiet(self, seconds: float = 0.2) -> list[tuple[bytes, Addr]]:
        """Whatever reaches the queue within `seconds` of real time."""
        await asyncio.sleep(seconds)
        found = []
        while not self.inbox.empty():
            found.append(self.inbox.get_nowait())
        return found

    async def ask(self, data: bytes, addr: Addr, timeout: float = 5.0) -> bytes:
        """Send a request to a line and return its answer: the next datagram of the queue
        that is no keepalive or push (those go to `skipped`)."""
        self.send(data, addr)
        while True:
            answer, _ = await self.recv(timeout)
            if not answer.startswith(UNASKED):
                return answer
            self.skipped.append(answer)

    # --- driving a line ----------------------------------------------------------------------

    async def request(
        self, to: Addr | str, text: str, expect: Iterable[str], timeout: float = 5.0
    ) -> str:
        """Send `text` to a line (an address or a client id) and wait for the first answer
        from it since then that starts with one of `expect`; that answer, line end dropped."""
        addr = self._addr(to)
        prefixes = tuple(expect)
        start = len(self.received)
        self.send(text.encode(), addr)
        found: list[str] = []

        def answered(_: SmsServer) -> bool:
            for gram in self.received[start:]:
                if gram.addr == addr and gram.text.startswith(prefixes):
                    found.append(gram.text.rstrip("\r\n"))
                    return True
            return False

        await self.wait_for(answered, timeout)
        return found[0]

    def _addr(self, to: Addr | str) -> Addr:
        return self.lines[to] if isinstance(to, str) else to

    async def send_sms(
        self,
        to: Addr | str,
        numbers: str | Iterable[str],
        text: str,
        password: str = "goip",
        sendid: int | None = None,
        timeout: float = 5.0,
    ) -> BulkSend:
        """A bulk send on one line ([S1] 3): `MSG <s> <len> <text>`, `PASSWORD <s> <pw>`,
        then `SEND <s> <t> <number>` per number (telid from 1), each answered `WAIT`.
        Returns once every number waits; its OK/ERROR come later, unasked (`wait`).
        BulkError when the line refuses a step (BUSY, PASSWORD, GSM_LOGOUT...)."""
        addr = self._addr(to)
        s = next(self._sendids) if sendid is None else sendid
        wanted = [numbers] if isinstance(numbers, str) else list(numbers)
        bulk = BulkSend(self, addr, s, dict(enumerate(wanted, start=1)))
        self._sessions[s] = bulk
        length = len(text.encode())
        steps = [
            (f"MSG {s} {length} {text}\n", f"PASSWORD {s}"),
            (f"PASSWORD {s} {password}\n", f"SEND {s}"),
        ]
        for ask, want in steps:
            answer = await self.request(addr, ask, (want, f"ERROR {s} "), timeout)
            if answer != want:
                raise BulkError(answer)
        for telid, number in bulk.numbers.items():
            wait = f"WAIT {s} {telid}"
            answer = await self.request(
                addr, f"SEND {s} {telid} {number}\n", (wait, f"ERROR {s} "), timeout
            )
            if answer != wait:
                if answer.startswith(f"ERROR {s} {telid} "):
                    continue  # the number's own result (recorded as it came)
                raise BulkError(answer)
        return bulk


class SyncBulkSend:
    """A `BulkSend` read from a blocking test."""

    def __init__(self, bulk: BulkSend, owner: SyncSmsServer) -> None:
        self._bulk = bulk
        self._owner = owner

    @property
    def sendid(self) -> int:
        return self._bulk.sendid

    @property
    def results(self) -> dict[int, SendResult]:
        return dict(self._bulk.results)

    def wait(self, timeout: float = 5.0) -> dict[int, SendResult]:
        return self._owner._run(self._bulk.wait(timeout))

    def done(self, timeout: float = 5.0) -> None:
        self._owner._run(self._bulk.done(timeout))


class SyncSmsServer:
    """An `SmsServer` on a thread and event loop of its own, driven by plain calls.

    with SyncSmsServer() as server, SyncEmulator("dbl-goip8", sms_server=server.address) as gw:
        gw.advance(1)
        gw.inject_sms("1", "+15550001", "hi")
        server.wait_for(lambda s: s.sms())
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **options: Any) -> None:
        self._host, self._port, self._options = host, port, options
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: SmsServer | None = None

    def start(self) -> SyncSmsServer:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="sms-server", daemon=True)
        self._thread.start()
        self._server = self._run(self._open())
        return self

    async def _open(self) -> SmsServer:
        return await SmsServer(self._host, self._port, **self._options).__aenter__()

    def stop(self) -> None:
        if self._loop is None:
            return
        if self._server is not None:
            self._run(self._server.__aexit__())
            self._server = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None
        self._thread.join(10)
        self._loop.close()
        self._loop = None

    def __enter__(self) -> SyncSmsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        assert self._loop is not None, "start the SyncSmsServer first"
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    @property
    def server(self) -> SmsServer:
        if self._server is None:
            raise RuntimeError("start the SyncSmsServer first (or use it in a `with` block)")
        return self._server

    @property
    def address(self) -> str:
        return self.server.address

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def received(self) -> list[Datagram]:
        return list(self.server.received)

    @property
    def lines(self) -> dict[str, Addr]:
        return dict(self.server.lines)

    @property
    def ack(self) -> bool:
        return self.server.ack

    @ack.setter
    def ack(self, value: bool) -> None:
        self.server.ack = value

    @property
    def login(self) -> bool:
        return self.server.login

    @login.setter
    def login(self, value: bool) -> None:
        self.server.login = value

    def of_type(self, keyword: str) -> list[Datagram]:
        return self.server.of_type(keyword)

    def sms(self) -> list[InboundSms]:
        return self.server.sms()

    def line(self, ident: str) -> Addr:
        return self.server.line(ident)

    def send(self, data: bytes, addr: Addr) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self.server.send, data, addr)

    def wait_for(self, predicate: Callable[[SyncSmsServer], bool], timeout: float = 5.0) -> None:
        """Wait (real time) until `predicate(server)` holds."""
        self._run(self.server.wait_for(lambda _: predicate(self), timeout))

    def request(
        self, to: Addr | str, text: str, expect: Iterable[str], timeout: float = 5.0
    ) -> str:
        return self._run(self.server.request(to, text, tuple(expect), timeout))

    def send_sms(
        self,
        to: Addr | str,
        numbers: str | Iterable[str],
        text: str,
        password: str = "goip",
        sendid: int | None = None,
        timeout: float = 5.0,
    ) -> SyncBulkSend:
        wanted = numbers if isinstance(numbers, str) else list(numbers)
        bulk = self._run(self.server.send_sms(to, wanted, text, password, sendid, timeout))
        return SyncBulkSend(bulk, self)
