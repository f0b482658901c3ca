"""The `dbl:` profile section and the bundled DBL GoIP profiles."""

from __future__ import annotations

import pytest

from emulator.config.profile import ProfileError, load_profile, parse_profile
from emulator.dbl.server import line_configs


@pytest.mark.parametrize("lines", [1, 4, 8, 16, 32])
def test_bundled_dbl_goips_are_lines_of_one_slot(lines):
    profile = load_profile(f"dbl-goip{lines}")
    assert profile.device.personality == "dbl"
    assert (profile.device.ports, profile.device.slots) == (lines, 1)
    assert profile.sending.latency == (2.0, 5.0) and profile.sending.failure_rate == 0
    configs = line_configs(profile.dbl, profile.device.ports)
    assert [c.ident for c in configs] == [f"goip{n:02d}" for n in range(1, lines + 1)]
    assert {c.server for c in configs} == {("127.0.0.1", 44444)}


def test_per_line_overrides_and_templates():
    profile = parse_profile(
        "device: {personality: dbl, ports: 3, slots: 1}\n"
        "dbl:\n"
        "  server: '[::1]:5000'\n"
        "  client_id: 'gw-{line}'\n"
        "  lines: {2: {client_id: special, client_password: pw2, num: '+1555'}}\n"
        "  quirks: {msg_length: ignore}\n"
    )
    configs = line_configs(profile.dbl, 3)
    assert [c.ident for c in configs] == ["gw-1", "special", "gw-3"]
    assert [c.client_password for c in configs] == ["goip", "pw2", "goip"]
    assert configs[1].num == "+1555" and configs[0].num == ""
    assert configs[0].server == ("::1", 5000) and configs[0].msg_length == "ignore"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("device: {personality: dbl, ports: 2, slots: 2}", "device.slots: a DBL GoIP line has one"),
        (
            "device: {personality: dbl, ports: 2, slots: 1}\ndbl: {lines: {3: {num: x}}}",
            "dbl.lines.3: no line 3",
        ),
        ("dbl: {server: nowhere}", "dbl.server: Value error, 'nowhere' is not HOST:PORT"),
        ("dbl: {client_id: '{port}'}", "dbl.client_id"),
        ("device: {personality: sip}", "device.personality"),
    ],
)
def test_bad_dbl_sections_name_the_field(text, problem):
    with pytest.raises(ProfileError) as caught:
        parse_profile(text, "p.yaml")
    assert any(problem in line for line in caught.value.problems), caught.value.problems
