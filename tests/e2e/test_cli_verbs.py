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
