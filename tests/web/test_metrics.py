"""GET /_emulator/metrics in Prometheus text."""

from conftest import CREDS


async def test_metrics_count_requests_callbacks_and_states(gateway, receiver):
    await gateway.get("/goip_get_status.html", url=receiver.url, **CREDS)
    await gateway.get("/goip_get_status.html", username="root", password="x")
    await gateway.get("/goip_send_cmd.html", op="lock", ports="1", **CREDS)
    await gateway.advance(60)
    resp = await gateway.client.get("/_emulator/metrics")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/plain")
    text = await resp.text()
    assert 'goip_requests_total{endpoint="goip_get_status",status="200"} 2' in text
    assert 'goip_requests_total{endpoint="goip_send_cmd",status="200"} 1' in text
    assert 'goip_callbacks_total{type="port-status",outcome="delivered"} 1' in text
    assert 'goip_callbacks_total{type="dev-status",outcome="delivered"} 1' in text
    assert 'goip_port_state{state="3 OK"} 3' in text
    assert 'goip_port_state{state="12 Locked by User"} 1' in text
    assert "# TYPE goip_requests_total counter" in text
    # counts survive clearing the journal's entries
    await gateway.client.delete("/_emulator/journal")
    text = await (await gateway.client.get("/_emulator/metrics")).text()
    assert 'goip_requests_total{endpoint="goip_send_cmd",status="200"} 1' in text


async def test_the_journal_is_bounded_by_bytes_and_says_what_it_dropped(gateway_factory):
    from conftest import small

    gw = await gateway_factory(small(journal={"max_bytes": 4096}))
    await gw.advance(10)
    for _ in range(5):  # each answer is a dev-status document of about 1.5 KB
        status, _ = await gw.get("/goip_get_status.html", **CREDS)
        assert status == 200
    assert gw.dev.journal.bytes <= 4096
    _, doc = await gw.get("/_emulator/journal", kind="request")
    assert doc["evicted"] > 0
    assert all(e["answer"]["type"] == "dev-status" for e in doc["entries"])
    text = await (await gw.client.get("/_emulator/metrics")).text()
    assert f"goip_journal_bytes {gw.dev.journal.bytes}" in text
    assert f"goip_journal_evicted_total {doc['evicted']}" in text


async def test_a_callback_url_password_shows_in_no_state_and_no_metrics(gateway):
    url = "http://cb:s3cret@127.0.0.1:9/status"
    status, _ = await gateway.get("/goip_get_status.html", url=url, period=60, **CREDS)
    assert status == 200
    await gateway.advance(61)  # a push is attempted: the target shows in state and metrics
    state = await (await gateway.client.get("/_emulator/state")).text()
    metrics = await (await gateway.client.get("/_emulator/metrics")).text()
    journal = await (await gateway.client.get("/_emulator/journal")).text()
    for text in (state, metrics, journal):
        assert "s3cret" not in text
    assert "http://cb:***@127.0.0.1:9/status" in state
    assert 'target="http://cb:***@127.0.0.1:9/status"' in metrics
