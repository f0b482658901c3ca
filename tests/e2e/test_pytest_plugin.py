"""The pytest plugin as users write tests: the README's example and the sync, factory and
marker fixtures, run by a pytest of their own (a subprocess on a project in tmp_path with
its own ini) under pytest-asyncio strict mode, auto mode, and pytest-aiohttp."""

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

README = Path(__file__).parents[2] / "README.md"


def readme_examples() -> list[str]:
    """The Python blocks of the README's "From Python tests" section."""
    section = README.read_text().split("## From Python tests", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) >= 2, "the README lost its pytest examples"
    assert blocks[0].startswith("async def test_")  # the first one shows the async fixtures
    assert all(len(b.strip().splitlines()) < 20 for b in blocks)  # examples, not programs
    return blocks


USER_TESTS = """
import pytest
import requests


def test_requests_against_the_sync_fixture(goip_emulator_sync, goip_receiver_sync):
    gw = goip_emulator_sync
    gw.advance(10)
    answer = requests.post(
        f"{gw.url}/goip_post_sms.html",
        params=gw.credentials,
        json={
            "type": "send-sms",
            "sr_url": goip_receiver_sync.url,
            "sr_cnt": 1,
            "tasks": [{"tid": 7, "to": "13686876620", "sms": "hi"}],
        },
        timeout=10,
    ).json()
    assert answer["status"] == [{"tid": 7, "status": "0 OK"}]
    gw.advance(60)
    [report] = goip_receiver_sync.of_type("status-report")
    assert report["rpts"][0]["tid"] == 7 and report["rpts"][0]["sent"] == 1
    gw.sim_event("3A", "block")  # logs at info: the fixture keeps it quiet
    assert [e["type"] for e in gw.journal(kind="control")][-1] == "sims/3A"


@pytest.mark.asyncio
async def test_blocking_client_inside_an_async_test(goip_emulator_sync):
    answer = requests.get(
        f"{goip_emulator_sync.url}/goip_get_status.html",
        params=goip_emulator_sync.credentials,
        timeout=10,
    )
    assert answer.json()["type"] == "dev-status"


@pytest.mark.goip("goip8", seed=3)
def test_marker_sets_the_profile_and_seed(goip_emulator_sync):
    state = goip_emulator_sync.state()
    assert len(state["ports"]) == 8 and state["device"]["max_slots"] == 1


@pytest.mark.goip(clock="real")
async def test_marker_sets_the_clock_of_the_async_fixture(goip_emulator):
    assert (await goip_emulator.state())["clock"]["kind"] == "real"


async def test_factory_makes_emulators_on_request(goip_emulator_factory):
    small = await goip_emulator_factory("goip8", seed=5)
    real = await goip_emulator_factory(clock="real")
    assert len((await small.state())["ports"]) == 8
    assert (await real.state())["clock"]["kind"] == "real"


def test_sync_factory(goip_emulator_sync_factory):
    one = goip_emulator_sync_factory("goip8")
    two = goip_emulator_sync_factory("goip8")
    one.sim_event("1A", "remove")
    assert one.state()["ports"][0]["slots"][0]["st"] == 0
    assert two.state()["ports"][0]["slots"][0]["st"] != 0
"""

MODES = {
    # ini lines, extra command-line options
    "asyncio-strict": ("asyncio_mode = strict", ["-p", "no:aiohttp"]),
    "asyncio-auto": ("asyncio_mode = auto", ["-p", "no:aiohttp"]),
    "pytest-aiohttp": ("", []),  # its default: pytest-asyncio's strict mode underneath
}


def run_user_project(tmp_path: Path, ini: str, *options: str) -> subprocess.CompletedProcess:
    (tmp_path / "pytest.ini").write_text(f"[pytest]\n{ini}\n")
    for index, block in enumerate(readme_examples()):
        (tmp_path / f"test_readme_{index}.py").write_text(block)
    (tmp_path / "test_user.py").write_text(USER_TESTS)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-s", *options],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("mode", MODES)
def test_readme_example_and_fixtures_in_each_mode(tmp_path, mode):
    ini, options = MODES[mode]
    result = run_user_project(tmp_path, ini, *options)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    tests = USER_TESTS.count("\ndef test_") + USER_TESTS.count("\nasync def test_")
    tests += sum(len(re.findall(r"^(?:async )?def test_", b, re.M)) for b in readme_examples())
    assert tests == 9  # the README's three examples (one a DBL GoIP) and the user tests
    assert re.search(rf"\b{tests} passed\b", out), out[-4000:]
    assert "sim_event" not in out  # -s shows what is logged: info stays quiet


def test_log_level_option_shows_the_emulators_logs(tmp_path):
    ini, options = MODES["asyncio-auto"]
    result = run_user_project(
        tmp_path, ini, *options, "--goip-log-level", "info", "-k", "requests_against"
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert "sim_event" in result.stderr


def test_strict_mode_leaves_tests_of_other_runners_alone(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\nasyncio_mode = strict\n")
    (tmp_path / "test_other.py").write_text(
        textwrap.dedent(
            """
            async def test_not_ours():
                pass
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:aiohttp"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # An async test without goip fixtures is not marked: pytest says it has no runner.
    assert result.returncode != 0
    assert "async def functions are not natively supported" in result.stdout
