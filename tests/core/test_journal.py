"""The journal's bounds: by count and by bytes held, the oldest out first, all counted."""

from __future__ import annotations

from emulator.record.journal import Journal


def test_count_bound_drops_the_oldest_and_counts_them() -> None:
    journal = Journal(lambda: 0.0, max_entries=3)
    for i in range(5):
        journal.record("request", "goip_get_status", n=i)
    assert [e.data["n"] for e in journal.query()] == [2, 3, 4]
    assert journal.evicted == 2
    assert journal.last_id == 5


def test_byte_bound_drops_the_oldest_until_the_new_entry_fits() -> None:
    journal = Journal(lambda: 0.0, max_entries=100, max_bytes=1000)
    for i in range(4):
        journal.record("request", "goip_post_sms", body=b"x" * 300, n=i)
    assert [e.data["n"] for e in journal.query()] == [1, 2, 3]
    assert journal.bytes == 900 and journal.evicted == 1
    # One entry larger than the whole budget stays, alone: the newest is never lost.
    journal.record("request", "goip_post_sms", body=b"y" * 5000, query="a=1")
    assert len(journal) == 1 and journal.bytes == 5003 and journal.evicted == 4
    journal.clear()
    assert journal.bytes == 0 and len(journal) == 0


def test_bytes_and_query_strings_are_read_back_as_documents() -> None:
    journal = Journal(lambda: 12.3456)
    entry = journal.record(
        "request",
        "goip_post_sms",
        query="username=root&password=secret&x=a+b",
        body=b'{"auth": "k", "tasks": [1]}',
        answer=b'{"code": 200}',
    )
    assert entry.as_json() == {
        "id": 1,
        "t": 12.346,
        "kind": "request",
        "type": "goip_post_sms",
        "query": {"username": "root", "password": "***", "x": "a b"},
        "body": {"auth": "***", "tasks": [1]},
        "answer": {"code": 200},
    }


def test_credentials_are_redacted_wherever_they_hide() -> None:
    journal = Journal(lambda: 0.0)
    entry = journal.record(
        "request",
        "goip_get_sms",
        # `;` is no separator to the device, but the journal redacts what follows it too
        query="username=root;password=s3cret&x=1;auth=d1g",
        body=b'{"type":"x","login":{"user":"root","Password":"s3cret"},"list":[{"token":"t"}]}',
    )
    cb = journal.record("callback", "status", url="http://cb:s3cret@127.0.0.1:9/x?a=1")
    doc = entry.as_json()
    assert "s3cret" not in str(doc) and "d1g" not in str(doc)
    assert doc["query"]["username"] == "root;password=***"
    assert doc["query"]["x"] == "1;auth=***"
    assert doc["body"]["login"] == {"user": "root", "Password": "***"}
    assert doc["body"]["list"] == [{"token": "***"}]
    assert cb.as_json()["url"] == "http://cb:***@127.0.0.1:9/x?a=1"


def test_a_document_without_credentials_is_read_as_it_is() -> None:
    from emulator.record.journal import redact

    doc = {"code": 0, "tasks": [{"tid": 1, "to": "100", "sms": "a=b"}], "url": "http://h/x"}
    assert redact(doc) is doc
