"""CLI verbs against a real emulator process."""

import asyncio
import json
import sys

import pytest


async def verb(*args):
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "emulator",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()


async def test_advance_sim_state_and_journal(serve):
    served = await serve("--clock", "virtual")
    url = ["--url", served.url]
    code, out, _ = await verb("advance", "10", *url)
    assert code == 0 and "2026-01-01T00:00:10" in out
    code, out, _ = await verb("sim", "3.01", "block", *url)
    assert code == 0 and out.startswith("3.01: ")
    code, out, _ = await verb("state", *url)
    assert code == 0
    row3 = next(line for line in out.splitlines() if line.strip().startswith("3 "))
    assert "3.02" in row3  # auto switch moved port 3 to slot B
    code, out, _ = await verb("state", "--json", *url)
    assert json.loads(out)["ports"][2]["current"] == "3.02"
    code, out, _ = await verb("journal", "--kind", "control", *url)
    assert code == 0 and "sims/3.01" in out
    code, out, _ = await verb("journal", "--kind", "control", "--json", *url)
    entries = [json.loads(line) for line in out.splitlines()]
    assert [e["type"] for e in entries] == ["clock/advance", "sims/3.01"]  # reads are not journaled


async def test_refusals_and_unreachable_have_distinct_exit_codes(serve):
    served = await serve("--clock", "virtual")
    code, _, err = await verb("sim", "3.01", "melt", "--url", served.url)
    assert code == 1 and "event: 'melt' is not one of" in err
    code, _, err = await verb("state", "--url", "http://127.0.0.1:9")
    assert code == 3 and "nothing answers at http://127.0.0.1:9" in err


async def test_journal_follow_prints_new_entries(serve):
    served = await serve("--clock", "virtual")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "emulator",
        "journal",
        "--follow",
        "--kind",
        "control",
        "--url",
        served.url,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        await verb("sim", "2.02", "block", "--url", served.url)
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        assert "sims/2.02" in line
    finally:
        proc.terminate()
        await proc.wait()


@pytest.mark.parametrize("argv", [["advance"], ["sim", "3.01"]])
async def test_bad_arguments_exit_2(argv):
    code, _, err = await verb(*argv)
    assert code == 2 and "usage" in err


def test_sim_help_lists_the_events():
    import subprocess

    from emulator.core.sim import SIM_EVENTS

    result = subprocess.run(
        [sys.executable, "-m", "emulator", "sim", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    helptext = " ".join(result.stdout.split())  # argparse wraps lines
    for event in SIM_EVENTS:
        assert event in helptext


async def test_inject_sms_exits_1_when_the_sms_is_refused(serve, receiver):
    served = await serve("--clock", "virtual")
    url = ["--url", served.url]
    await verb("advance", "10", *url)
    code, out, _ = await verb("inject-sms", "2A", "+15550001", "hello", *url)
    assert code == 0 and json.loads(out)["outcome"] == "received"
    await verb("sim", "1A", "remove", *url)
    code, out, err = await verb("inject-sms", "1A", "+15550001", "hello", *url)
    assert code == 1 and out == ""
    assert "refused" in err and "no SIM" in err


async def test_reset_verb_restores_the_profile(serve):
    served = await serve("--clock", "virtual")
    url = ["--url", served.url]
    await verb("sim", "3A", "block", *url)
    code, out, _ = await verb("state", "--json", *url)
    assert json.loads(out)["ports"][2]["slots"][0]["sim"]["blocked"] is True
    code, out, _ = await verb("reset", *url)
    assert code == 0
    code, out, _ = await verb("state", "--json", *url)
    assert json.loads(out)["ports"][2]["slots"][0]["sim"]["blocked"] is False


async def test_fault_verbs_add_list_and_clear(serve):
    import aiohttp

    served = await serve("--clock", "virtual")
    url = ["--url", served.url]
    code, out, _ = await verb(
        "fault", "error", "--status", "503", "--endpoint", "goip_get_status", "--count", "1", *url
    )
    assert code == 0 and out.startswith("#1 error 503 on goip_get_status")
    status_url = f"{served.url}/goip_get_status.html?username=root&password=root"
    async with aiohttp.ClientSession() as http:
        async with http.get(status_url) as resp:
            assert resp.status == 503
        async with http.get(status_url) as resp:
            assert resp.status == 200  # count 1: spent
    code, out, _ = await verb("faults", *url)
    assert code == 0 and "1 hit(s), spent" in out
    code, _, err = await verb("fault", "delay", *url)
    assert code == 1 and "delay_ms" in err
    code, out, _ = await verb("faults", "--clear", *url)
    assert code == 0 and out.strip() == "1 fault(s) cleared"
    code, out, _ = await verb("faults", *url)
    assert out == ""


async def test_calls_verb_puts_the_port_in_a_call(serve):
    served = await serve("--clock", "virtual")
    url = ["--url", served.url]
    await verb("advance", "10", *url)
    code, out, _ = await verb(
        "calls", "3", "--count", "2", "--pdd", "1", "--ring", "1", "--talk", "30-40",
        "--answer-ratio", "1", *url
    )  # fmt: skip
    assert code == 0 and out.strip() == "port 3: 2 call(s) placed"
    await verb("advance", "5", *url)
    code, out, _ = await verb("state", "--json", *url)
    assert json.loads(out)["ports"][2]["slots"][0]["status"] == "4 In Call"
    code, _, err = await verb("calls", "3", "--talk", "long", *url)
    assert code == 2 and "'long' is not N or MIN-MAX" in err


async def test_send_sms_verb_sends_through_the_device_api(serve, receiver):
    served = await serve("--clock", "virtual")
    url = ["--url", served.url]
    await verb("advance", "10", *url)
    sent = ("send-sms", "13686876620", "hello", "--tid", "5", "--sr-url", receiver.url)
    code, out, _ = await verb(*sent, *url)
    assert code == 0 and out.strip() == "tid 5: 0 OK"
    code, _, err = await verb(*sent, *url)
    assert code == 1 and "13 Duplicated TaskId" in err
    code, _, err = await verb("send-sms", "1555", "x", "--password", "wrong", *url)
    assert code == 1 and "Invalid User" in err
    await verb("advance", "60", *url)
    [report] = [r for doc in receiver.of_type("status-report") for r in doc["rpts"]]
    assert report["tid"] == 5 and report["sent"] == 1
