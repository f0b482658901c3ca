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
