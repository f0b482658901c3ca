"""The one port-name formatter and parser: every format reads back what it writes."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.config.ports import PortListError, PortNames, PortRef

FORMATS = ["letter", "dotted", "{port}.sp256.{slot:02d}", "P{port:03d}-{letter}"]


@st.composite
def device_and_ref(draw):
    ports = draw(st.integers(1, 512))
    slots = draw(st.integers(1, 26))
    fmt = draw(st.sampled_from(FORMATS))
    port = draw(st.integers(1, ports))
    slot = draw(st.integers(1, slots))
    return PortNames(ports, slots, fmt), port, slot


@given(device_and_ref())
def test_what_the_formatter_writes_the_parser_reads_back(case):
    names, port, slot = case
    written = names.format(port, slot)
    assert names.parse_name(written) == PortRef(port, slot)
    assert names.parse_name(written.lower()) == PortRef(port, slot)
    assert names.parse_list(f" {written} ,{port}") == [PortRef(port, slot), PortRef(port)]


@given(device_and_ref(), st.sampled_from(FORMATS))
def test_input_is_accepted_in_every_form_whatever_the_output(case, other):
    names, port, slot = case
    foreign = PortNames(names.ports, names.slots, other)
    if other.startswith("{port}.sp") or other.startswith("P"):
        return  # a template is only understood by a device configured with it
    assert names.parse_name(foreign.format(port, slot)) == PortRef(port, slot)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "1A, 2B, 3C, 4-6",
            [PortRef(1, 1), PortRef(2, 2), PortRef(3, 3), PortRef(4), PortRef(5), PortRef(6)],
        ),
        ("2.02", [PortRef(2, 2)]),
        ("ALL", [PortRef(p) for p in range(1, 9)]),
        ("*", [PortRef(p) for p in range(1, 9)]),
        ("1a,1A", [PortRef(1, 1)]),
    ],
)
def test_lists(text, expected):
    assert PortNames(8, 4).parse_list(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("9", "port 9 is outside 1-8"),
        ("1E", "slot 5 is outside A-D"),
        ("1.00", "slot 0 is outside"),
        ("6-2", "runs backwards"),
        ("1A,,x", "'x' is not a port"),
        ("", "empty"),
        (" , ", "empty"),
    ],
)
def test_bad_items_are_named(text, words):
    with pytest.raises(PortListError, match=words):
        PortNames(8, 4).parse_list(text)


@given(st.text(max_size=30))
def test_the_parser_never_raises_anything_but_port_list_error(text):
    try:
        PortNames(32, 4, "{port}.sp256.{slot:02d}").parse_list(text)
    except PortListError:
        pass


def test_ports_of_a_list_are_its_port_numbers_once_each_and_remembered() -> None:
    names = PortNames(8, 4, "dotted")
    assert names.ports_of("3B, 1, 3.01, 2-3") == (3, 1, 2)
    assert names.ports_of("3B, 1, 3.01, 2-3") is names.ports_of("3B, 1, 3.01, 2-3")
    for _ in range(2):  # a list that does not parse is refused each time, never remembered
        with pytest.raises(PortListError):
            names.ports_of("9")
