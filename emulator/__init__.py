"""goip-emulator: an EJOIN/GoIP multi-SIM GSM gateway that serves the device's HTTP API."""

__version__ = "0.1.0"
