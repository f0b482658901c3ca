"""`python -m emulator` is the same program as `goip-emulator`."""

from emulator.cli import main

raise SystemExit(main())
