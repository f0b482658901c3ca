"""Which requests the front serves itself and which it passes on to aiohttp.

The differential test (tests/e2e/test_front.py) shows both ways answer alike; this
one pins down the rule, so the front does not quietly pass everything on."""

import pytest

from emulator.transport.front import _read_head

ENDPOINTS = {"/goip_get_status.html": "status", "/goip_post_sms.html": "post"}
GET = b"GET /goip_get_status.html?username=root&password=root HTTP/1.1"


def head(*lines: bytes) -> bytes:
    return b"\r\n".join(lines)


def read(raw: bytes):
    return _read_head(raw, ENDPOINTS, 1024)  # type: ignore[arg-type]


def test_a_plain_get_is_served_with_its_query():
    assert read(head(GET, b"Host: x")) == (
        "GET",
        "/goip_get_status.html",
        "username=root&password=root",
        0,
        False,
        "status",
    )


def test_a_post_with_its_length_and_the_usual_headers_is_served():
    raw = head(
        b"POST /goip_post_sms.html HTTP/1.1",
        b"host: x",
        b"User-Agent: platform/1.0",
        b"Content-Type: application/json",
        b"content-length:  42 ",
        b"Accept: */*",
    )
    assert read(raw) == ("POST", "/goip_post_sms.html", "", 42, False, "post")


def test_connection_close_is_honoured():
    assert read(head(GET, b"Host: x", b"Connection: keep-alive, Close"))[4] is True


@pytest.mark.parametrize(
    "raw",
    [
        head(b"HEAD /goip_get_status.html HTTP/1.1", b"Host: x"),
        head(b"PUT /goip_get_status.html HTTP/1.1", b"Host: x"),
        head(b"GET /goip_get_status.html HTTP/1.0", b"Host: x"),
        head(b"GET /_emulator/health HTTP/1.1", b"Host: x"),
        head(b"GET /goip%5Fget%5Fstatus.html HTTP/1.1", b"Host: x"),
        head(b"GET http://x/goip_get_status.html HTTP/1.1", b"Host: x"),
        head(b"GET /goip_get_status.html#top HTTP/1.1", b"Host: x"),
        head(b"GET  /goip_get_status.html HTTP/1.1", b"Host: x"),
        head(GET),
        head(GET, b"Host: x", b"Host: y"),
        head(GET, b"Host: x", b"Transfer-Encoding: chunked"),
        head(GET, b"Host: x", b"Content-Encoding: gzip"),
        head(GET, b"Host: x", b"Expect: 100-continue"),
        head(GET, b"Host: x", b"Connection: Upgrade", b"Upgrade: websocket"),
        head(GET, b"Host: x", b"Content-Length: 1", b"Content-Length: 1"),
        head(GET, b"Host: x", b"Content-Length: -1"),
        head(GET, b"Host: x", b"Content-Length: 2048"),
        head(GET, b"Host: x", b"Bad Header: 1"),
        head(GET, b"Host: x", b" folded"),
        head(GET, b"Host: x", b"X-Odd: \x01"),
        head(GET, b"Host: x", "X-Name: é".encode()),
        head(GET, b"Host: x\nX-Bare: lf"),
        head(GET, b"Host: x\rX-Bare: cr"),
        head(GET, b"Host: x", *[b"X-N: 1"] * 100),
    ],
)
def test_anything_else_goes_to_aiohttp(raw):
    assert read(raw) is None


def test_an_empty_content_length_is_no_length():
    assert read(head(GET, b"Host: x", b"Content-Length: "))[3] == 0


@pytest.mark.parametrize(
    ("line", "refused"),
    [
        (b"GET /goip_get_status.html HTTP/1.1", False),
        (b"GET /goip_get_status.html HTTP/1.0", False),
        (b"GET /goip_get_status.html HTTP/2.0", True),
        (b"GET /goip_get_status.html", True),
        (b"GET /goip_get_status.html http/1.1", True),
    ],
)
def test_a_request_line_must_name_http_1x(line, refused):
    from emulator.transport.front import _refusal

    assert (_refusal(head(line, b"Host: x")) is not None) is refused


@pytest.mark.parametrize(
    ("partial", "hopeless"),
    [
        (GET + b"\r\nHost: x\r\n", False),
        (GET + b"\r", False),
        (b"POS", False),
        (GET + b"\nHost: x", True),
        (GET + b"\rHost: x", True),
        (b"\x16\x03\x01\x02\x00", True),
        (b"\r\nGET /", True),
        (GET + b"\r\nX: \x7f", True),
    ],
)
def test_a_head_still_arriving_is_passed_on_as_soon_as_it_cannot_be_served(partial, hopeless):
    from emulator.transport.front import _hopeless

    assert _hopeless(partial) is hopeless
