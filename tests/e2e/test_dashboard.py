"""The dashboard in a real headless Chromium, against a real emulator process.

Needs Debian's chromium and chromium-driver (`.ci/run` installs them); skipped with
a message saying so where they are missing.
"""

import shutil
import time

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="no browser: apt-get install chromium chromium-driver (as .ci/run does)",
)


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,800",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    yield driver
    driver.quit()


def wait_for(predicate, timeout=15.0):
    """Poll `predicate`; the page re-renders while we look, so a stale element means: again."""
    from selenium.common.exceptions import StaleElementReferenceException

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except StaleElementReferenceException:
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


async def test_grid_block_from_the_form_and_the_stream(serve, browser, tmp_path):
    import asyncio

    from selenium.webdriver.common.by import By

    served = await serve("--clock", "virtual")
    loop = asyncio.get_running_loop()

    def drive():
        browser.get(f"{served.url}/_emulator/ui")
        wait_for(lambda: len(browser.find_elements(By.CSS_SELECTOR, ".port")) == 32)
        assert len(browser.find_elements(By.CSS_SELECTOR, ".slot")) == 128
        current = browser.find_elements(By.CSS_SELECTOR, ".slot.current")
        assert len(current) == 32
        # advance the virtual clock from the page: every SIM registers
        browser.find_element(By.ID, "advance-seconds").clear()
        browser.find_element(By.ID, "advance-seconds").send_keys("20")
        browser.find_element(By.ID, "advance-button").click()
        wait_for(
            lambda: (
                browser.find_element(By.CSS_SELECTOR, '.slot[data-slot="7.01"]').get_attribute(
                    "data-st"
                )
                == "3"
            )
        )
        # block 7A from the SIM form and watch its cell change
        browser.find_element(By.CSS_SELECTOR, '.slot[data-slot="7.01"]').click()
        assert browser.find_element(By.ID, "sim-slot").get_attribute("value") == "7.01"
        browser.find_element(By.ID, "sim-submit").click()
        wait_for(
            lambda: (
                browser.find_element(By.CSS_SELECTOR, '.slot[data-slot="7.01"]').get_attribute(
                    "data-st"
                )
                in ("8", "1")
            )
        )
        wait_for(
            lambda: any(
                "sims/7.01" in li.text
                for li in browser.find_elements(By.CSS_SELECTOR, "#stream li")
            )
        )
        # inject a received SMS from the form and watch it in the stream
        browser.find_element(By.ID, "sms-port").clear()
        browser.find_element(By.ID, "sms-port").send_keys("2.01")
        browser.find_element(By.ID, "sms-submit").click()
        wait_for(
            lambda: any(
                li.get_attribute("data-type") == "sms"
                for li in browser.find_elements(By.CSS_SELECTOR, "#stream li")
            )
        )
        wait_for(lambda: "SMS injected" in browser.find_element(By.ID, "message").text)
        browser.save_screenshot(str(tmp_path / "dashboard.png"))

    await loop.run_in_executor(None, drive)


async def test_phone_width_has_no_horizontal_scroll(serve, browser):
    import asyncio

    served = await serve("--clock", "virtual")

    def drive():
        browser.set_window_size(390, 844)
        browser.get(f"{served.url}/_emulator/ui")
        wait_for(
            lambda: browser.execute_script("return document.querySelectorAll('.port').length") == 32
        )
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390 + 1

    await asyncio.get_running_loop().run_in_executor(None, drive)


async def test_control_token_applies_to_the_dashboard(serve, browser, tmp_path):
    import asyncio

    profile = tmp_path / "token.yaml"
    profile.write_text("device:\n  control_token: s3cret\n")
    served = await serve("--clock", "virtual", "--profile", str(profile))

    def drive():
        from selenium.webdriver.common.by import By

        browser.get(f"{served.url}/_emulator/ui")
        assert "token" in browser.page_source
        browser.get(f"{served.url}/_emulator/ui?token=s3cret")
        wait_for(lambda: len(browser.find_elements(By.CSS_SELECTOR, ".port")) == 32)

    await asyncio.get_running_loop().run_in_executor(None, drive)


