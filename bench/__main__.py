"""`make bench`: run every benchmark (or those named: python -m bench p3 p4)."""

from __future__ import annotations

import importlib
import sys

BENCHES = {
    "p1": "bench.p1_device_api",
    "p2": "bench.p2_campaign",
    "p3": "bench.p3_fleet",
    "p4": "bench.p4_push",
    "m1": "bench.m1_memory",
}


def main() -> int:
    chosen = sys.argv[1:] or list(BENCHES)
    for name in chosen:
        if name not in BENCHES:
            print(f"unknown benchmark {name!r}; known: {', '.join(BENCHES)}", file=sys.stderr)
            return 2
        importlib.import_module(BENCHES[name]).main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
