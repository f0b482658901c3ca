"""Port names and port lists: the one parser and the one formatter.

Output follows the profile's `quirks.port_format`: `letter` ("1A"), `dotted`
("1.01") or a template such as "{port}.sp256.{slot:02d}" for SIM-bank models.
Input accepts every form whatever the output setting, case-insensitively
(INTERPRETATION.md, "Names and numbering").
"""

from __future__ import annotations

import re
import string

from emulator.core.ports import LETTERS, PortListError, PortRef

__all__ = ["LETTERS", "PortListError", "PortNames", "PortRef"]


_LETTER = re.compile(r"([0-9]{1,9})([A-Za-z])")
_DOTTED = re.compile(r"([0-9]{1,9})\.([0-9]{1,9})")
_PORT = re.compile(r"[0-9]{1,9}")
_RANGE = re.compile(r"([0-9]{1,9})\s*-\s*([0-9]{1,9})")


def _template_regex(template: str) -> re.Pattern[str]:
    pattern = []
    for literal, field, _spec, _conv in string.Formatter().parse(template):
        pattern.append(re.escape(literal))
        if field is None:
            continue
        if field in ("port", "slot", "device", "index"):
            pattern.append(f"(?P<{field}>[0-9]{{1,9}})")
        elif field == "letter":
            pattern.append("(?P<letter>[A-Za-z])")
        else:
            pattern.append(".*?")
    return re.compile("".join(pattern), re.IGNORECASE)


_PORTS_OF_HELD = 1024


class PortNames:
    """Formats and parses the port names of one device size and one output format."""

    def __init__(self, ports: int, slots: int, port_format: str = "dotted") -> None:
        self.ports = ports
        self.slots = slots
        self.port_format = port_format
        self._template = (
            None if port_format in ("letter", "dotted") else _template_regex(port_format)
        )
        self._ports_of: dict[str, tuple[int, ...]] = {}

    # -- output ---------------------------------------------------------------

    def format(self, port: int, slot: int) -> str:
        """The wire name of `port` with `slot`, e.g. "1A", "1.01"."""
        if self.port_format == "letter":
            return f"{port}{LETTERS[slot - 1]}"
        if self.port_format == "dotted":
            return f"{port}.{slot:02d}"
        return self.port_format.format(port=port, slot=slot, letter=LETTERS[slot - 1])

    # -- input ----------------------------------------------------------------

    def parse_name(self, text: str) -> PortRef:
        """One port ("4") or port-and-slot ("2B", "2.02", a template name)."""
        item = text.strip()
        if m := _PORT.fullmatch(item):
            return PortRef(self._port(int(item), text))
        if m := _LETTER.fullmatch(item):
            return PortRef(
                self._port(int(m[1]), text), self._slot(LETTERS.index(m[2].upper()) + 1, text)
            )
        if m := _DOTTED.fullmatch(item):
            return PortRef(self._port(int(m[1]), text), self._slot(int(m[2]), text))
        if self._template is not None and (m := self._template.fullmatch(item)):
            groups = m.groupdict()
            slot = (
                int(groups["slot"])
                if groups.get("slot")
                else LETTERS.index(groups["letter"].upper()) + 1
                if groups.get("letter")
                else None
            )
            port = self._port(int(groups["port"]), text)
            return PortRef(port, None if slot is None else self._slot(slot, text))
        raise PortListError(
            f"{text!r} is not a port (4), a port and slot (2B or 2.02) or a range (4-32)"
        )

    def ports_of(self, text: str) -> tuple[int, ...]:
        """The port numbers a list names, in order, each once (a task's `from`).

        Remembered per text: a platform names the same few ports in every task, and this
        is on the path of every goip_post_sms (bench P1). A list that does not parse is
        not remembered; the memory is bounded.
        """
        found = self._ports_of.get(text)
        if found is None:
            found = tuple(dict.fromkeys(ref.port for ref in self.parse_list(text)))
            if len(self._ports_of) >= _PORTS_OF_HELD:
                self._ports_of.clear()
            self._ports_of[text] = found
        return found

    def parse_list(self, text: str) -> list[PortRef]:
        """A comma-separated list of ports, port-and-slots and ranges; 'all' and '*' too.

        Items keep their order; a port named twice is listed once.
        """
        if not isinstance(text, str):
            raise PortListError(f"a port list is text like '1A, 2B, 4-32', not {text!r}")
        items = [part.strip() for part in text.split(",")]
        if not any(items):
            raise PortListError("the port list is empty")
        refs: list[PortRef] = []
        for item in items:
            if not item:
                continue
            if item.lower() in ("all", "*"):
                refs.extend(PortRef(p) for p in range(1, self.ports + 1))
            elif m := _RANGE.fullmatch(item):
                low, high = self._port(int(m[1]), item), self._port(int(m[2]), item)
                if high < low:
                    raise PortListError(f"range {item!r} runs backwards")
                refs.extend(PortRef(p) for p in range(low, high + 1))
            else:
                refs.append(self.parse_name(item))
        return list(dict.fromkeys(refs))

    def parse_numbers(self, text: str, limit: int, what: str) -> list[int]:
        """Numbers and ranges ("1-3, 4", "all") for the statistics' ports and slots."""
        if text.strip().lower() in ("all", "*"):
            return list(range(1, limit + 1))
        numbers: list[int] = []
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            if m := _RANGE.fullmatch(item):
                low, high = int(m[1]), int(m[2])
            elif _PORT.fullmatch(item):
                low = high = int(item)
            else:
                raise PortListError(f"{item!r} is not a {what} number or range like 1-3")
            for n in (low, high):
                if not 1 <= n <= limit:
                    raise PortListError(f"{what} {n} is outside 1-{limit}")
            if high < low:
                raise PortListError(f"range {item!r} runs backwards")
            numbers.extend(range(low, high + 1))
        if not numbers:
            raise PortListError(f"the {what} list is empty")
        return list(dict.fromkeys(numbers))

    def _port(self, port: int, item: str) -> int:
        if not 1 <= port <= self.ports:
            raise PortListError(f"{item!r}: port {port} is outside 1-{self.ports}")
        return port

    def _slot(self, slot: int, item: str) -> int:
        if not 1 <= slot <= self.slots:
            last = LETTERS[self.slots - 1]
            raise PortListError(f"{item!r}: slot {slot} is outside A-{last} (1-{self.slots})")
        return slot
