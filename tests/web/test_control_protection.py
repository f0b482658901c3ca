"""The control API's protection: the dashboard's files need the token like the rest
of /_emulator/, and serving beyond loopback without a token is warned about."""

import re

import pytest
from conftest import small

from emulator.cli import _is_loopback

TOKEN = "s3cret&<x>"  # characters a URL and HTML must both survive


@pytest.fixture
async def guarded(gateway_factory):
    return await gateway_factory(small(device={"control_token": TOKEN}))


@pytest.mark.parametrize("name", ["ui.js", "ui.css"])
async def test_ui_files_are_refused_without_the_token(guarded, name):
    resp = await guarded.client.get(f"/_emulator/ui/{name}")
    assert resp.status == 401
    resp = await guarded.client.get(f"/_emulator/ui/{name}", params={"token": "wrong"})
    assert resp.status == 401
    resp = await guarded.client.get(f"/_emulator/ui/{name}", headers={"X-Emulator-Token": TOKEN})
    assert resp.status == 200 and len(await resp.read()) > 100


async def test_the_page_hands_its_token_to_its_own_files(guarded):
    assert (await guarded.client.get("/_emulator/ui")).status == 401
    resp = await guarded.client.get("/_emulator/ui", params={"token": TOKEN})
    assert resp.status == 200
    page = await resp.text()
    assets = re.findall(r'(?:src|href)="(ui/[^"]+)"', page)
    assert len(assets) == 3 and all("?token=" in url for url in assets)
    for url in assets:  # as the browser resolves them against /_emulator/ui
        resp = await guarded.client.get(f"/_emulator/{url}")
        assert resp.status == 200, url
        assert resp.content_type in ("application/javascript", "text/css", "image/svg+xml")


async def test_without_a_token_the_page_and_files_are_open(gateway):
    page = await (await gateway.client.get("/_emulator/ui")).text()
    assert re.findall(r'(?:src|href)="(ui/[^"]+)"', page) == [
        "ui/favicon.svg",
        "ui/ui.css",
        "ui/ui.js",
    ]
    assert (await gateway.client.get("/_emulator/ui/ui.js")).status == 200


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("gateway.example", False),  # a name may resolve anywhere
    ],
)
def test_serve_warns_for_every_address_but_loopback(host, loopback):
    # What `serve` checks before warning "control_api_unprotected" (it cannot be
    # run on a non-loopback address in a test).
    assert _is_loopback(host) is loopback
