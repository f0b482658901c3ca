"""Prometheus text for GET /_emulator/metrics: requests, callbacks, queues, SIM states.

Counts come from the journal's running totals, so they survive the journal's
bound and a DELETE of its entries; gauges are read from the device when scraped.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from emulator.record.journal import scrub

if TYPE_CHECKING:
    from emulator.gateway import DeviceApp


def _label(value: object) -> str:
    # A callback URL may carry `user:pass@`: a scrape shows the user, never the password.
    return scrub(str(value)).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _metric(
    out: list[str], name: str, kind: str, help_text: str, rows: list[tuple[str, object]]
) -> None:
    out.append(f"# HELP {name} {help_text}")
    out.append(f"# TYPE {name} {kind}")
    for labels, value in rows:
        out.append(f"{name}{labels} {value}")


def render(dev: DeviceApp) -> str:
    device = dev.device
    counts = dev.journal.counts
    out: list[str] = []
    _metric(
        out,
        "goip_requests_total",
        "counter",
        "Device API requests, by endpoint and HTTP status (every path that is no route: unknown).",
        [
            (f'{{endpoint="{_label(t)}",status="{_label(o)}"}}', n)
            for (k, t, o), n in sorted(counts.items())
            if k == "request"
        ],
    )
    _metric(
        out,
        "goip_callbacks_total",
        "counter",
        "Callback attempts, by type and outcome.",
        [
            (f'{{type="{_label(t)}",outcome="{_label(o)}"}}', n)
            for (k, t, o), n in sorted(counts.items())
            if k == "callback"
        ],
    )
    _metric(
        out,
        "goip_callback_queue",
        "gauge",
        "Callbacks waiting per target.",
        [
            (f'{{target="{_label(url)}"}}', len(t.queue))
            for url, t in sorted(dev.pusher.targets.items())
        ],
    )
    _metric(
        out,
        "goip_callbacks_dropped_total",
        "counter",
        "Callbacks dropped by a full queue.",
        [
            (f'{{target="{_label(url)}"}}', t.dropped)
            for url, t in sorted(dev.pusher.targets.items())
        ],
    )
    _metric(
        out,
        "goip_callback_targets",
        "gauge",
        "Callback targets held (bounded by push.max_targets).",
        [("", len(dev.pusher.targets))],
    )
    states = Counter(str(p.slot.state) for p in device.ports)
    _metric(
        out,
        "goip_port_state",
        "gauge",
        "Ports by the state of their current SIM.",
        [(f'{{state="{_label(s)}"}}', n) for s, n in sorted(states.items())],
    )
    _metric(
        out,
        "goip_journal_entries",
        "gauge",
        "Entries held by the journal.",
        [("", len(dev.journal))],
    )
    _metric(
        out,
        "goip_journal_bytes",
        "gauge",
        "Bytes of bodies, answers and queries the journal holds (bounded by journal.max_bytes).",
        [("", dev.journal.bytes)],
    )
    _metric(
        out,
        "goip_journal_evicted_total",
        "counter",
        "Journal entries dropped by its bound.",
        [("", dev.journal.evicted)],
    )
    _metric(
        out,
        "goip_clock_seconds",
        "gauge",
        "The device clock (Unix seconds).",
        [("", round(dev.runtime.clock.now(), 3))],
    )
    for section in dev.metric_sections:
        out.extend(section(dev))
    return "\n".join(out) + "\n"
