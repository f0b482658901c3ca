"""Programs that talk to a running emulator: CLI verbs, the crypto client, the sink."""
