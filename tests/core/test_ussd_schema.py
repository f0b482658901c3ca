"""The profile's `ussd:` section: validation that names fields, and the core trees it gives."""

from __future__ import annotations

import random

import pytest
import yaml
from pydantic import ValidationError

from emulator.clock import VirtualClock
from emulator.config.ussd import UssdSpec, to_config
from emulator.core.ussd import DEFAULT_TREE, UssdNetwork

CONTRACT_EXAMPLE = """
latency: 0
session_timeout: 30
failure_rate: 0.0
networks:
  default:
    unknown: "Unknown application"
    invalid: "Invalid choice."
    codes:
      "*100#": {text: "Your balance is {balance}."}
      "*101#": {text: "Your number is {number}."}
      "*123#":
        text: "Top-up menu\\n1. Add 10.00\\n2. Add 20.00\\n0. Exit"
        options:
          "1": {topup: 10, text: "Top-up of 10.00 done. New balance {balance}."}
          "2": {topup: 20, text: "Top-up of 20.00 done. New balance {balance}."}
          "0": {text: "Goodbye."}
"""


def spec(text: str) -> UssdSpec:
    return UssdSpec.model_validate(yaml.safe_load(text) or {})


def problems(text: str) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        spec(text)
    return [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in caught.value.errors()]


def test_the_contract_example_is_the_built_in_tree():
    config = to_config(spec(CONTRACT_EXAMPLE))
    assert config.networks["default"] == DEFAULT_TREE
    assert to_config(UssdSpec()).networks == {"default": DEFAULT_TREE}
    assert (config.latency, config.session_timeout, config.failure_rate) == ((0, 0), 30, 0)


def test_an_operator_tree_keeps_the_default_and_nests():
    config = to_config(
        spec(
            """
latency: [1, 3]
networks:
  "46001":
    codes:
      " *5# ":
        text: "a"
        options:
          "1": {text: "b", options: {"9": {text: "c {balance}", topup: 2.5}}}
"""
        )
    )
    assert config.latency == (1.0, 3.0)
    assert config.networks["default"] == DEFAULT_TREE
    node = config.networks["46001"].codes["*5#"].options["1"].options["9"]
    assert (node.text, node.topup) == ("c {balance}", 2.5)
    assert config.networks["46001"].unknown == "Unknown application"


def test_a_configured_tree_answers_through_the_network():
    config = to_config(
        spec('networks: {default: {unknown: "?", codes: {"*1#": {text: "n={number}"}}}}')
    )
    net = UssdNetwork(config, VirtualClock(0.0), random.Random(1))

    class Sim:
        state, balance, number, imsi, iccid, imei = 3, 1.0, "555", "", "", ""
        operator, port_name = "46001 X", "1"

        def topup(self, amount: float) -> None:
            raise AssertionError("no top-up here")

    assert net.send(1, Sim(), "*1#").answer.resp == "n=555"  # type: ignore[union-attr]
    assert net.send(1, Sim(), "*100#").answer.resp == "?"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("latency: [5, 2]", "latency", "min <= max"),
        ("latency: -1", "latency", "min <= max"),
        ("session_timeout: 0", "session_timeout", "greater than 0"),
        ("failure_rate: 1.5", "failure_rate", "less than or equal to 1"),
        ("sesion_timeout: 3", "sesion_timeout", "Extra inputs"),
        ("networks: {vodafone: {}}", "networks", "not an operator id"),
        (
            'networks: {default: {codes: {"100": {text: x}}}}',
            "networks.default.codes",
            "not a service code",
        ),
        (
            'networks: {default: {codes: {"*1#": {text: x, options: {"*2#": {text: y}}}}}}',
            "networks.default.codes.*1#.options",
            "a service code",
        ),
        (
            'networks: {default: {codes: {"*1#": {text: x, options: {" ": {text: y}}}}}}',
            "networks.default.codes.*1#.options",
            "empty reply",
        ),
        (
            'networks: {default: {codes: {"*1#": {text: x, options: '
            '{"1": {text: y}, " 1": {text: z}}}}}}',
            "networks.default.codes.*1#.options",
            "same reply",
        ),
        (
            'networks: {default: {codes: {"*1#": {text: x, options: {"1": {text: y, topup: 0}}}}}}',
            "networks.default.codes.*1#.options.1.topup",
            "greater than 0",
        ),
        (
            'networks: {default: {codes: {"*1#": {text: "{saldo}"}}}}',
            "networks.default.codes.*1#.text",
            "{saldo}",
        ),
        ('networks: {default: {invalid: "{bal}"}}', "networks.default.invalid", "{bal}"),
        (
            'networks: {default: {codes: {"*1#": {txt: a}}}}',
            "networks.default.codes.*1#.text",
            "Field required",
        ),
    ],
)
def test_errors_name_the_field(text: str, field: str, words: str):
    found = problems(text)
    assert any(loc == field and words in msg for loc, msg in found), found