async def test_tasks_are_listed_and_can_be_paused(serve, browser):
    import asyncio

    import aiohttp
    from selenium.webdriver.common.by import By

    served = await serve("--clock", "virtual")
    async with aiohttp.ClientSession() as http:
        await http.post(f"{served.url}/_emulator/clock/advance", json={"seconds": 10})
        await http.post(
            f"{served.url}/goip_post_sms.html",
            params={"username": "root", "password": "root"},
            json={
                "type": "send-sms",
                "tasks": [{"tid": 77, "to": "1,2,3,4,5", "sms": "x", "from": "1"}],
            },
        )

    def drive():
        browser.get(f"{served.url}/_emulator/ui")
        wait_for(lambda: "77" in browser.find_element(By.ID, "tasks").text)

        def click_pause():
            button = browser.find_element(By.CSS_SELECTOR, "#tasks button")
            assert button.text == "Pause"
            button.click()
            return True

        wait_for(click_pause)
        wait_for(lambda: "paused" in browser.find_element(By.ID, "tasks").text)

    await asyncio.get_running_loop().run_in_executor(None, drive)


async def test_dbl_lines_are_shown_with_login_pending_pushes_and_sessions(serve, browser):
    import asyncio

    from selenium.webdriver.common.by import By

    from emulator.testing import SmsServer

    async with SmsServer() as server:
        served = await serve(
            "--profile", "dbl-goip8", "--clock", "virtual",
            "--sms-server", server.address, "--sms-local-port", "0",
        )  # fmt: skip
        async with aiohttp_session() as http:
            await http.post(f"{served.url}/_emulator/clock/advance", json={"seconds": 1})
            await server.wait_for(lambda s: len(s.lines) == 8)
            await asyncio.sleep(0.2)  # the acks reach the lines: SMS_LOGIN Y
            server.ack = False  # line 3's RECEIVE stays pending
            await http.post(
                f"{served.url}/_emulator/sms", json={"port": "3", "sender": "+1", "text": "x"}
            )
            await server.request("goip02", "MSG 7 2 hi\n", ["PASSWORD 7"])
            async with http.get(f"{served.url}/_emulator/state") as resp:
                lines = (await resp.json())["dbl"]

        def drive():
            browser.get(f"{served.url}/_emulator/ui")

            def cells(line):
                row = browser.find_element(By.CSS_SELECTOR, f'#dbl-lines tr[data-line="{line}"]')
                return [td.text for td in row.find_elements(By.TAG_NAME, "td")]

            wait_for(
                lambda: len(browser.find_elements(By.CSS_SELECTOR, "#dbl-lines tbody tr")) == 8
            )
            assert browser.find_element(By.ID, "dbl-panel").is_displayed()
            port = str(lines[0]["local_port"])
            wait_for(lambda: cells(1) == ["1", "goip01", port, server.address, "Y", "1", "0", "0"])
            wait_for(lambda: cells(3)[6].startswith("1: RECEIVE "))
            wait_for(lambda: cells(2)[7] == "1: 7 (no password): 0 number(s)")
            wait_for(
                lambda: any(
                    "udp" in li.text and "RECEIVE" in li.text
                    for li in browser.find_elements(By.CSS_SELECTOR, "#stream li")
                )
            )

        await asyncio.get_running_loop().run_in_executor(None, drive)


async def test_an_ejoin_port_shows_its_open_ussd_dialogue(serve, browser):
    import asyncio

    from selenium.webdriver.common.by import By

    served = await serve("--clock", "virtual")
    async with aiohttp_session() as http:
        await http.post(f"{served.url}/_emulator/clock/advance", json={"seconds": 30})
        query = "username=root&password=root&port=2&ussd=%2A123%23"
        async with http.get(f"{served.url}/goip_send_ussd.html?{query}") as resp:
            assert (await resp.json())["resp"].startswith("Top-up menu")

    def drive():
        browser.get(f"{served.url}/_emulator/ui")
        ussd = '.port[data-port="2"] .ussd'
        wait_for(lambda: browser.find_element(By.CSS_SELECTOR, ussd).is_displayed())
        assert browser.find_element(By.CSS_SELECTOR, ussd).text.startswith("USSD *123# open until")
        assert not browser.find_element(
            By.CSS_SELECTOR, '.port[data-port="1"] .ussd'
        ).is_displayed()
        assert not browser.find_element(By.ID, "dbl-panel").is_displayed()  # no DBL lines

    await asyncio.get_running_loop().run_in_executor(None, drive)


def aiohttp_session():
    import aiohttp

    return aiohttp.ClientSession()
