"""The HTTP edge: the device API of the spec and the emulator's own control API."""
